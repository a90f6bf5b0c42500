"""Output safety (issue 11): page text cannot attack any sink errwatch writes to.

Unit tests of scraper.textsafe first (every function, every payload kind, held-out
variants), then the real CLI against the local server with hostile pages, redirects and
canonical URLs: stdout/stderr carry no control character and no workflow command,
report.md and the notification bodies render (markdown-it with linkify, and GitHub's own
cmark-gfm) without a link, image, raw HTML or mention coming from the page, and no secret
of the configured notification URLs appears in any output, log or file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FIXTURES, LocalSite, Reply

from scraper import textsafe
from scraper.textsafe import (
    SafeFormatter,
    chat_text,
    gh_data,
    gh_prop,
    json_line,
    log_text,
    md_code,
    md_text,
    redact,
    redact_url,
    register_secrets,
    terminal,
)

# ----------------------------------------------------------------------------- payloads

ESCAPES = [
    "\x1b]0;title\x07\x1b[2J",  # the issue's: window title, clear screen
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1bP+q544e\x1b\\",  # DCS
    "\x9b2J",  # 8-bit CSI
    "\x9d0;t\x9c",  # 8-bit OSC
    "\x1bc",  # full reset
    "\x1b[?1049h",  # alternate screen
    "a\x08\x08\x08b",  # backspaces hide text
    "\x07bell\x00nul\x7fdel",
]
BIDI = ["\u202eevil\u202c", "\u2066x\u2069", "\u200f\u200e", "\u061c", "\ufeff", "\U000e0041"]
BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\t", "\x1e"]
COMMANDS = [
    "::error title=Injected::Fake",
    "::add-mask::errwatch",
    "::stop-commands::pwn",
    "  ::warning::indented",
    "\u00a0::notice::nbsp-indented",
    "\u3000::group::ideographic space",
    "\ufeff::error::bom",
    "\u200b::error::zwsp",
    "x\n::set-output name=a::b",
    "x\r::error::cr only",
    "x\u2028::error::line separator",
    "##[set-env name=A;]1",
    "text ##[error]v1 syntax anywhere",
]
MD_PAYLOADS = [
    "A``[Reset your API key](https://evil.example/login)``",
    "A`[x](https://evil.example)`",
    "```[x](https://evil.example)```",
    "![x](https://evil.example/p.png)",
    "<img src=x>",
    "<img src=x onerror=alert(1)>",
    "<a href='https://evil.example'>x</a>",
    "<script>alert(1)</script>",
    "<!-- comment -->",
    "<https://evil.example/auto>",
    "<mailto:a@evil.example>",
    "see https://evil.example/login now",
    "HTTPS://EVIL.COM/x",
    "www.evil.com/login",
    "evil.com/login",
    "//evil.example/x",
    "ftp://evil.example/x",
    "mailto:a@evil.co",
    "security@evil.com",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "[click][ref]\n\n[ref]: https://evil.example",
    "[ref]: https://evil.example 'title'",
    "[^1]\n\n[^1]: https://evil.example",
    "&lt;img src=x&gt;",
    "&#60;img src=x&#62;",
    "&#x3C;a href=x&#x3E;",
    "&amp;",
    "*bold* **strong** _em_ __u__ ~~gone~~",
    "trailing backslash \\",
    "a | b |\n|---|---|\n| c | d |",
    "# heading",
    "> quote",
    "$x^2$",
    "[![x](https://evil.example/i.png)](https://evil.example)",
    "\\[x](https://evil.example)",
    "\u202e[x](https://evil.example)",
    "h\u200bttps://evil.example",
    "<b>bold</b>",
]
MENTIONS = [
    "@everyone",
    "@here",
    "@channel",
    "@EVERYONE",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&987654321098765432>",
    "<#123456789012345678>",
    "<!everyone>",
    "<!here>",
    "<!channel>",
    "<!subteam^S123>",
    "</cmd:123>",
    "@\u200beveryone",
    "x@everyone",
    "\uff20everyone",  # fullwidth at: left as is, no service pings on it
]


def _controls(text: str) -> list[str]:
    """Characters a terminal or runner may act on (tab, newline allowed between lines)."""
    bad = []
    for ch in text:
        if ch in "\n":
            continue
        cat = unicodedata.category(ch)
        if (
            cat in ("Cc", "Cs")
            or (cat == "Cf" and ch not in "\u200c\u200d")
            or ch in "\u2028\u2029"
        ):
            bad.append(ch)
    return bad


def command_lines(text: str) -> list[str]:
    """Lines a GitHub runner would execute: ``::`` after leading whitespace, ``##[`` anywhere."""
    out = []
    for line in re.split(r"\r\n|\r|\n", text):
        if (
            line.lstrip(
                " \t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                "\u2009\u200a\u3000\ufeff\u200b\u2060\x0b\x0c\x1c\x1d\x1e\x1f\x85"
            ).startswith("::")
            or "##[" in line
        ):
            out.append(line)
    return out


# ----------------------------------------------------------------------------- terminal


@pytest.mark.parametrize("payload", ESCAPES + BIDI + BREAKS, ids=repr)
def test_terminal_removes_every_control_escape_and_bidi_character(payload: str) -> None:
    out = terminal(f"page {payload} end")
    assert _controls(out) == []
    assert "\n" not in out
    assert out.startswith("page ") and out.endswith(" end")


def test_terminal_drops_whole_escape_sequences_not_only_esc() -> None:
    assert terminal("a\x1b]0;title\x07\x1b[2Jb") == "ab"
    assert terminal("\x1b[31mred\x1b[0m") == "red"
    assert terminal("a\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"
    assert terminal("unterminated \x1b]0;title") == "unterminated "


def test_terminal_turns_line_breaks_and_tabs_into_spaces() -> None:
    assert terminal("a\nb\r\nc\td\u2028e") == "a b  c d e"


@pytest.mark.parametrize("payload", COMMANDS, ids=repr)
def test_no_terminal_or_log_line_can_start_a_workflow_command(payload: str) -> None:
    for out in (terminal(payload), log_text(payload)):
        assert command_lines(out) == []
        assert "\n" not in out and "\r" not in out


def test_terminal_keeps_ordinary_text_and_unicode() -> None:
    text = "  usds-futures zh-CN: failed: HTTP 503 — 保证金不足 ✓ 👩‍💻 std::string"
    assert terminal(text) == text
    assert terminal(-4087) == "-4087"


def test_terminal_neutralises_the_issue_canonical_payload() -> None:
    reason = (
        "canonical URL points to /docs/wallet/x\n::error title=Injected::Fake\n"
        "::add-mask::errwatch\n::stop-commands::pwn"
    )
    out = terminal(f"  wallet en: failed: {reason}")
    assert "\n" not in out and command_lines(out) == []
    assert "::add-mask::errwatch" in out  # still readable, just inert mid-line


def test_terminal_strips_lone_surrogates_that_cannot_be_printed() -> None:
    out = terminal("a\ud800b")
    assert out == "ab"
    out.encode("utf-8")


# ----------------------------------------------------------------------------- logs


def _record(
    msg: str, *args: object, name: str = "errwatch.run", exc: bool = False
) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom\n::error::from traceback\x1b[2J")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args, exc_info)


def test_safe_formatter_makes_every_line_of_a_record_safe() -> None:
    fmt = SafeFormatter("%(levelname)s %(name)s: %(message)s")
    out = fmt.format(_record("reason %s", "x\n::add-mask::secret\x1b]0;t\x07", exc=True))
    assert _controls(out) == []
    assert command_lines(out) == []
    assert out.startswith("WARNING errwatch.run: reason x ")
    assert "ValueError: boom" in out  # the traceback is still there (-vv), only inert


def test_safe_formatter_cuts_urls_from_third_party_records_only() -> None:
    fmt = SafeFormatter("%(name)s: %(message)s")
    apprise_line = fmt.format(
        _record("Unparseable URL %s", "slak://TOKENA1/TOKENB2", name="apprise")
    )
    assert apprise_line == "apprise: Unparseable URL slak://…"
    ours = fmt.format(_record("GET %s", "http://127.0.0.1:8000/docs/x", name="errwatch.fetch"))
    assert ours.endswith("GET http://127.0.0.1:8000/docs/x")


# ----------------------------------------------------------------------------- secrets


@pytest.fixture
def secrets() -> object:
    textsafe.forget_secrets()
    yield None
    textsafe.forget_secrets()


SECRET_URLS = [
    "slack://TOKENA1/TOKENB2/TOKENC3/#general",
    "discord://WEBHOOKID42/WEBHOOKTOKEN43",
    "json://hooks.example.test/hook/PATHTOKEN?apikey=QUERYSECRET",
    "jsons://someuser:PASSWORD99@hooks.example.test:8443/x",
    "tgram://BOTTOKEN123:AAExyz/CHATID77",
    "mailto://mailuser:MAILPASS55@smtp.example.test",
]


@pytest.mark.parametrize("url", SECRET_URLS, ids=lambda u: u.split(":")[0])
def test_redact_url_shows_the_scheme_only(url: str) -> None:
    out = redact_url(url)
    assert out == url.split("://")[0] + "://…"


def test_redact_url_of_garbage_says_malformed() -> None:
    assert redact_url("not a url TOKEN") == "<malformed URL>"
    assert redact_url("json://[::1") in ("json://…", "<malformed URL>")


def test_registered_secrets_are_removed_from_any_text(secrets: object) -> None:
    register_secrets(SECRET_URLS)
    leaks = [
        "TOKENA1",
        "TOKENB2",
        "TOKENC3",
        "WEBHOOKID42",
        "WEBHOOKTOKEN43",
        "PATHTOKEN",
        "QUERYSECRET",
        "PASSWORD99",
        "BOTTOKEN123:AAExyz",
        "MAILPASS55",
    ]
    text = (
        "Slack POST URL: https://hooks.slack.com/services/TOKENA1/TOKENB2/TOKENC3 "
        "discord id WEBHOOKID42 token WEBHOOKTOKEN43; /hook/PATHTOKEN?apikey=QUERYSECRET "
        "someuser:PASSWORD99@ tg BOTTOKEN123:AAExyz mail MAILPASS55"
    )
    for sink in (terminal, log_text, gh_data, chat_text, redact):
        out = sink(text)
        assert not [t for t in leaks if t in out], sink
    # whole tokens only: a path segment "hook" does not eat the word "webhook"
    assert "webhook" in terminal("the webhook refused")


def test_secrets_in_a_url_that_does_not_parse_are_registered_too(secrets: object) -> None:
    register_secrets(["json://[broken/SEKRET77"])
    assert "SEKRET77" not in terminal("sent to json://[broken/SEKRET77 and SEKRET77")


def test_addresses_are_not_taken_for_secrets(secrets: object) -> None:
    register_secrets(["json://127.0.0.1:9999/hook/TOKEN1"])
    assert terminal("GET http://127.0.0.1:8000/docs") == "GET http://127.0.0.1:8000/docs"
    assert "TOKEN1" not in terminal("POST /hook/TOKEN1")


# ----------------------------------------------------------------------------- GitHub


def test_gh_data_and_prop_escape_per_githubs_rules() -> None:
    assert gh_data("50% a\r\nb\nc") == "50%25 a%0D%0Ab%0Ac"
    assert gh_prop("t: a, b%") == "t%3A a%2C b%25"


@pytest.mark.parametrize("payload", COMMANDS + ESCAPES + BIDI, ids=repr)
def test_gh_data_cannot_break_out_of_its_annotation(payload: str) -> None:
    line = f"::warning title={gh_prop(payload)}::{gh_data(payload)}"
    assert "\n" not in line and "\r" not in line
    assert _controls(line) == []
    assert line.count("::") == 2 + gh_data(payload).count("::")  # data may say "::", props not
    assert "::" not in gh_prop(payload)


# ----------------------------------------------------------------------------- Markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def renderers() -> list[tuple[str, object]]:
    import cmarkgfm
    from cmarkgfm.cmark import Options
    from markdown_it import MarkdownIt

    mdit = MarkdownIt("commonmark", {"linkify": True, "html": True}).enable(
        ["linkify", "table", "strikethrough"]
    )
    return [
        ("markdown-it+linkify", mdit.render),
        (
            "cmark-gfm",
            lambda s: cmarkgfm.github_flavored_markdown_to_html(
                s, options=Options.CMARK_OPT_UNSAFE
            ),
        ),
    ]


MENTION_RE = re.compile(
    r"@(everyone|here|channel)\b|<@[!&]?\d+>|<#\d+>|<!(everyone|here|channel|subteam)|</\w+:\d+>",
    re.IGNORECASE,
)
ALLOWED_TAGS = {"p", "ul", "ol", "li", "code", "strong", "h3", "br", "pre"}


def markdown_problems(markdown: str) -> list[str]:
    """Links, images, raw HTML, emphasis from page text or mentions, in every renderer."""
    problems = []
    for name, render in renderers():
        html = render(markdown)  # type: ignore[operator]
        parser = _Tags()
        parser.feed(html)
        for tag, attrs in parser.tags:
            if tag not in ALLOWED_TAGS or attrs:
                problems.append(f"{name}: <{tag} {attrs}>")
        text = "".join(parser.text)
        problems += [f"{name}: mention {m.group(0)!r}" for m in MENTION_RE.finditer(text)]
        problems += [f"{name}: control {c!r}" for c in _controls(text) if c != "\u200b"]
    return problems


def rendered_text(markdown: str) -> str:
    parser = _Tags()
    parser.feed(renderers()[0][1](markdown))  # type: ignore[operator]
    return "".join(parser.text).replace("\u200b", "")


@pytest.mark.parametrize("payload", MD_PAYLOADS + MENTIONS + ESCAPES + BIDI, ids=repr)
def test_md_text_and_md_code_render_as_inert_text(payload: str) -> None:
    for piece in (md_text(payload), md_code(payload)):
        for doc in (piece, f"- **spot en** renamed {piece} → {piece}: {piece}", f"{piece}\n"):
            assert markdown_problems(doc) == [], doc


@pytest.mark.parametrize("payload", MD_PAYLOADS, ids=repr)
def test_md_text_renders_exactly_the_text(payload: str) -> None:
    expected = " ".join(textsafe.clean(payload).split())
    assert rendered_text(md_text(payload)).strip() == expected.strip()


@pytest.mark.parametrize("name", ["A`B", "A``B", "```", "`start", "end`", "`", "a ``` b ` c"])
def test_md_code_fence_is_longer_than_any_backtick_run(name: str) -> None:
    span = md_code(name)
    fence = re.match(r"`+", span)
    assert fence is not None
    assert len(fence.group(0)) > max(len(r) for r in re.findall(r"`+", name))
    html = renderers()[0][1](span)  # type: ignore[operator]
    parser = _Tags()
    parser.feed(html)
    assert [t for t, _ in parser.tags] == ["p", "code"]
    assert "".join(parser.text).strip() == name.strip()


def test_md_code_keeps_names_readable() -> None:
    assert md_code("INVALID_PAIR") == "`INVALID_PAIR`"
    assert md_text("Order's quantity: 1.5, see section 10xx - General") == (
        "Order's quantity: 1.5, see section 10xx - General"
    )


@pytest.mark.parametrize("payload", MENTIONS, ids=repr)
def test_chat_text_neutralises_every_mention_form(payload: str) -> None:
    body = chat_text(f"### errwatch\n\n- {payload} and {payload}\n")
    assert MENTION_RE.search(body.replace("\u200b", "\x00")) is None or "\u200b" in body
    assert MENTION_RE.search(body) is None
    assert body.startswith("### errwatch\n\n- ")  # our own Markdown untouched


def test_chat_text_keeps_lines_and_removes_controls() -> None:
    body = chat_text("a\x1b[2J\n**b**\r\nc\u202e")
    assert body == "a\n**b**\nc"


def test_json_line_escapes_what_json_leaves_raw() -> None:
    import json

    doc = json.dumps({"name": "a\u202eb\x9bc\u2028d\x7f"}, ensure_ascii=False)
    out = json_line(doc)
    assert _controls(out) == []
    assert json.loads(out) == {"name": "a\u202eb\x9bc\u2028d\x7f"}


# ============================================================================ the real CLI

SPOT = "/docs/binance-spot-api-docs/errors"
WALLET = "/docs/wallet/error-code"
REAL_SPOT = (FIXTURES / "pages" / "spot.en.html").read_text("utf-8")
CANONICAL = "https://developers.binance.com/docs/binance-spot-api-docs/errors"
INJECT_PATH = (
    "/docs/wallet/x%0A::error title=Injected::Fake%0A::add-mask::errwatch"
    "%0A::stop-commands::pwn%0D%0A::warning::crlf%1B]0;title%07%1B[2J%E2%80%AEtxt%C2%9B2J"
    "%E2%80%A8::notice::u2028%0B::error::vt"
)
HOSTILE_NAME = "A``[Reset your API key](https://evil.example/login)``"
HOSTILE_MESSAGE = (
    "![x](https://evil.example/p.png) &lt;img src=x onerror=alert(1)&gt; @everyone @here "
    "&lt;@123456789012345678&gt; &lt;!channel&gt; https://evil.example/bare www.evil.com "
    "[ref][1] &amp;lt;b&amp;gt; [x](javascript:alert(1)) ::add-mask::x \u202eevil "
    "&lt;a href=https://evil.example&gt;x&lt;/a&gt; security@evil.com"
)
TOKENS = ("PATHTOKEN", "QUERYSECRET", "PASSWORD42", "FAILTOKEN77")


def hostile_spot(*, section: str | None = None) -> str:
    html = REAL_SPOT.replace(">-1000 UNKNOWN<", f">-1000 {HOSTILE_NAME}<", 1)
    html = html.replace(
        "<li>An unknown error occurred while processing the request.</li>",
        f"<li>{HOSTILE_MESSAGE}</li>",
        1,
    )
    html = html.replace(">-1001 DISCONNECTED<", ">-1001 @everyone\u202eDISCONNECTED<", 1)
    html = html.replace(">-1002 UNAUTHORIZED<", ">-1002 &lt;img src=x&gt;`UNAUTH``ORIZED<", 1)
    if section is not None:
        html = html.replace(">10xx - General Server or Network issues<", f">{section}<", 1)
    return html


def page(site: LocalSite, path: str, html: str, **headers: str) -> None:
    site.set(
        path, Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8", **headers})
    )


class Errwatch:
    """The real console script in a subprocess: every byte of stdout/stderr is seen."""

    def __init__(self, tmp: Path, site: LocalSite, notify: bool = True) -> None:
        self.tmp, self.site = tmp, site
        self.snapshots, self.reports = tmp / "snapshots", tmp / "reports"
        self.config = tmp / "errwatch.toml"
        hook = site.base_url.replace("http://", "json://user:PASSWORD42@")
        lines = ["retries = 1", "backoff = 0", "read_timeout = 3", "connect_timeout = 2"]
        if notify:
            self.drift_url = f"{hook}/hook/PATHTOKEN?apikey=QUERYSECRET"
            self.fail_url = site.base_url.replace("http://", "json://") + "/alerts/FAILTOKEN77"
            lines += [
                "[notify]",
                f"urls = [{json.dumps(self.drift_url)}]",
                f"failure_urls = [{json.dumps(self.fail_url)}]",
                'report_url = "https://reports.example.test/errwatch/"',
            ]
        self.config.write_text("\n".join(lines) + "\n", "utf-8")
        self.outputs: list[bytes] = []

    def __call__(
        self, *args: str, base_url: str | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        cmd = [sys.executable, "-m", "scraper", *args]
        command = next((a for a in args if not a.startswith("-")), "")
        if command in ("run", "crawl"):
            cmd += [
                "--snapshots",
                str(self.snapshots),
                "--reports",
                str(self.reports),
                "--config",
                str(self.config),
                "--base-url",
                base_url or self.site.base_url,
            ]
        if command == "run" and "--format" not in args:
            cmd += ["--format", "json,md"]  # report.html is H4's (autoescaped Jinja)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ERRWATCH_"))}
        proc = subprocess.run(
            cmd, capture_output=True, timeout=120, cwd=self.tmp, env=env, check=False
        )
        self.outputs += [proc.stdout, proc.stderr]
        return proc

    def report_md(self) -> str:
        [md] = sorted(self.reports.glob("*/report.md"))[-1:]
        return md.read_text("utf-8")

    def written_files(self) -> list[Path]:
        return [p for p in (*self.snapshots.rglob("*"), *self.reports.rglob("*")) if p.is_file()]


def assert_safe_stream(data: bytes) -> str:
    text = data.decode("utf-8")  # strict: no lone surrogate or broken byte reached it
    assert _controls(text) == [], (sorted(set(_controls(text))), text[-2000:])
    assert command_lines(text) == [], command_lines(text)
    return text


def assert_no_secret_anywhere(ew: Errwatch) -> None:
    for i, out in enumerate(ew.outputs):
        for token in TOKENS:
            assert token.encode() not in out, (token, i, out[-1500:])
    for path in ew.written_files():
        data = path.read_bytes()
        if path.suffix == ".gz":
            import gzip

            data = gzip.decompress(data)
        for token in TOKENS:
            assert token.encode() not in data, (token, path)


@pytest.fixture
def ew(tmp_path: Path, site: LocalSite) -> Errwatch:
    return Errwatch(tmp_path, site)


def _link_problems(markdown: str, allowed_prefix: str | None) -> list[str]:
    problems = []
    for name, render in renderers():
        parser = _Tags()
        parser.feed(render(markdown))  # type: ignore[operator]
        for tag, attrs in parser.tags:
            href = dict(attrs).get("href") or ""
            if (
                tag == "a"
                and allowed_prefix
                and href.startswith(allowed_prefix)
                and len(attrs) == 1
            ):
                continue
            if tag not in ALLOWED_TAGS or attrs:
                problems.append(f"{name}: <{tag} {attrs}>")
        text = "".join(parser.text)
        problems += [f"{name}: mention {m.group(0)!r}" for m in MENTION_RE.finditer(text)]
    return problems


def test_hostile_page_text_reaches_no_sink_alive(ew: Errwatch, site: LocalSite) -> None:
    page(site, SPOT, REAL_SPOT)
    first = ew("run", "--page", "spot", "--locale", "en", "--at", "2026-11-20T06:00:00Z")
    assert first.returncode == 0, first.stderr
    page(site, SPOT, hostile_spot(section="10xx @here [x](javascript:alert(1)) \u202e"))
    second = ew(
        "run",
        "--page",
        "spot",
        "--locale",
        "en",
        "--at",
        "2026-11-21T06:00:00Z",
        "--fail-on",
        "any",
    )
    assert second.returncode == 1, second.stderr
    for stream in (second.stdout, second.stderr):
        assert_safe_stream(stream)

    md = ew.report_md()
    assert re.search(
        r"section 10xx - General Server or Network issues \*\*renamed\*\* to .*: 17 rows", md
    )
    assert _link_problems(md, None) == [], md
    assert "Reset your API key" in md and "evil" in md  # shown, as text

    [drift] = [json.loads(p.body) for p in site.posts("/hook/PATHTOKEN")]
    body = drift["message"]
    assert _link_problems(body, "https://reports.example.test/errwatch/") == [], body
    assert "@everyone" not in body and "<@1" not in body

    gh = ew(
        "run",
        "--page",
        "spot",
        "--locale",
        "en",
        "--at",
        "2026-11-22T06:00:00Z",
        "--format",
        "github",
    )
    assert_safe_stream(gh.stderr)
    for line in gh.stdout.decode().splitlines():
        if line.lstrip().startswith("::"):
            assert re.match(r"::(error|warning) title=[^:]*::", line), line
    assert_no_secret_anywhere(ew)


def test_injected_canonical_and_redirect_reasons_stay_one_inert_line(
    ew: Errwatch, site: LocalSite
) -> None:
    page(site, SPOT, REAL_SPOT.replace(CANONICAL, "https://developers.binance.com" + INJECT_PATH))
    # raw bytes as a server may send them (UTF-8 read as latin-1 on the wire)
    target = "/docs/moved\x1b]0;title\x07\x1b[2J%0A::error::redir%0D%0A::add-mask::x\u202e%E2%80%AE"
    target = target.encode("utf-8").decode("latin-1")
    site.set(WALLET, Reply(302, "", headers={"Location": target}))
    site.set("/docs/moved", Reply(200, REAL_SPOT))
    outs = [
        ew(
            "run",
            "--page",
            "spot",
            "--page",
            "wallet",
            "--locale",
            "en",
            "--at",
            "2026-11-20T06:00:00Z",
        ),
        ew(
            "crawl",
            "--page",
            "spot",
            "--page",
            "wallet",
            "--locale",
            "en",
            "--at",
            "2026-11-21T06:00:00Z",
        ),
        ew(
            "-v",
            "run",
            "--page",
            "spot",
            "--page",
            "wallet",
            "--locale",
            "en",
            "--at",
            "2026-11-22T06:00:00Z",
        ),
        ew(
            "-vv",
            "run",
            "--page",
            "spot",
            "--page",
            "wallet",
            "--locale",
            "en",
            "--at",
            "2026-11-23T06:00:00Z",
        ),
    ]
    for fmt in ("md", "github"):
        outs.append(
            ew(
                "diff",
                "previous",
                "latest",
                "--snapshots",
                str(ew.snapshots),
                "--reports",
                str(ew.reports),
                "--config",
                str(ew.config),
                "--format",
                fmt,
            )
        )
    for proc in outs:
        assert proc.returncode == 3, proc.stderr[-2000:]
        if b"::warning title=" in proc.stdout:  # --format github: annotations, escaped
            for line in proc.stdout.decode().splitlines():
                assert re.match(r"::(error|warning) title=[^:]*::[^\r\n]*$", line), line
            continue
        out = assert_safe_stream(proc.stdout)
        assert_safe_stream(proc.stderr)
        spot_lines = [line for line in out.splitlines() if line.startswith("  spot en:")]
        assert len(spot_lines) == 1 and "add-mask" in spot_lines[0]  # the reason, on one line
    md = ew.report_md()
    assert _link_problems(md, None) == []
    alerts = [json.loads(p.body)["message"] for p in site.posts("/alerts/FAILTOKEN77")]
    assert alerts, "the failure notice was sent"
    for body in alerts:
        assert _link_problems(body, "https://reports.example.test/errwatch/") == [], body
        assert command_lines(body) == [] and _controls(body.replace("\n", "")) == []
    assert_no_secret_anywhere(ew)


def test_history_prints_names_without_escapes(ew: Errwatch, site: LocalSite) -> None:
    page(site, SPOT, REAL_SPOT)
    ew("run", "--page", "spot", "--locale", "en", "--at", "2026-11-20T06:00:00Z")
    renamed = REAL_SPOT.replace(
        ">-1000 UNKNOWN<", ">-1000 \u202eUNK\u2066NOWN&#x9b;2J\u2028::error::x<", 1
    )
    page(site, SPOT, renamed)
    ew("run", "--page", "spot", "--locale", "en", "--at", "2026-11-21T06:00:00Z")
    for fmt in ("text", "json"):
        proc = ew("history", "-1000", "--snapshots", str(ew.snapshots), "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        out = assert_safe_stream(proc.stdout)
        assert "UNK" in out
        if fmt == "json":
            assert json.loads(out)[-1]["kind"] == "renamed"


def test_refused_connections_give_one_line_per_page_no_urllib3_noise(
    ew: Errwatch, site: LocalSite
) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    pages = ["spot", "usds-futures", "coin-futures", "options", "margin", "wallet", "algo"]
    args = [a for p in pages for a in ("--page", p)]
    proc = ew("run", *args, "--at", "2026-11-20T06:00:00Z", base_url=dead)
    assert proc.returncode == 3
    err = assert_safe_stream(proc.stderr)
    out = assert_safe_stream(proc.stdout)
    assert "Retrying" not in err and "urllib3" not in err and "Traceback" not in err
    failed = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(failed) == 2 * len(pages)  # one line per page and locale
    assert all("connection refused" in line for line in failed)


def test_malformed_header_is_one_line_not_a_urllib3_traceback(
    ew: Errwatch, site: LocalSite
) -> None:
    page(site, SPOT, REAL_SPOT, **{"X-Broken": "a\r\n::error::header injection\r\nno colon here"})
    proc = ew("run", "--page", "spot", "--locale", "en", "--at", "2026-11-20T06:00:00Z")
    err = assert_safe_stream(proc.stderr)
    assert_safe_stream(proc.stdout)
    assert "Traceback" not in err and "Failed to parse headers" not in err
    assert len(err.strip().splitlines()) <= 1
    verbose = ew("-vv", "run", "--page", "spot", "--locale", "en", "--at", "2026-11-21T06:00:00Z")
    details = assert_safe_stream(verbose.stderr)  # details allowed at -vv, but inert
    assert "Failed to parse headers" in details  # the header did upset urllib3


def test_secrets_never_show_at_any_verbosity(ew: Errwatch, site: LocalSite) -> None:
    site.set("/hook/PATHTOKEN", Reply(500, "no"), Reply(200))
    site.set("/alerts/FAILTOKEN77", Reply(500, "no"))
    page(site, SPOT, REAL_SPOT)
    ew("run", "--page", "spot", "--locale", "en", "--at", "2026-11-20T06:00:00Z")
    page(site, SPOT, hostile_spot())
    site.set(WALLET, Reply(503, "down"))
    for i, flags in enumerate(([], ["-v"], ["-vv"])):
        proc = ew(
            *flags,
            "run",
            "--page",
            "spot",
            "--page",
            "wallet",
            "--locale",
            "en",
            "--at",
            f"2026-11-2{i + 1}T07:00:00Z",
        )
        assert_safe_stream(proc.stderr)
    verbose = ew.outputs[-1].decode()
    assert "POST" in verbose or "json://…" in verbose  # -vv did log the notification
    assert len(site.posts("/hook/PATHTOKEN")) >= 2  # refused once, then retried (outbox)
    assert_no_secret_anywhere(ew)


@pytest.mark.parametrize(
    "url",
    [
        "slak://TOKENA1/TOKENB2/TOKENC3",
        "discord://WEBHOOKID42",
        "json://user:PASSWORD42@[broken/PATHTOKEN",
    ],
)
def test_unusable_notification_url_is_one_line_without_its_tokens(
    tmp_path: Path, site: LocalSite, url: str
) -> None:
    ew = Errwatch(tmp_path, site, notify=False)
    ew.config.write_text(f"[notify]\nurls = [{json.dumps(url)}]\n", "utf-8")
    page(site, SPOT, REAL_SPOT)
    proc = ew("run", "--page", "spot", "--locale", "en", "--at", "2026-11-20T06:00:00Z")
    err = assert_safe_stream(proc.stderr)
    for token in ("TOKENA1", "TOKENB2", "TOKENC3", "WEBHOOKID42", "PASSWORD42", "PATHTOKEN"):
        assert token not in err and token.encode() not in proc.stdout
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err


# ----------------------------------------------------------------------------- report.md units


def _report(changes: list[dict[str, object]], **extra: object) -> dict[str, object]:
    from scraper.report.build import section_moves

    return {
        "id": "20261121T060000Z",
        "old": {"snapshot": "20261120T060000Z"},
        "new": {"snapshot": "20261121T060000Z"},
        "summary": {
            "drift": "any",
            "changes": len(changes),
            "breaking": 0,
            "by_kind": {"section_changed": len(changes)},
            "pages": {"ok": 1, "not_modified": 0, "failed": 0, "quarantined": 0},
        },
        "pages": [],
        "changes": changes,
        "section_moves": section_moves(changes),
        **extra,
    }


def test_report_md_folds_a_heading_rename_into_one_line() -> None:
    from scraper.report import render_markdown

    moved = [
        {
            "kind": "section_changed",
            "page": "spot",
            "locale": "en",
            "code": -1000 - i,
            "name": f"N{i}",
            "old_section": "10xx - General",
            "new_section": "10xx @here <b>",
        }
        for i in range(5)
    ]
    single = {
        "kind": "section_changed",
        "page": "spot",
        "locale": "en",
        "code": -2000,
        "name": "LONE",
        "old_section": "A",
        "new_section": "B",
    }
    md = render_markdown(_report([*moved, single]))
    lines = [line for line in md.splitlines() if "section" in line and line.startswith("- ")]
    assert len(lines) == 2, md
    assert (
        lines[0]
        == "- spot en · section 10xx - General **renamed** to 10xx @\u200bhere \\<b\\>: 5 rows"
    )
    assert "LONE" in lines[1] and "“A” → “B”" in lines[1]
    assert markdown_problems(md.replace("Full report: 20261121T060000Z/report.html", "")) == []


def test_report_md_failure_reasons_are_one_inert_line() -> None:
    from scraper.report import render_markdown

    reason = (
        "wrong page: canonical is /docs/x\n::add-mask::x\n[Reset](https://evil.example) "
        "@everyone <img src=x> www.evil.com\x1b]0;t\x07"
    )
    report = _report(
        [], pages=[{"page": "wallet", "locale": "en", "status": "failed", "reason": reason}]
    )
    md = render_markdown(report)
    [line] = [line for line in md.splitlines() if line.startswith("- wallet en")]
    assert "add-mask" in line and command_lines(md) == []
    assert markdown_problems(md.replace("Full report: 20261121T060000Z/report.html", "")) == []


# ----------------------------------------------------------------------------- chat bodies


def test_failure_notice_escapes_reasons_and_mentions(site: LocalSite, tmp_path: Path) -> None:
    from scraper.config import Config
    from scraper.notify import notify_run

    reason = (
        "HTTP 403\n\n# Reset your key\n[here](https://evil.example/login) @everyone "
        "<@123456789012345678> <!channel> ![p](https://evil.example/p.png) <img src=x>"
    )
    report = {
        "id": "20261121T060000Z",
        "new": {"snapshot": "20261121T060000Z"},
        "summary": {"changes": 0},
        "pages": [
            {"page": "wallet", "locale": "en", "status": "failed", "reason": reason},
            {"page": "spot @here", "locale": "en", "status": "quarantined", "reason": None},
        ],
    }
    url = site.base_url.replace("http://", "json://") + "/alerts"
    cfg = Config(failure_urls=(url,), report_url="https://reports.example.test/")
    assert notify_run(report, "", cfg, tmp_path / "state.json")
    [post] = site.posts("/alerts")
    body = json.loads(post.body)["message"]
    assert _link_problems(body, "https://reports.example.test/") == [], body
    assert len([line for line in body.splitlines() if line.startswith("- ")]) == 2
    assert "Reset your key" in body  # still there, as text


def test_drift_body_from_page_names_cannot_ping(site: LocalSite, tmp_path: Path) -> None:
    from scraper.config import Config
    from scraper.notify import notify_run
    from scraper.report import render_markdown

    changes = [
        {
            "kind": "renamed",
            "page": "spot",
            "locale": "en",
            "code": -1,
            "old_name": "X",
            "new_name": name,
        }
        for name in MENTIONS
    ]
    report = {
        **_report(changes),
        "summary": {
            "drift": "breaking",
            "changes": len(changes),
            "breaking": len(changes),
            "by_kind": {"renamed": len(changes)},
            "pages": {"ok": 1, "not_modified": 0, "failed": 0, "quarantined": 0},
        },
    }
    url = site.base_url.replace("http://", "json://") + "/drift"
    notify_run(report, render_markdown(report), Config(notify_urls=(url,)), tmp_path / "s.json")
    body = json.loads(site.posts("/drift")[0].body)["message"]
    assert MENTION_RE.search(body) is None, body
    assert _link_problems(body.replace("Full report: 20261121T060000Z/report.html", ""), None) == []


# ----------------------------------------------------------------------------- -vv tracebacks


def test_errors_and_vv_tracebacks_quoting_user_text_are_inert(
    tmp_path: Path, site: LocalSite
) -> None:
    ew = Errwatch(tmp_path, site, notify=False)
    folder = str(tmp_path / "x\x1b]0;pwn\x07\u202e\n::error::path")
    for flags in ([], ["-vv"]):
        proc = ew(*flags, "history", "-1000", "--snapshots", folder)
        assert proc.returncode != 0
        err = assert_safe_stream(proc.stderr)
        assert "no snapshot folder" in err


def test_short_passwords_and_header_tokens_are_secrets_too(secrets: object) -> None:
    register_secrets(
        [
            "jsons://bob:hunter@hooks.example.test/x?+X-Token=abcdef&token=qwe",
            "ntfys://user:pw7@ntfy.example.test/alerts?auth=lowercasesecret",
        ]
    )
    text = "bob:hunter X-Token abcdef token qwe lowercasesecret pw7 alerts"
    out = terminal(text)
    for secret in ("hunter", "abcdef", "qwe", "lowercasesecret", "pw7"):
        assert secret not in out
    assert "alerts" in out  # a plain path word is left alone


def test_library_lines_lose_even_plain_looking_url_pieces(secrets: object) -> None:
    register_secrets(["json://127.0.0.1:9/hook/abcd"])
    apprise_line = "Max retries exceeded with url: /hook/abcd (Caused by ...)"
    assert "abcd" not in redact(apprise_line, urls=True)
    assert terminal("the abcd word") == "the abcd word"  # errwatch's own text keeps words
