#!/usr/bin/env python3
"""Build realistic HTML fixtures and golden expectations from the seed pages.

Why this exists: the parser has to be tested on pages shaped the way
developers.binance.com serves them (Docusaurus shell, hash links holding a U+200B,
h3/h4 code headings, message tables with <br>, a TOC column full of code texts outside
the article), but apart from one real page we only have text renderings of the pages
(the seeds, copied from ../shared/seeds into tests/fixtures/seeds).  This tool parses every seed into a small, editable
model (:class:`PageModel`), renders the model into the real page's HTML shape and
derives the expected records straight from the model, so the golden tests never lean
on the project's own parser.  The real spot page gets its expectation from an
independent lxml extraction (:func:`expected_from_html`), which is also used to check
that every rendered fixture round-trips to its model.

Run ``python tools/build_fixtures.py``: deterministic, rewrites
``tests/fixtures/pages/<page>.<locale>.html`` (never the real ``spot.en.html``) and
``tests/fixtures/expected/<page>.<locale>.json``.

Reusable API (the offline demo edits copies of these models)::

    model = load_seed_model("usds-futures", "en")
    model.find(-4087).rename("SOMETHING_ELSE")      # or .renumber(-4144)
    model.remove_code(-1003); model.find(-1000).messages = ["new text"]
    html = render_page(model)                       # page id / locale default to the model's

Inline text in the model is a tiny markup: ```code```, ``**bold**``, ``[text](href)``,
and ``\\n`` for a line break (<br>); everything else is literal (escaped on render).
"""

from __future__ import annotations

import copy
import html as htmllib
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "tests" / "fixtures" / "seeds"  # a copy of ../shared/seeds, kept in the repo
REAL_PAGES_DIR = ROOT.parent / "shared" / "real-pages"
FIXTURES_DIR = ROOT / "tests" / "fixtures"
PAGES_TOML = ROOT / "scraper" / "data" / "pages.toml"
SITE = "https://developers.binance.com"
ZWSP = "\u200b"

# --------------------------------------------------------------------------- model


@dataclass
class Paragraph:
    """A <p>; ``text`` is inline markup."""

    text: str


@dataclass
class BulletList:
    """A <ul>; ``loose`` lists wrap each item in <p> (markdown items separated by blank lines)."""

    items: list[str]
    loose: bool = False


@dataclass
class Table:
    """A message table; cells are inline markup (``\\n`` = <br>)."""

    header: list[str]
    rows: list[list[str]]


@dataclass
class CodeBlock:
    """A Prism code block (the JSON error payload example)."""

    code: str
    language: str = "javascript"


@dataclass
class Quote:
    """A one-paragraph <blockquote>."""

    text: str


Block = Paragraph | BulletList | Table | CodeBlock | Quote


@dataclass
class CodeEntry:
    """One error-code heading and the blocks under it (until the next heading)."""

    code: int
    name: str | None
    blocks: list[Block] = field(default_factory=list)
    level: int = 3
    anchor: str | None = None  # None: Docusaurus slug of the heading text, made unique

    @property
    def heading(self) -> str:
        return f"{self.code} {self.name}" if self.name else str(self.code)

    @property
    def messages(self) -> list[str]:
        """Bullet items (inline markup) of all lists under the heading, in order."""
        return [item for b in self.blocks if isinstance(b, BulletList) for item in b.items]

    @messages.setter
    def messages(self, items: list[str]) -> None:
        """Replace all bullets with one list (kept where the first list was)."""
        lists = [i for i, b in enumerate(self.blocks) if isinstance(b, BulletList)]
        at = lists[0] if lists else len(self.blocks)
        self.blocks = [b for b in self.blocks if not isinstance(b, BulletList)]
        if items:
            self.blocks.insert(min(at, len(self.blocks)), BulletList(list(items)))

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Paragraph)]

    def rename(self, name: str | None) -> CodeEntry:
        """New name; the anchor follows the heading like Docusaurus would."""
        self.name = name
        self.anchor = None
        return self

    def renumber(self, code: int) -> CodeEntry:
        self.code = code
        self.anchor = None
        return self


@dataclass
class Section:
    """An h2 that is not a code heading, its own blocks, then its code entries."""

    title: str | None  # None: code headings before any h2
    anchor: str | None = None
    blocks: list[Block] = field(default_factory=list)
    entries: list[CodeEntry] = field(default_factory=list)


@dataclass
class Link:
    label: str
    href: str


@dataclass
class PageModel:
    """One page in one locale, as the seed shows it."""

    page: str
    locale: str
    title: str
    intro: list[Block] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    breadcrumbs: list[str] = field(default_factory=list)  # between Home and the page itself
    prev: Link | None = None
    next: Link | None = None
    source: str = ""

    def entries(self) -> Iterator[CodeEntry]:
        for s in self.sections:
            yield from s.entries

    def find(self, code: int, nth: int = 0) -> CodeEntry:
        """The ``nth`` (0-based) heading with this code."""
        hits = [e for e in self.entries() if e.code == code]
        if len(hits) <= nth:
            raise KeyError(f"{self.page}.{self.locale}: no occurrence {nth} of code {code}")
        return hits[nth]

    def section(self, title: str) -> Section:
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(f"{self.page}.{self.locale}: no section {title!r}")

    def remove_code(self, code: int, nth: int = 0) -> CodeEntry:
        entry = self.find(code, nth)
        for s in self.sections:
            if entry in s.entries:
                s.entries.remove(entry)
        return entry

    def add_code(self, section: str, entry: CodeEntry, after: int | None = None) -> CodeEntry:
        """Insert ``entry`` into ``section``, after the code ``after`` (default: at the end)."""
        sec = self.section(section)
        if after is None:
            sec.entries.append(entry)
        else:
            idx = next(i for i, e in enumerate(sec.entries) if e.code == after)
            sec.entries.insert(idx + 1, entry)
        return entry

    def copy(self) -> PageModel:
        return copy.deepcopy(self)


# --------------------------------------------------------------------------- text helpers

_INLINE_RE = re.compile(r"`([^`]*)`|\*\*(.+?)\*\*|\[([^\]]*)\]\(([^)\s]*)\)")
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_CODE_HEADING_RE = re.compile(r"^(-\d+)(?:\s+(.*\S))?\s*$")


def collapse(text: str) -> str:
    """Whitespace-insensitive form used by every comparison."""
    return " ".join(text.split())


def md_unescape(text: str) -> str:
    """Undo markdown backslash escapes outside inline code (``REDUCE\\_ONLY``)."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else _MD_ESCAPE_RE.sub(r"\1", p) for p in parts)


def inline_html(text: str) -> str:
    """Render inline markup to HTML, escaping everything else like React does."""
    out: list[str] = []
    pos = 0
    for m in _INLINE_RE.finditer(text):
        out.append(_esc_text(text[pos : m.start()]))
        if m.group(1) is not None:
            out.append(f"<code>{_esc_text(m.group(1))}</code>")
        elif m.group(2) is not None:
            out.append(f"<strong>{inline_html(m.group(2))}</strong>")
        else:
            out.append(f'<a href="{htmllib.escape(m.group(4))}">{inline_html(m.group(3))}</a>')
        pos = m.end()
    out.append(_esc_text(text[pos:]))
    return "".join(out)


def _esc_text(s: str) -> str:
    return htmllib.escape(s).replace("\n", "<br>")


def plain_text(text: str) -> str:
    """Inline markup reduced to its text (line breaks become spaces)."""
    s = _INLINE_RE.sub(
        lambda m: m.group(1) if m.group(1) is not None else (m.group(2) or m.group(3) or ""), text
    )
    return s.replace("\n", " ")


def slugify(text: str) -> str:
    """Docusaurus (github-slugger) style id: lower case, punctuation dropped, spaces to '-'."""
    s = text.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def table_messages(cell: str) -> list[str]:
    """Messages of a table's message cell, quotes stripped: '"A" / "B"' holds two; a
    period after the closing quote is sentence punctuation, not part of the message; a
    lone stray quote is dropped."""
    s = collapse(cell)
    if re.fullmatch(r'"[^"]*"(?:\s*/\s*"[^"]*")+', s):
        return [collapse(q) for q in re.findall(r'"([^"]*)"', s)]
    if m := re.fullmatch(r'"(.*)"(\.?)', s):
        s = m.group(1)
    elif s.startswith('"') != s.endswith('"'):
        s = s.strip('"')
    return [s] if s else []


def resolve_anchors(model: PageModel) -> dict[int, str]:
    """id() of each heading object -> its unique anchor, in page order (like Docusaurus)."""
    used: dict[str, int] = {}
    out: dict[int, str] = {}

    def take(obj: object, wanted: str) -> None:
        anchor = wanted
        if anchor in used:
            used[wanted] += 1
            anchor = f"{wanted}-{used[wanted]}"
        used.setdefault(anchor, 0)
        out[id(obj)] = anchor

    for sec in model.sections:
        if sec.title is not None:
            take(sec, sec.anchor or slugify(plain_text(sec.title)))
        for e in sec.entries:
            take(e, e.anchor or slugify(plain_text(e.heading)))
    return out


# --------------------------------------------------------------------------- seeds

SeedRef = tuple[str, str, int]  # file name, format ("md"/"plain"), part index in the file

SEEDS: dict[tuple[str, str], SeedRef] = {
    ("coin-futures", "en"): ("coin-futures.en+zh-CN.2026-01.md", "md", 0),
    ("coin-futures", "zh-CN"): ("coin-futures.en+zh-CN.2026-01.md", "md", 1),
    ("institutional-loan", "en"): ("institutional-loan.en+zh-CN.2026-01.md", "md", 0),
    ("institutional-loan", "zh-CN"): ("institutional-loan.en+zh-CN.2026-01.md", "md", 1),
    ("portfolio-margin", "zh-CN"): ("portfolio-margin.zh-CN.md", "md", 0),
    ("usds-futures", "en"): ("usds-futures.en.plain.txt", "plain", 0),
    ("wallet", "en"): ("wallet.en.md", "md", 0),
}

# Shell data the seeds do not carry: sidebar product label and a neighbour for pagination.
_PRODUCTS: dict[str, tuple[str, str, str]] = {
    # page: (en label, zh label, docs root used for the sidebar and pagination links)
    "coin-futures": ("Derivatives Trading", "衍生品交易", "derivatives/coin-margined-futures"),
    "usds-futures": ("Derivatives Trading", "衍生品交易", "derivatives/usds-margined-futures"),
    "portfolio-margin": ("Portfolio Margin", "统一账户", "derivatives/portfolio-margin"),
    "institutional-loan": ("Institutional Loan", "机构借贷", "institutional_loan"),
    "wallet": ("Wallet", "钱包", "wallet"),
}


def seed_pages() -> list[tuple[str, str]]:
    """Every (page, locale) a seed exists for."""
    return sorted(SEEDS)


def page_paths() -> dict[str, str]:
    """Page id -> docs path, read from the project's registry data."""
    return dict(tomllib.loads(PAGES_TOML.read_text("utf-8"))["pages"])


def docs_path(page_id: str, locale: str) -> str:
    """/docs/[zh-CN/]<path> of a page."""
    prefix = "/docs/" if locale == "en" else f"/docs/{locale}/"
    return prefix + page_paths()[page_id].strip("/")


def _seed_part(name: str, index: int) -> str:
    text = SEEDS_DIR.joinpath(name).read_text("utf-8")
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = lines.index("---", 1)
        lines = lines[end + 1 :]
    parts: list[list[str]] = [[]]
    for line in lines:
        if line == "---":  # the en/zh-CN separator (table rules look like ---|---)
            parts.append([])
        else:
            parts[-1].append(line)
    return "\n".join(parts[index])


def load_seed_model(page: str, locale: str) -> PageModel:
    """Parse the seed of ``page``/``locale`` into a fresh, editable model."""
    name, fmt, index = SEEDS[(page, locale)]
    text = _seed_part(name, index)
    model = (
        parse_plain_seed(text, page, locale)
        if fmt == "plain"
        else parse_markdown_seed(text, page, locale)
    )
    model.source = f"seeds/{name}"
    _fill_shell_defaults(model)
    return model


def _fill_shell_defaults(model: PageModel) -> None:
    en_label, zh_label, root = _PRODUCTS[model.page]
    zh = model.locale != "en"
    if not model.breadcrumbs:
        model.breadcrumbs = [zh_label if zh else en_label]
    prefix = "/docs/" if not zh else f"/docs/{model.locale}/"
    if model.prev is None:
        model.prev = Link("基本信息" if zh else "General Info", f"{prefix}{root}/general-info")
    if model.next is None:
        model.next = Link("常见问题" if zh else "FAQ", f"{prefix}{root}/faq")


# --------------------------------------------------------------------------- markdown seeds

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_HASHLINK_RE = re.compile(r'\[\]\(([^)\s]*?)#([^)\s"]+)(?:\s+"[^"]*")?\)\s*$')
_BULLET_RE = re.compile(r"^\s{0,3}[*+-]\s+(.*)$")
_GLUED_RE = re.compile(r"\s{2,}\*\s+")  # "  * A.  * B": two bullets glued on one line
_CONT_BULLET_RE = re.compile(r"^\s+\\\*\s+(.*)$")  # "  \xa0\* B": a glued bullet on its own line
_TABLE_SEP_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_PAGINATION_RE = re.compile(
    r"\[(上一页|Previous)\s+(.*?)\]\(([^)]*)\)|\[(下一页|Next)\s+(.*?)\]\(([^)]*)\)", re.DOTALL
)


def parse_markdown_seed(text: str, page: str, locale: str) -> PageModel:
    """Markdown seeds (markdownify output or similar) -> model."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    lines = text.split("\n")
    title_at = next(i for i, l in enumerate(lines) if l.startswith("# "))
    crumbs = [
        md_unescape(m.group(1).strip()) for l in lines[:title_at] if (m := _BULLET_RE.match(l))
    ]
    model = PageModel(page=page, locale=locale, title=md_unescape(lines[title_at][2:].strip()))
    body = lines[title_at + 1 :]
    # The page shell's tail (pagination, then the TOC) is not part of the article.
    tail_at = next(
        (i for i, l in enumerate(body) if re.match(r"^\[(上一页|Previous)\s*$", l)), None
    )
    seed_toc: list[tuple[int, str, str]] = []
    if tail_at is not None:
        tail = "\n".join(body[tail_at:])
        for m in _PAGINATION_RE.finditer(tail):
            if m.group(1):
                model.prev = Link(collapse(m.group(2)), m.group(3))
            else:
                model.next = Link(collapse(m.group(5)), m.group(6))
        for l in body[tail_at:]:
            if m := re.match(r"^(\s*)[*+]\s+\[(.*)\]\(([^)]*)\)\s*$", l):
                seed_toc.append((2 if not m.group(1) else 3, md_unescape(m.group(2)), m.group(3)))
        body = body[:tail_at]
    if crumbs:
        model.breadcrumbs = crumbs[:-1]  # the last crumb is the page itself
    _parse_md_body(body, model)
    if seed_toc:
        _check_seed_toc(model, seed_toc)
    return model


def _parse_md_body(lines: list[str], model: PageModel) -> None:
    """Walk the article's lines, filling intro, sections and entries."""
    target: list[Block] = model.intro
    section: Section | None = None
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if m := _HEADING_RE.match(line):
            level, raw = len(m.group(1)), m.group(2)
            anchor = None
            if hm := _HASHLINK_RE.search(raw):
                anchor = hm.group(2)
                raw = raw[: hm.start()]
            text = md_unescape(raw.strip())
            if cm := _CODE_HEADING_RE.match(text):
                entry = CodeEntry(int(cm.group(1)), cm.group(2), level=level, anchor=anchor)
                if section is None:
                    section = Section(None)
                    model.sections.append(section)
                section.entries.append(entry)
                target = entry.blocks
            elif level == 2:
                section = Section(text, anchor)
                model.sections.append(section)
                target = section.blocks
            else:
                raise ValueError(
                    f"{model.page}.{model.locale}: unexpected non-code h{level}: {text!r}"
                )
            i += 1
            continue
        if stripped.startswith("```"):
            lang = stripped[3:].strip()
            j = i + 1
            while j < n and not lines[j].strip().startswith("```"):
                j += 1
            code = "\n".join(l.rstrip() for l in lines[i + 1 : j]).strip("\n")
            target.append(CodeBlock(code, "javascript" if lang in ("", "json") else lang))
            i = j + 1
            continue
        if "|" in line and i + 1 < n and _TABLE_SEP_RE.match(lines[i + 1]):
            i = _parse_md_table(lines, i, target)
            continue
        if _BULLET_RE.match(line):
            i = _parse_md_list(lines, i, target)
            continue
        if line.startswith("    "):  # indented code block
            j = i
            code_lines: list[str] = []
            while j < n and (lines[j].startswith("    ") or not lines[j].strip()):
                code_lines.append(lines[j][4:].rstrip())
                j += 1
            target.append(CodeBlock("\n".join(code_lines).strip("\n")))
            i = j
            continue
        if stripped.startswith(">"):
            quote: list[str] = []
            while i < n and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].strip())
                i += 1
            target.append(Quote(md_unescape(" ".join(quote))))
            continue
        para: list[str] = []
        while i < n and lines[i].strip() and not _is_block_start(lines, i):
            para.append(lines[i])
            i += 1
        target.append(Paragraph(_join_paragraph(para)))


def _is_block_start(lines: list[str], i: int) -> bool:
    line = lines[i]
    return bool(
        _HEADING_RE.match(line)
        or _BULLET_RE.match(line)
        or line.strip().startswith(("```", ">"))
        or ("|" in line and i + 1 < len(lines) and _TABLE_SEP_RE.match(lines[i + 1]))
    )


def _join_paragraph(raw: list[str]) -> str:
    """Markdown paragraph lines: two trailing spaces are a hard break, else a space."""
    out = ""
    for k, line in enumerate(raw):
        piece = md_unescape(line.strip())
        if k:
            out += "\n" if raw[k - 1].endswith("  ") else " "
        out += piece
    return out


def _parse_md_list(lines: list[str], i: int, target: list[Block]) -> int:
    """A bullet list; glued bullets are split back into separate items."""
    items: list[str] = []
    loose = False
    n = len(lines)
    while i < n:
        line = lines[i]
        if (m := _BULLET_RE.match(line)) or (m := _CONT_BULLET_RE.match(line)):
            items.extend(_unglue(m.group(1)))
            i += 1
        elif not line.strip():
            j = i
            while j < n and not lines[j].strip():
                j += 1
            # A bullet right after a single blank line continues a loose list; the seeds
            # end every list with three blank lines or a heading.
            if (
                j < n
                and _BULLET_RE.match(lines[j])
                and j - i == 1
                and not _HEADING_RE.match(lines[j])
            ):
                loose = True
                i = j
            else:
                break
        elif line.startswith("  ") and items:  # lazy continuation of the last item
            items[-1] += " " + md_unescape(line.strip())
            i += 1
        else:
            break
    target.append(BulletList(items, loose))
    return i


def _unglue(text: str) -> list[str]:
    return [md_unescape(p.strip()) for p in _GLUED_RE.split(text.rstrip()) if p.strip()]


def _parse_md_table(lines: list[str], i: int, target: list[Block]) -> int:
    """Two table dialects: '| a | b |' rows, and markdownify's 'a| b' rows whose cells
    continue on following lines (each line break in a cell was a <br>)."""
    n = len(lines)
    pipe_style = lines[i].strip().startswith("|")
    header = _split_row(lines[i], pipe_style)
    rows: list[list[list[str]]] = []  # row -> cell -> lines
    i += 2
    while i < n:
        line = lines[i]
        if line == "" or _HEADING_RE.match(line):
            break
        if "|" in line:
            rows.append([[c] for c in _split_row(line, pipe_style)])
        elif rows:
            rows[-1][-1].append(line.strip())
        i += 1
    table = Table([md_unescape(h) for h in header], [])
    for row in rows:
        cells = []
        for cell_lines in row:
            while len(cell_lines) > 1 and not cell_lines[-1]:
                cell_lines.pop()
            cell = "\n".join(c.strip() for c in cell_lines)
            if pipe_style:  # this dialect flattened each <br> into a run of spaces
                cell = re.sub(r" {3,}", "\n", cell)
            cells.append(md_unescape(cell))
        table.rows.append(cells)
    target.append(table)
    return i


def _split_row(line: str, pipe_style: bool) -> list[str]:
    s = line.strip()
    if pipe_style:
        return [c.strip() for c in s.strip("|").split(" | ")]
    first, _, rest = s.partition("|")
    return [first.strip(), rest.strip()]


def _check_seed_toc(model: PageModel, toc: list[tuple[int, str, str]]) -> None:
    """The seed's own TOC must equal the one rendered from the model (h2 + h3)."""
    anchors = resolve_anchors(model)
    mine = [(lvl, plain_text(text), anchor) for lvl, text, anchor in _toc_items(model, anchors)]
    theirs = [(lvl, text, href.split("#", 1)[1]) for lvl, text, href in toc]
    if mine != theirs:
        raise ValueError(f"{model.page}.{model.locale}: seed TOC differs from the headings")


# --------------------------------------------------------------------------- plain-text seed


def parse_plain_seed(text: str, page: str, locale: str) -> PageModel:
    """Reader-view text: chunks between blank lines; a chunk followed by a code heading
    is an h2, a line starting with a negative code is a code heading, "•" are bullets."""
    chunks: list[list[str]] = []
    cur: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            chunks.append(cur)
            cur = []
    if cur:
        chunks.append(cur)
    if chunks and chunks[0] == ["Skip to main content"]:
        chunks.pop(0)
    model = PageModel(page=page, locale=locale, title=chunks[0][0].strip())
    target: list[Block] = model.intro
    section: Section | None = None

    def is_code(chunk: list[str]) -> bool:
        return len(chunk) == 1 and bool(_CODE_HEADING_RE.match(chunk[0].strip()))

    for k, chunk in enumerate(chunks[1:], start=1):
        first = chunk[0].strip()
        if is_code(chunk):
            m = _CODE_HEADING_RE.match(first)
            assert m
            entry = CodeEntry(int(m.group(1)), m.group(2), level=3)
            if section is None:
                section = Section(None)
                model.sections.append(section)
            section.entries.append(entry)
            target = entry.blocks
        elif all(l.strip().startswith("•") for l in chunk):
            target.append(BulletList([l.strip()[1:].strip() for l in chunk]))
        elif first == "{" and chunk[-1].strip() == "}":
            target.append(
                CodeBlock(
                    "\n".join(l.strip() if l.strip() in "{}" else "  " + l.strip() for l in chunk)
                )
            )
        elif len(chunk) == 1 and k + 1 < len(chunks) and is_code(chunks[k + 1]):
            section = Section(first)
            model.sections.append(section)
            target = section.blocks
        else:
            target.append(Paragraph("\n".join(l.strip() for l in chunk)))
    return model


# --------------------------------------------------------------------------- rendering

_HEAD_LABELS = {
    "en": {
        "site": "Binance Open Platform",
        "direct": "Direct link to {}",
        "on_page": "On this page",
        "prev": "Previous",
        "next": "Next",
        "home": "Home page",
        "skip": "Skip to main content",
        "lang": "English",
    },
    "zh-CN": {
        "site": "币安开放平台",
        "direct": "{}的直接链接",
        "on_page": "本页总览",
        "prev": "上一页",
        "next": "下一页",
        "home": "主页面",
        "skip": "跳到主要内容",
        "lang": "简体中文",
    },
}


def _toc_items(model: PageModel, anchors: dict[int, str]) -> list[tuple[int, str, str]]:
    """(level, inline text, anchor) of the h2/h3 headings: Docusaurus' default TOC depth."""
    items: list[tuple[int, str, str]] = []
    for sec in model.sections:
        if sec.title is not None:
            items.append((2, sec.title, anchors[id(sec)]))
        for e in sec.entries:
            if e.level <= 3:
                items.append((e.level, e.heading, anchors[id(e)]))
    return items


def render_page(model: PageModel, page_id: str | None = None, locale: str | None = None) -> str:
    """The model as a full Docusaurus page shaped like the real spot.en.html."""
    page_id = page_id or model.page
    locale = locale or model.locale
    labels = _HEAD_LABELS["en" if locale == "en" else "zh-CN"]
    path = docs_path(page_id, locale)
    en_path, zh_path = docs_path(page_id, "en"), docs_path(page_id, "zh-CN")
    canonical = SITE + path
    anchors = resolve_anchors(model)
    esc = htmllib.escape
    title = plain_text(model.title)
    page_title = f"{title} | {labels['site']}"
    description = next(
        (collapse(plain_text(b.text))[:80] for b in model.intro if isinstance(b, Paragraph)), title
    )
    product = model.breadcrumbs[0] if model.breadcrumbs else title
    doc_id = page_paths()[page_id].strip("/")
    og_locale, og_alt = ("en", "zh_CN") if locale == "en" else ("zh_CN", "en")

    def heading(tag: int, inline: str, anchor: str) -> str:
        label = esc(labels["direct"].format(collapse(plain_text(inline))))
        return (
            f'<h{tag} class="anchor anchorWithStickyNavbar_fMI7" id="{esc(anchor)}">{inline_html(inline)}'
            f'<a class="hash-link" aria-label="{label}" title="{label}" href="{esc(path)}#{esc(anchor)}">'
            f"{ZWSP}</a></h{tag}>"
        )

    article: list[str] = [
        f'<meta name="docsearch:sidebar" content="{esc(doc_id.split("/")[0])}">\n  \n',
        f"<h1>{inline_html(model.title)}</h1>\n",
    ]
    article += [_render_block(b) for b in model.intro]
    for sec in model.sections:
        if sec.title is not None:
            article.append(heading(2, sec.title, anchors[id(sec)]) + "\n")
        article += [_render_block(b) for b in sec.blocks]
        for e in sec.entries:
            article.append(heading(e.level, e.heading, anchors[id(e)]) + "\n")
            article += [_render_block(b) for b in e.blocks]

    toc: list[str] = ['<ul class="table-of-contents table-of-contents__left-border">']
    open_sub = False
    items = _toc_items(model, anchors)
    for k, (lvl, text, anchor) in enumerate(items):
        link = f'<a class="table-of-contents__link toc-highlight" href="{esc(path)}#{esc(anchor)}">{inline_html(text)}</a>'
        if lvl == 2:
            if open_sub:
                toc.append("</ul></li>")
                open_sub = False
            elif k:
                toc.append("</li>")
            toc.append(f"<li>{link}")
        else:
            if not open_sub and k and items[k - 1][0] == 2:
                toc.append("<ul>")
                open_sub = True
            toc.append(f"<li>{link}</li>")
    if items:
        toc.append("</ul></li>" if open_sub else "</li>")
    toc.append("</ul>")

    crumbs = "".join(
        f'<li class="breadcrumbs__item"><span class="breadcrumbs__link">{esc(c)}</span></li>'
        for c in model.breadcrumbs
    )
    sidebar_items = [
        (model.prev.label if model.prev else "", model.prev.href if model.prev else ""),
        (title, path),
        (model.next.label if model.next else "", model.next.href if model.next else ""),
    ]
    sidebar = "".join(
        (
            '<li class="theme-doc-sidebar-item-link theme-doc-sidebar-item-link-level-1 menu__list-item">'
            + (
                f'<a class="menu__link menu__link--active" aria-current="page" href="{esc(href)}">{esc(label)}</a>'
                if href == path
                else f'<a class="menu__link" href="{esc(href)}">{esc(label)}</a>'
            )
            + "</li>"
        )
        for label, href in sidebar_items
        if href
    )
    pagination = ""
    if model.prev:
        pagination += (
            f'<a class="pagination-nav__link pagination-nav__link--prev" href="{esc(model.prev.href)}">'
            f'<div class="pagination-nav__sublabel">{labels["prev"]}</div>'
            f'<div class="pagination-nav__label">{esc(model.prev.label)}</div></a>'
        )
    if model.next:
        pagination += (
            f'<a class="pagination-nav__link pagination-nav__link--next" href="{esc(model.next.href)}">'
            f'<div class="pagination-nav__sublabel">{labels["next"]}</div>'
            f'<div class="pagination-nav__label">{esc(model.next.label)}</div></a>'
        )
    en_active = " dropdown__link--active" if locale == "en" else ""
    zh_active = "" if locale == "en" else " dropdown__link--active"
    svg = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M12 2L2 12h3v8h6v-6h2v6h6v-8h3z"></path></svg>'
    return (
        "<!doctype html>\n"
        f'<html lang="{esc(locale)}" dir="ltr" class="docs-wrapper plugin-docs plugin-id-default docs-version-current '
        f'docs-doc-page docs-doc-id-{esc(doc_id)}" data-has-hydrated="false">\n<head>\n<meta charset="UTF-8">\n'
        '<meta name="generator" content="Docusaurus v3.4.0">\n'
        f'<title data-rh="true">{esc(page_title)}</title>'
        '<meta data-rh="true" name="viewport" content="width=device-width,initial-scale=1">'
        '<meta data-rh="true" name="twitter:card" content="summary_large_image">'
        f'<meta data-rh="true" property="og:url" content="{esc(canonical)}">'
        f'<meta data-rh="true" property="og:locale" content="{og_locale}">'
        f'<meta data-rh="true" property="og:locale:alternate" content="{og_alt}">'
        f'<meta data-rh="true" name="docusaurus_locale" content="{esc(locale)}">'
        f'<meta data-rh="true" name="docsearch:language" content="{esc(locale)}">'
        '<meta data-rh="true" name="docusaurus_version" content="current">'
        f'<meta data-rh="true" property="og:title" content="{esc(page_title)}">'
        f'<meta data-rh="true" name="description" content="{esc(description)}">'
        f'<meta data-rh="true" property="og:description" content="{esc(description)}">'
        '<link data-rh="true" rel="icon" href="/docs/img/favicon.png">'
        f'<link data-rh="true" rel="canonical" href="{esc(canonical)}">'
        f'<link data-rh="true" rel="alternate" href="{esc(SITE + en_path)}" hreflang="en">'
        f'<link data-rh="true" rel="alternate" href="{esc(SITE + zh_path)}" hreflang="zh-CN">'
        f'<link data-rh="true" rel="alternate" href="{esc(SITE + en_path)}" hreflang="x-default">\n'
        "<script>window.dataLayer=window.dataLayer||[]</script>\n"
        '<link rel="stylesheet" href="/docs/assets/css/styles.65c537d6.css">\n'
        '<script src="/docs/assets/js/runtime~main.beb17562.js" defer="defer"></script>\n'
        '<script src="/docs/assets/js/main.c8dc629a.js" defer="defer"></script>\n'
        '</head>\n<body class="navigation-with-keyboard">\n'
        '<script>!function(){document.documentElement.setAttribute("data-theme","light")}()</script>'
        '<div id="__docusaurus"><div role="region" aria-label="Skip to main content">'
        f'<a class="skipToContent_Mndp" href="#__docusaurus_skipToContent_fallback">{labels["skip"]}</a></div>'
        '<nav aria-label="Main" class="navbar navbar--fixed-top"><div class="navbar__inner"><div class="navbar__items">'
        '<a href="https://developers.binance.com/en" target="_self" rel="noopener noreferrer" class="navbar__brand">'
        '<div class="navbar__logo"><img src="/docs/img/logo.svg" alt="Binance Logo"></div></a>'
        '<div class="productSelectorWrapper_kk2K"><div class="productSelector_tRKy"><button class="productSelectorButton_fwTp">'
        '<span>Products</span><span class="arrow_h6A6">▼</span></button></div></div></div>'
        '<div class="navbar__items navbar__items--right"><div class="navbar__item dropdown dropdown--hoverable dropdown--right">'
        f'<a aria-haspopup="true" aria-expanded="false" role="button" class="navbar__link navbar_locale_dropdown" href="{esc(path)}">'
        f'{svg}{labels["lang"]}</a><ul class="dropdown__menu">'
        f'<li><a href="{esc(en_path)}" target="_self" rel="noopener noreferrer" class="dropdown__link{en_active}" lang="en">English</a></li>'
        f'<li><a href="{esc(zh_path)}" target="_self" rel="noopener noreferrer" class="dropdown__link{zh_active}" lang="zh-CN">简体中文</a></li>'
        '</ul></div></div></div><div role="presentation" class="navbar-sidebar__backdrop"></div></nav>'
        '<div id="__docusaurus_skipToContent_fallback" class="main-wrapper mainWrapper_BBNw"><div class="docsWrapper_dkrk">'
        '<button aria-label="Scroll back to top" class="clean-btn theme-back-to-top-button backToTopButton_m21v" type="button"></button>'
        '<div class="docRoot_mtKm"><aside class="theme-doc-sidebar-container docSidebarContainer_Er1R"><div class="sidebarViewport_VgPy">'
        f'<section class="productSelector_ky08"><span> <!-- -->{esc(product)}<!-- --> </span></section>'
        '<div class="sidebar_YPx9"><nav aria-label="Docs sidebar" class="menu thin-scrollbar menu_SCH5">'
        f'<ul class="theme-doc-sidebar-menu menu__list">{sidebar}</ul></nav></div></div></aside>'
        '<main class="docMainContainer_jRkP"><div class="container padding-top--md padding-bottom--lg"><div class="row">'
        '<div class="col docItemCol_Xiwq"><div class="docItemContainer_JFP9"><article>'
        '<nav class="theme-doc-breadcrumbs breadcrumbsContainer_tVzI" aria-label="Breadcrumbs">'
        '<ul class="breadcrumbs" itemscope="" itemtype="https://schema.org/BreadcrumbList">'
        f'<li class="breadcrumbs__item"><a aria-label="{labels["home"]}" class="breadcrumbs__link" href="{"/docs/" if locale == "en" else f"/docs/{locale}/"}">'
        '<svg viewBox="0 0 24 24" class="breadcrumbHomeIcon_yapy"><path d="M10 19v-5h4v5c0 .55.45 1 1 1h3c.55 0 1-.45 1-1v-7h1.7c.46 0 .68-.57.33-.87L12.67 3.6c-.38-.34-.96-.34-1.34 0l-8.36 7.53c-.34.3-.13.87.33.87H5v7c0 .55.45 1 1 1h3c.55 0 1-.45 1-1z" fill="currentColor"></path></svg></a></li>'
        f"{crumbs}"
        '<li itemscope="" itemprop="itemListElement" itemtype="https://schema.org/ListItem" class="breadcrumbs__item breadcrumbs__item--active">'
        f'<span class="breadcrumbs__link" itemprop="name">{esc(title)}</span><meta itemprop="position" content="{len(model.breadcrumbs) + 1}"></li></ul></nav>'
        '<div class="tocCollapsible_Wlpy theme-doc-toc-mobile tocMobile_qs2S">'
        f'<button type="button" class="clean-btn tocCollapsibleButton_niV5">{labels["on_page"]}</button></div>'
        '<div class="theme-doc-markdown markdown">'
        + "".join(article).rstrip("\n")
        + "</div></article>"
        f'<nav class="pagination-nav docusaurus-mt-lg" aria-label="Docs pages">{pagination}</nav></div></div>'
        '<div class="col col--3"><div class="tableOfContents_zXaw thin-scrollbar theme-doc-toc-desktop">'
        + "".join(toc)
        + "</div></div></div></div></main></div></div></div>"
        '<footer class="footer footer--dark"><div class="container container-fluid"><div class="footer__bottom text--center">'
        '<div class="footer__copyright">Copyright © 2026 Binance.</div></div></div></footer></div>\n</body>\n</html>\n'
    )


_TOKEN_RE = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?|(-?)(\d+(?:\.\d+)?)|([{}\[\],:])|(\s+)|(.)')


def _render_code(code: str, language: str) -> str:
    """A Prism-highlighted block; '-1121' ends up split over an operator and a number span."""
    style = 'style="color:#393A34"'
    lines = []
    for line in code.split("\n"):
        spans: list[str] = []
        for m in _TOKEN_RE.finditer(line):
            if m.group(1) is not None:
                cls, color = (
                    ("string-property property", "#36acaa") if m.group(2) else ("string", "#e3116c")
                )
                spans.append(
                    f'<span class="token {cls}" style="color:{color}">{htmllib.escape(m.group(1))}</span>'
                )
                if m.group(2):
                    spaces = m.group(2)[:-1]
                    if spaces:
                        spans.append(f'<span class="token plain">{spaces}</span>')
                    spans.append(f'<span class="token operator" {style}>:</span>')
            elif m.group(4) is not None:
                if m.group(3):
                    spans.append(f'<span class="token operator" {style}>-</span>')
                spans.append(
                    f'<span class="token number" style="color:#36acaa">{m.group(4)}</span>'
                )
            elif m.group(5) is not None:
                kind = "operator" if m.group(5) == ":" else "punctuation"
                spans.append(f'<span class="token {kind}" {style}>{m.group(5)}</span>')
            else:
                spans.append(f'<span class="token plain">{htmllib.escape(m.group(0))}</span>')
        lines.append(f'<span class="token-line" {style}>{"".join(spans)}<br></span>')
    return (
        f'<div class="language-{language} codeBlockContainer_zbXh theme-code-block" '
        'style="--prism-color:#393A34;--prism-background-color:#f6f8fa"><div class="codeBlockContent_RFcP">'
        f'<pre tabindex="0" class="prism-code language-{language} codeBlock_hldk thin-scrollbar" '
        'style="color:#393A34;background-color:#f6f8fa"><code class="codeBlockLines_aHhF">'
        + "".join(lines)
        + '</code></pre><div class="buttonGroup_oDVH"><button type="button" aria-label="Copy code to clipboard" '
        'title="Copy" class="clean-btn"><span class="copyButtonIcons_hTZm" aria-hidden="true"></span></button></div></div></div>\n'
    )


def _render_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{inline_html(block.text)}</p>\n"
    if isinstance(block, Quote):
        return f"<blockquote>\n<p>{inline_html(block.text)}</p>\n</blockquote>\n"
    if isinstance(block, CodeBlock):
        return _render_code(block.code, block.language)
    if isinstance(block, BulletList):
        if block.loose:
            items = "".join(f"<li>\n<p>{inline_html(t)}</p>\n</li>\n" for t in block.items)
        else:
            items = "".join(f"<li>{inline_html(t)}</li>\n" for t in block.items)
        return f"<ul>\n{items}</ul>\n"
    if isinstance(block, Table):
        # MDX leaves one blank line per table source line before the table, as on the real page.
        head = "".join(f"<th>{inline_html(h)}</th>" for h in block.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>"
            for row in block.rows
        )
        return (
            "\n" * (3 * len(block.rows) + 6)
            + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n"
        )
    raise TypeError(f"unknown block {block!r}")


# --------------------------------------------------------------------------- expectations


def expected_records(model: PageModel) -> list[dict[str, Any]]:
    """Records the parser must find, in page order, derived from the model only."""
    anchors = resolve_anchors(model)
    out: list[dict[str, Any]] = []
    for sec in model.sections:
        title = collapse(plain_text(sec.title)) if sec.title is not None else None
        out += _table_records(sec.blocks, title)
        for e in sec.entries:
            if any(isinstance(b, Table) for b in e.blocks):
                raise ValueError(f"table under code heading {e.code}: no rule for that yet")
            desc = " ".join(collapse(plain_text(p)) for p in e.paragraphs)
            out.append(
                {
                    "code": e.code,
                    "name": collapse(plain_text(e.name)) if e.name else None,
                    "section": title,
                    "messages": [collapse(plain_text(m)) for m in e.messages],
                    "description": desc or None,
                    "anchor": anchors[id(e)],
                }
            )
    return out


def _table_records(blocks: list[Block], section: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for b in blocks:
        if isinstance(b, Table):
            for row in b.rows:
                desc = collapse(plain_text(row[1])) if len(row) > 1 else ""
                out.append(_row_record(section, plain_text(row[0]), desc))
    return out


def _row_record(section: str | None, message_cell: str, description: str) -> dict[str, Any]:
    """A code-less table row; ``message`` is the row's key (its messages joined by ' / ')."""
    messages = table_messages(message_cell)
    return {
        "code": None,
        "section": section,
        "message": " / ".join(messages),
        "messages": messages,
        "description": description or None,
    }


def expected_from_html(html: str) -> list[dict[str, Any]]:
    """Independent extraction with lxml/XPath over a Docusaurus page (used for the real
    spot page, and to check that each rendered fixture round-trips to its model)."""
    from lxml import html as lhtml

    doc = lhtml.fromstring(html)
    (md,) = doc.xpath(
        '//article//div[contains(concat(" ", normalize-space(@class), " "), " theme-doc-markdown ")]'
    )
    for a in md.xpath('.//a[contains(@class, "hash-link")]'):
        a.drop_tree()
    for br in md.iter("br"):
        br.tail = " " + (br.tail or "")

    def text(el: Any) -> str:
        return collapse(el.text_content())

    out: list[dict[str, Any]] = []
    section: str | None = None
    current: dict[str, Any] | None = None
    paras: list[str] = []

    def flush() -> None:
        if current is not None:
            current["description"] = " ".join(paras) or None
            out.append(current)

    for el in md:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("h2", "h3", "h4"):
            flush()
            current, paras = None, []
            t = text(el)
            m = _CODE_HEADING_RE.match(t)
            if m:
                current = {
                    "code": int(m.group(1)),
                    "name": m.group(2),
                    "section": section,
                    "messages": [],
                    "description": None,
                    "anchor": el.get("id"),
                }
            elif tag == "h2":
                section = t
        elif current is not None and tag in ("ul", "ol"):
            current["messages"] += [text(li) for li in el.xpath("./li")]
        elif current is not None and tag == "p":
            if text(el):
                paras.append(text(el))
        elif current is None and tag == "table":
            for tr in el.xpath("./tbody/tr"):
                tds = tr.xpath("./td")
                out.append(_row_record(section, text(tds[0]), text(tds[1]) if len(tds) > 1 else ""))
    flush()
    return out


# --------------------------------------------------------------------------- build


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"


def build_all(fixtures: Path = FIXTURES_DIR) -> dict[str, tuple[int, int, int]]:
    """Write every fixture and expectation; returns key -> (codes, table rows, html bytes)."""
    pages_dir, exp_dir = fixtures / "pages", fixtures / "expected"
    pages_dir.mkdir(parents=True, exist_ok=True)
    exp_dir.mkdir(parents=True, exist_ok=True)
    summary: dict[str, tuple[int, int, int]] = {}
    for page, locale in seed_pages():
        key = f"{page}.{locale}"
        model = load_seed_model(page, locale)
        html = render_page(model)
        records = expected_records(model)
        roundtrip = expected_from_html(html)
        if roundtrip != records:
            bad = (
                next(i for i, (a, b) in enumerate(zip(roundtrip, records)) if a != b)
                if len(roundtrip) == len(records)
                else -1
            )
            raise SystemExit(
                f"{key}: rendered HTML does not round-trip to the model (first diff at {bad})"
            )
        (pages_dir / f"{key}.html").write_text(html, "utf-8")
        (exp_dir / f"{key}.json").write_text(
            _dump({"page": page, "locale": locale, "source": model.source, "records": records}),
            "utf-8",
        )
        summary[key] = _counts(records) + (len(html.encode("utf-8")),)

    real = fixtures / "pages" / "spot.en.html"
    if not real.exists():
        raise SystemExit(f"missing {real} (the real page, copied from {REAL_PAGES_DIR})")
    html = real.read_text("utf-8")
    records = expected_from_html(html)
    codes = [r for r in records if r["code"] is not None]
    if len(codes) != 103 or codes[0]["code"] != -1000:
        raise SystemExit(f"spot.en: expected 103 code headings starting at -1000, got {len(codes)}")
    (exp_dir / "spot.en.json").write_text(
        _dump(
            {
                "page": "spot",
                "locale": "en",
                "source": "real-pages/spot.en.html",
                "records": records,
            }
        ),
        "utf-8",
    )
    summary["spot.en"] = _counts(records) + (len(html.encode("utf-8")),)
    return summary


def _counts(records: list[dict[str, Any]]) -> tuple[int, int]:
    codes = sum(1 for r in records if r["code"] is not None)
    return codes, len(records) - codes


def main(argv: list[str] | None = None) -> int:
    summary = build_all()
    for key, (codes, rows, size) in sorted(summary.items()):
        print(f"{key:28} codes={codes:4} table_rows={rows:3} html={size / 1024:7.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
