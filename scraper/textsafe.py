"""Text safety: one function per sink, so page text can never attack what reads it.

Page content is untrusted input, and errwatch copies it into places that act on what
they read: a terminal obeys escape sequences, a GitHub runner executes ``::`` workflow
commands it finds at the start of a log line, a job summary and a chat app render
Markdown (links, images, raw HTML, mentions).  Every writer passes page text through the
function of its sink:

- ``terminal(text)``: one line for stdout/stderr; no control character, escape sequence
  or bidi override survives, CR/LF/TAB become spaces, a line that would start a workflow
  command is neutralised, known secrets are redacted;
- ``log_text(text)``: the same for one log line (``SafeFormatter`` applies it to every
  line of every record, tracebacks included);
- ``gh_data(text)`` / ``gh_prop(text)``: escaping of a workflow command's message and
  properties (GitHub's own rules, after removing control characters);
- ``md_text(text)``: CommonMark/GFM inline text that renders as exactly that text: no
  link, image, autolink, raw HTML, entity, emphasis or mention can come from it;
- ``md_code(text)``: an inert code span whose fence is longer than any backtick run;
- ``chat_text(body)``: a whole chat body (our own Markdown) with every mention form
  (``@everyone``, ``@here``, ``<@id>``, ``<!channel>`` …) neutralised;
- ``redact_url(url)``: a notification URL for a log line: the scheme only, since Apprise
  URLs carry tokens anywhere, even in the host part.

``register_secrets(urls)`` remembers the pieces of the configured notification URLs
(tokens, passwords, hosts that are not addresses) so that ``terminal``/``log_text`` and
``redact`` remove them from any text, including third-party log lines.

report.json keeps the raw text: JSON escaping is enough there (``json_line`` makes a JSON
text printed on a terminal safe as well, escaping the characters JSON leaves raw).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "SafeFormatter",
    "chat_text",
    "clean",
    "gh_data",
    "gh_prop",
    "json_line",
    "log_text",
    "md_code",
    "md_text",
    "redact",
    "redact_url",
    "register_secrets",
    "terminal",
]

# ------------------------------------------------------------------ control characters

# ESC sequences: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC strings up to BEL or ST (or the
# end of the text), and two-character escapes; the 8-bit C1 forms of CSI/OSC/DCS too.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?",
)
# Line breaks of every kind (what a terminal, a runner or an editor may split on).
_BREAKS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"
# Format characters kept: joiners, which emoji sequences and some scripts need.
_KEEP_FORMAT = frozenset("\u200c\u200d")


@lru_cache(maxsize=4096)
def _char_action(ch: str) -> str | None:
    """'' to drop, ' ' to turn into a space, None to keep."""
    if ch in _BREAKS:
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):  # C0, DEL, C1; lone surrogates cannot even be printed
        return ""
    if category == "Cf" and ch not in _KEEP_FORMAT:  # bidi overrides, ZWSP, tags, BOM, …
        return ""
    return None


def clean(text: object) -> str:
    """``text`` as one line with no control, format (bidi) or escape characters."""
    s = str(text)
    if s.isascii() and s.isprintable():
        return s  # the common case, fast
    s = _ESCAPES.sub("", s)
    out = []
    for ch in s:
        if ch.isascii() and ch.isprintable():
            out.append(ch)
            continue
        action = _char_action(ch)
        out.append(ch if action is None else action)
    return "".join(out)


# ------------------------------------------------------------------ secrets

_secrets_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_secret_re: re.Pattern[str] | None = None
_foreign_re: re.Pattern[str] | None = None
_MIN_SECRET = 4
_NOT_SECRET_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_URL_IN_TEXT = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]{1,30})://[^\s'\"<>()\[\]{},]*")


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower() in _NOT_SECRET_HOSTS
    return True


_SECRET_KEY = re.compile(r"(?i)token|key|secret|pass|pwd|auth|sig|cred|session|bearer|hook|id$")


def _url_secrets(url: str) -> tuple[set[str], set[str]]:
    """(pieces that are credentials for sure, pieces that may be) of a notification URL.

    Sure: the whole URL, what follows the scheme, user and password, query values under a
    secret-sounding key or an Apprise header (``+X-Token=…``). Maybe (kept when they look
    like tokens): the host (tokens sit there in ``discord://ID/TOKEN``), path segments,
    other query values, the fragment.
    """
    url = url.strip()
    rest = url.split("://", 1)[1] if "://" in url else url.partition(":")[2]
    sure: set[str] = {url, rest}
    maybe: set[str] = set()
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        path, query, fragment = parts.path, parts.query, parts.fragment
    except ValueError:  # e.g. an unbalanced "[" in the host: split by hand
        netloc, _, tail = rest.partition("/")
        path, _, query = tail.partition("?")
        fragment = ""
    userinfo, _, hostport = netloc.rpartition("@")
    if userinfo:
        sure.add(userinfo)
        sure.update(userinfo.split(":", 1))
    host = hostport
    if not hostport.startswith("["):
        host = hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport
    if host and not _is_address(host):
        maybe.update((host, hostport))
        maybe.update(hostport.split(":"))
    maybe.update(path.split("/"))
    for key, value in parse_qsl(query.replace("+", "%2B"), keep_blank_values=True):
        if key.startswith(("+", "-")) or _SECRET_KEY.search(key):
            sure.update((value, f"{key}={value}"))
        else:
            maybe.add(value)
    maybe.update((query, fragment))
    sure |= {unquote(x) for x in sure}
    maybe |= {unquote(x) for x in maybe}
    return {x for x in sure if len(x) >= 3}, {x for x in maybe if len(x) >= _MIN_SECRET}


def _looks_secret(piece: str) -> bool:
    """Tokens, ids: long, or with a digit or a capital ("drift", "alerts": no)."""
    if len(piece) < _MIN_SECRET:
        return False
    return len(piece) >= 12 or any(c.isdigit() or c.isupper() for c in piece)


def _alternation(pieces: set[str]) -> re.Pattern[str] | None:
    if not pieces:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(pieces, key=lambda p: (-len(p), p)))
    # Whole tokens only: a path segment "hook" must not eat the word "webhook".
    return re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternatives})(?![A-Za-z0-9_-])")


def register_secrets(urls: Iterable[str]) -> None:
    """The credentials of these notification URLs (the configured ones: each call
    replaces the previous set): every safe writer redacts them from then on.

    Pieces that look like tokens are removed from every text; third-party lines
    (``redact(..., urls=True)``) also lose every other piece (short path words too)."""
    global _secrets, _secret_re, _foreign_re
    found: set[str] = set()
    every: set[str] = set()
    for url in urls:
        if url:
            sure, maybe = _url_secrets(str(url))
            found |= sure | {piece for piece in maybe if _looks_secret(piece)}
            every |= sure | {piece for piece in maybe if len(piece) >= 3}
    with _secrets_lock:
        _secrets = tuple(sorted(found))
        _secret_re = _alternation(found)
        _foreign_re = _alternation(every)


def forget_secrets() -> None:
    """Clear the registered secrets (tests)."""
    global _secrets, _secret_re, _foreign_re
    with _secrets_lock:
        _secrets, _secret_re, _foreign_re = (), None, None


def redact(text: str, *, urls: bool = False) -> str:
    """``text`` with every registered secret replaced by ``…``; with ``urls=True`` (lines
    of third-party libraries, which may print any URL or path) every URL is also cut to
    its scheme and every piece of a notification URL is removed."""
    pattern = _foreign_re if urls else _secret_re
    if pattern is not None:
        text = pattern.sub("…", text)
    if urls:
        text = _URL_IN_TEXT.sub(lambda m: f"{m.group(1)}://…", text)
    return text


def redact_url(url: object) -> str:
    """A notification URL fit for a log line: its scheme only (``slack://…``)."""
    s = str(url).strip()
    try:
        scheme = urlsplit(s).scheme
    except ValueError:
        scheme = s.partition(":")[0] if ":" in s else ""
    if not scheme or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,30}", scheme):
        return "<malformed URL>"
    return f"{scheme}://…"


# ------------------------------------------------------------------ terminal and logs

_LEADING = re.compile(r"^[\s\u200b\u2060\ufeff]*")


def _no_command(line: str) -> str:
    """A runner reads ``::cmd::`` after leading whitespace, and ``##[cmd]`` anywhere."""
    start = _LEADING.match(line)
    lead = start.end() if start else 0
    if line.startswith("::", lead):
        line = f"{line[:lead]}: :{line[lead + 2 :]}"
    if "##[" in line:
        line = line.replace("##[", "# #[")
    return line


def terminal(text: object) -> str:
    """One safe line for stdout/stderr (see the module docstring)."""
    return _no_command(redact(clean(text)))


def log_text(text: object) -> str:
    """One safe log line: like ``terminal``."""
    return _no_command(redact(clean(text)))


def json_line(text: str) -> str:
    """A JSON document for a terminal: characters JSON leaves raw (C1, bidi, DEL, line
    separators) become ``\\uXXXX`` escapes, which they can only be inside JSON strings."""

    def esc(m: re.Match[str]) -> str:
        return "".join(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else c for c in m.group(0))

    lines = [_no_command(redact(_UNSAFE_JSON.sub(esc, line))) for line in text.split("\n")]
    return "\n".join(lines)


_UNSAFE_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)


class SafeFormatter(logging.Formatter):
    """Every line of every record (message, traceback) through ``log_text``; records of
    third-party loggers also lose every URL they print (Apprise logs whole URLs)."""

    def format(self, record: logging.LogRecord) -> str:
        foreign = not (record.name == "errwatch" or record.name.startswith("errwatch."))
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad %-format in a library must not kill a run
            message = f"{record.msg!r} {record.args!r}"
        saved = record.msg, record.args
        record.msg, record.args = log_text(redact(message, urls=foreign)), None
        try:
            text = super().format(record)
        finally:
            record.msg, record.args = saved
        # The message is one line now; a traceback (-vv) keeps its lines, each made safe.
        lines = [log_text(redact(line, urls=foreign)) for line in text.splitlines() or [""]]
        return "\n".join(lines)


# ------------------------------------------------------------------ GitHub annotations


def gh_data(text: object) -> str:
    """A workflow command's message: ``%``, CR and LF escaped (GitHub's toolkit rules)."""
    parts = re.split(r"([\r\n])", str(text))
    kept = "".join(p if p in ("\r", "\n") else clean(p) for p in parts)
    return redact(kept).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_prop(text: object) -> str:
    """A workflow command's property value: also ``:`` and ``,`` escaped."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


# ------------------------------------------------------------------ Markdown and chat

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these are the
# ones that can start markup inline (emphasis, code, links, images, HTML, entities,
# tables, strikethrough, math).  Autolinks are broken where they would start: a scheme's
# ":", "//", a dot inside a domain name, the "@" of an address or a mention.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~&$])")
_SCHEME = re.compile(r"(?<=\w):(?=\S)")  # https://…, mailto:…, javascript:… (GFM, linkify)
_SLASHES = re.compile(r"/(?=/)")  # "//evil.example" is a protocol-relative link (linkify)
_WORD_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_])")  # "www.evil.com", "evil.com" (fuzzy links)
_ZWSP = "\u200b"
_AT = re.compile(r"@(?=\S)")  # @everyone, @here, @user, user@host (email autolink)
# <@id> <@!id> <@&id> <#chan> <!here> </cmd:1>, also when Markdown-escaped (\<\!here\>)
_ANGLE_MENTION = re.compile(r"<(?=\\?[@!#/&:^])")


def _markup_free(text: object) -> str:
    """One line, no controls, and no ``<@id>``/``<!here>``-style mention left whole."""
    return _ANGLE_MENTION.sub("<" + _ZWSP, " ".join(clean(text).split()))


def md_text(text: object) -> str:
    """Inline CommonMark/GFM text that renders as itself (see the module docstring)."""
    s = _markup_free(text)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _SCHEME.sub(r"\\:", s)
    s = _SLASHES.sub(r"/\\", s)
    s = _WORD_DOT.sub(r"\\.", s)
    return _AT.sub("@" + _ZWSP, s)


def md_code(text: object) -> str:
    """An inert code span: names stay readable (INVALID_PAIR) and nothing in them acts."""
    value = _AT.sub("@" + _ZWSP, _markup_free(text))
    if not value:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value[0] in "` " or value[-1] in "` " else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def chat_text(body: object) -> str:
    """A whole chat body (our Markdown, lines kept) with mentions and controls neutralised."""
    lines = []
    for line in str(body).split("\n"):
        line = clean(line.rstrip("\r"))
        line = _ANGLE_MENTION.sub("<" + _ZWSP, line)
        line = _AT.sub("@" + _ZWSP, line)
        lines.append(redact(line))
    return "\n".join(lines)
