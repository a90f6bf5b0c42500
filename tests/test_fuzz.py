"""Seeded mutations of the real spot page through validate + parse (issue 9, "Done when").

500 mutations (byte flips, inserted and deleted bytes, inserted and removed tags, deep
nesting, comments and processing instructions in headings, control characters raw and
escaped, other encodings, truncation, and mixes of these) of
/work/shared/real-pages/spot.en.html.  Whatever the bytes, ``validate`` returns a value:
a good page or a failed (or quarantined) one with a one-line reason; no exception
escapes.  Mutations that change nothing a browser shows (a comment in a heading,
stripped control characters, the same text in another encoding) must give exactly the
original records, and deep nesting gives the whole page or a failure, never a page cut
short.  A few mutations also go through the local HTTP server.

Each case is reproducible from its seed: ``mutate(random.Random(seed), seed)``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pytest
from conftest import FIXTURES, SHARED, LocalSite, Reply

from scraper.fetch import FetchRequest, FetchSettings, fetch_all
from scraper.models import FetchResult, PageOutcome, Record
from scraper.parse import CONTROLS
from scraper.registry import build_registry
from scraper.validate import validate

REF = next(ref for ref in build_registry() if ref.id == "spot")
URL = REF.url("en", "http://127.0.0.1:9")
# The real page as served (tests/fixtures/pages/spot.en.html is a byte-identical copy, so
# a clone without ../shared runs the same mutations).
_SHARED_PAGE = SHARED / "real-pages" / "spot.en.html"
REAL_PAGE = _SHARED_PAGE if _SHARED_PAGE.exists() else FIXTURES / "pages" / "spot.en.html"
SPOT_CODES = 103
SEEDS = 500
CHUNKS = 5  # the seeds run as five tests of 100
HEADING_RE = re.compile(r'<h[2-4] class="anchor[^"]*" id="[^"]*">')
CODE_HEADING_RE = re.compile(r'(<h[34] class="anchor[^"]*" id="-?\d[^"]*">-?\d+)( ?[^<]*)')
TAG_RE = re.compile(r"<[^<>]{1,200}>")
CONTROL_RE = re.compile(f"[{re.escape(CONTROLS)}]")
TAGS = [
    "<div>",
    "</div>",
    "<h3>",
    "</h3>",
    "<h2>-1234 X</h2>",
    "<li>",
    "</li>",
    "<ul>",
    "</ul>",
    "<table>",
    "<tr><td>",
    "</td>",
    "<!--",
    "-->",
    "<script>",
    "</script>",
    "<br>",
    "<p>",
    "</article>",
    "<article>",
    '<a class="hash-link" href="#x">',
    "<![CDATA[",
    "<?pi?>",
    "<svg>",
    "<math>",
    "<template>",
    "<plaintext>",
    "<textarea>",
    "<ul><li>",
    "&#0;",
    "&#xD800;",
    "&#1114112;",
    "&#99999999999999999999;",
    "<h4>\x00",
    '<div class="x',
    "&",
    "<title>404 Not Found</title>",
    "<noscript>enable JavaScript</noscript>",
    "</html>",
    '<meta charset="gb18030">',
    "<base href=//evil.example/>",
    "<select>",
    "<xmp>",
]
CONTAINERS = ["div", "span", "section", "b", "blockquote", "details", "font", "em", "ul", "li"]
INVISIBLE_IN_HEADING = [
    "<!-- -->",
    "<!---->",
    "<?x?>",
    "<?php echo 1 ?>",
    "<!-- <h3>-1 X</h3> -->",
    "<!--\x00-->",
]
CONTROL_CHARS = [*"\x00\x01\x02\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f\x80\x85\x9f\ufffe\uffff"]
CONTROL_REFS = [
    "&#0;",
    "&#12;",
    "&#x0C;",
    "&#x1;",
    "&#27;",
    "&#x7F;",
    "&#65534;",
    "&#xFFFF;",
    "&#xd800;",
    "&#x110000;",
]


@dataclass(frozen=True)
class Case:
    what: str
    body: bytes
    content_type: str | None = "text/html; charset=utf-8"
    same_records: bool = False  # a browser would show the original page
    whole_or_failed: bool = False  # ok only with every original code


@lru_cache(maxsize=1)
def original_text() -> str:
    return REAL_PAGE.read_text("utf-8")


@lru_cache(maxsize=1)
def original() -> PageOutcome:
    out = judge(original_text().encode("utf-8"), "text/html; charset=utf-8")
    assert (
        out.status == "ok" and code_list(out.records) and len(code_list(out.records)) == SPOT_CODES
    )
    return out


def judge(body: bytes, content_type: str | None) -> PageOutcome:
    result = FetchResult(
        "spot", "en", URL, final_url=URL, http_status=200, body=body, content_type=content_type
    )
    return validate(result, REF, baseline_count=SPOT_CODES)


def code_list(records: tuple[Record, ...] | None) -> list[int]:
    return [r.code for r in records or () if r.code is not None]


# --- mutations ----------------------------------------------------------------------------


def _flip(rnd: random.Random, data: bytes) -> tuple[str, bytes]:
    """Mostly ASCII-preserving flips (the page stays UTF-8 and reaches the parser)."""
    buf = bytearray(data)
    spots = [rnd.randrange(len(buf)) for _ in range(rnd.randint(1, 6))]
    for i in spots:
        buf[i] ^= (
            rnd.randint(1, 127) if buf[i] < 0x80 and rnd.random() < 0.8 else rnd.randint(1, 255)
        )
    return f"flip bytes at {spots}", bytes(buf)


def _insert_bytes(rnd: random.Random, data: bytes) -> tuple[str, bytes]:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        i = rnd.randrange(len(buf))
        top = 128 if rnd.random() < 0.7 else 256
        buf[i:i] = bytes(rnd.randrange(top) for _ in range(rnd.randint(1, 12)))
    return "insert random bytes", bytes(buf)


def _delete_bytes(rnd: random.Random, data: bytes) -> tuple[str, bytes]:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        i = rnd.randrange(len(buf))
        del buf[i : i + rnd.randint(1, 400)]
    return "delete byte ranges", bytes(buf)


def _truncate(rnd: random.Random, data: bytes) -> tuple[str, bytes]:
    cut = rnd.randrange(len(data))
    return f"truncate at {cut}", data[:cut]


def _insert_tags(rnd: random.Random, text: str) -> tuple[str, str]:
    picked = [rnd.choice(TAGS) for _ in range(rnd.randint(1, 10))]
    bounds = [m.start() for m in TAG_RE.finditer(text)]
    for tag in picked:
        i = rnd.choice(bounds) if rnd.random() < 0.7 else rnd.randrange(len(text))
        text = text[:i] + tag + text[i:]
    return f"insert {picked!r}", text


def _remove_tags(rnd: random.Random, text: str) -> tuple[str, str]:
    tags = list(TAG_RE.finditer(text))
    gone = sorted(rnd.sample(range(len(tags)), rnd.randint(1, 40)), reverse=True)
    for k in gone:
        text = text[: tags[k].start()] + text[tags[k].end() :]
    return f"remove {len(gone)} tags", text


def _nest(rnd: random.Random, text: str) -> tuple[str, str]:
    heads = [m.start() for m in HEADING_RE.finditer(text)]
    depth = rnd.choice([rnd.randint(100, 400), rnd.randint(400, 1000), rnd.randint(2100, 4000)])
    tag = rnd.choice(CONTAINERS)
    at = rnd.choice(heads)
    if rnd.random() < 0.5:  # nested before a heading, closed again
        inner = f"<{tag}>" * depth + f"</{tag}>" * depth
        return f"{depth} <{tag}> before a heading", text[:at] + inner + text[at:]
    end = rnd.choice([h for h in heads if h >= at] + [text.index("</article>")])
    return (
        f"{depth} <{tag}> around headings",
        text[:at] + f"<{tag}>" * depth + text[at:end] + f"</{tag}>" * depth + text[end:],
    )


def _invisible_in_headings(rnd: random.Random, text: str) -> tuple[str, str]:
    matches = list(CODE_HEADING_RE.finditer(text))
    chosen = sorted(rnd.sample(range(len(matches)), rnd.randint(1, 12)), reverse=True)
    for k in chosen:
        m = matches[k]
        mark = rnd.choice(INVISIBLE_IN_HEADING)
        cut = rnd.choice([m.end(1), m.end(2)])  # after the code or after the name
        text = text[:cut] + mark + text[cut:]
    return f"comments/PIs in {len(chosen)} code headings", text


def _controls(rnd: random.Random, text: str) -> tuple[str, str]:
    """Raw control characters anywhere; references only where they cannot join a word."""
    spaces = [m.start() for m in re.finditer(r"[ <]", text)]
    inserts = [
        (rnd.randrange(len(text)), rnd.choice(CONTROL_CHARS))
        if rnd.random() < 0.5
        else (rnd.choice(spaces), rnd.choice(CONTROL_REFS))
        for _ in range(rnd.randint(1, 30))
    ]
    for i, mark in sorted(inserts, reverse=True):  # from the end: positions stay right
        text = text[:i] + mark + text[i:]
    return "control characters", text


def _reencode(rnd: random.Random, text: str) -> Case:
    how = rnd.choice(["header", "bom", "meta"])
    enc = rnd.choice(["gb18030", "utf-16-le", "utf-16-be", "utf-8", "big5hkscs"])
    plain = text.replace('<meta charset="UTF-8">', "")
    if enc == "big5hkscs":  # not every character exists there: keep the header route
        how = "header"
        plain = plain.encode(enc, "ignore").decode(enc)
    if how == "header":
        return Case(
            f"{enc} named in the header",
            plain.encode(enc),
            f"text/html; charset={enc}",
            same_records=enc != "big5hkscs",
        )
    if how == "bom" and enc.startswith("utf"):
        bom = {"utf-8": "\ufeff", "utf-16-le": "\ufeff", "utf-16-be": "\ufeff"}[enc]
        return Case(f"{enc} with a BOM", (bom + plain).encode(enc), "text/html", same_records=True)
    if enc.startswith("utf-16"):
        enc = "gb18030"
    head = plain.index("<head>") + len("<head>")
    body = (plain[:head] + f'<meta charset="{enc}">' + plain[head:]).encode(enc)
    return Case(f"{enc} named in <meta>", body, rnd.choice(["text/html", None]), same_records=True)


def _wrong_charset(rnd: random.Random, data: bytes) -> Case:
    enc = rnd.choice(
        ["iso-8859-1", "windows-1252", "gb2312", "shift_jis", "utf-16", "ascii", "koi8-r"]
    )
    return Case(f"utf-8 body served as {enc}", data, f"text/html; charset={enc}")


ByteMutation = Callable[[random.Random, bytes], tuple[str, bytes]]
TextMutation = Callable[[random.Random, str], tuple[str, str]]
BYTES: list[ByteMutation] = [_flip, _insert_bytes, _delete_bytes, _truncate]
TEXTS: list[TextMutation] = [_insert_tags, _remove_tags, _nest, _invisible_in_headings, _controls]
KINDS = [*BYTES, *TEXTS, _reencode, _wrong_charset, "mix"]


def mutate(rnd: random.Random, seed: int) -> Case:
    kind = KINDS[seed % len(KINDS)]
    text = original_text()
    data = text.encode("utf-8")
    if kind == "mix":
        parts: list[str] = []
        for step in rnd.sample(TEXTS, 2):
            what, text = step(rnd, text)
            parts.append(what)
        what, data = rnd.choice(BYTES)(rnd, text.encode("utf-8"))
        return Case(" + ".join([*parts, what]), data)
    if kind in BYTES:
        what, data = kind(rnd, data)  # type: ignore[operator]
        return Case(what, data)
    if kind in (_reencode, _wrong_charset):
        return kind(rnd, text if kind is _reencode else data)  # type: ignore[operator]
    what, text = kind(rnd, text)  # type: ignore[operator]
    return Case(
        what,
        text.encode("utf-8"),
        same_records=kind in (_invisible_in_headings, _controls),
        whole_or_failed=kind is _nest,
    )


# --- the property -------------------------------------------------------------------------


def problems(case: Case, out: PageOutcome) -> list[str]:
    """What is wrong with ``out`` as the outcome of ``case`` (empty: nothing)."""
    found: list[str] = []
    if not isinstance(out, PageOutcome) or out.status not in ("ok", "failed", "quarantined"):
        return [f"not an outcome: {out!r}"]
    if out.status == "ok":
        if out.reason is not None or out.records is None or out.markdown is None:
            found.append("ok without records/markdown, or with a reason")
        for r in out.records or ():
            texts = [r.name, r.section, r.description, r.anchor, *r.messages]
            if any(t and CONTROL_RE.search(t) for t in texts):
                found.append(f"control character in record {r.code}: {texts!r}")
                break
            if len(r.messages) != len(r.message_langs):
                found.append(f"record {r.code}: messages and message_langs differ in length")
    elif not out.reason or "\n" in out.reason or len(out.reason) > 400:
        found.append(f"{out.status} without a one-line reason: {out.reason!r}")
    base = original()
    if case.same_records:
        if out.status != "ok":
            found.append(f"expected the original page, got {out.status}: {out.reason}")
        elif out.records != base.records:
            found.append("records differ from the original")
        elif "control" in case.what and out.markdown != base.markdown:
            found.append("markdown differs from the original")
    if (
        case.whole_or_failed
        and out.status == "ok"
        and code_list(out.records) != code_list(base.records)
    ):
        found.append(f"cut short: {len(code_list(out.records))} of {SPOT_CODES} codes stored as ok")
    return found


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_mutations_of_the_real_page_are_a_good_page_or_a_failed_one(chunk: int) -> None:
    bad: list[str] = []
    statuses: dict[str, int] = {}
    for seed in range(chunk * SEEDS // CHUNKS, (chunk + 1) * SEEDS // CHUNKS):
        case = mutate(random.Random(seed), seed)
        try:
            out = judge(case.body, case.content_type)
        except Exception as exc:  # noqa: BLE001 - the property under test
            bad.append(f"seed {seed} ({case.what}): raised {type(exc).__name__}: {exc}")
            continue
        statuses[out.status] = statuses.get(out.status, 0) + 1
        bad.extend(f"seed {seed} ({case.what[:120]}): {p}" for p in problems(case, out))
    assert not bad, "\n".join(bad[:20])
    assert statuses.get("ok", 0) and statuses.get("failed", 0), statuses  # both kinds were made


def test_every_kind_of_mutation_is_made() -> None:
    whats = [mutate(random.Random(seed), seed).what for seed in range(SEEDS)]
    for needle in (
        "flip",
        "insert random",
        "delete",
        "truncate",
        "insert [",
        "remove",
        "before a heading",
        "around headings",
        "comments/PIs",
        "control",
        "header",
        "BOM",
        "<meta>",
        "served as",
        " + ",
    ):
        assert any(needle in w for w in whats), needle


@pytest.mark.parametrize("seed", [3, 7, 22, 41, 66, 97])
def test_mutations_through_the_local_server(site: LocalSite, seed: int) -> None:
    """The same property with the body served over HTTP and fetched by scraper.fetch."""
    case = mutate(random.Random(seed), seed)
    headers = {"Content-Type": case.content_type} if case.content_type else {"Content-Type": ""}
    site.set(REF.url_path("en"), Reply(body=case.body, headers=headers))
    settings = FetchSettings(connect_timeout=2, read_timeout=2, retries=0, backoff=0)
    [result] = fetch_all([FetchRequest("spot", "en", REF.url("en", site.base_url))], settings)
    out = validate(result, REF, baseline_count=SPOT_CODES)
    assert not problems(case, out), (case.what, problems(case, out))
    direct = judge(case.body, case.content_type or None)
    assert (out.status, out.records) == (direct.status, direct.records)
