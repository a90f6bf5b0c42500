"""The self-contained HTML report: word diffs, history sparklines, the Jinja environment.

Jinja2 is imported lazily: a run where every page answered 304 never pays for it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scraper.models import BREAKING_KINDS, CHANGE_KINDS, Change
from scraper.parse import INVISIBLE
from scraper.report.build import LIVE_BASE_URL, PAGE_STATUSES, _primary_code, id_order

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "code_page_href",
    "csp",
    "history_counts",
    "option_segments",
    "render_html",
    "when",
    "when_iso",
    "word_diff",
]

_SPARK_POINTS = 90


_TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"  # one CJK char
    r"|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+"  # a word
    r"|\s+|[^\w\s]",
)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) segments, op in eq/del/ins; the template escapes every text."""
    a, b = _tokens(old), _tokens(new)
    segments: list[tuple[str, str]] = []

    def push(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1][0] == op:
            segments[-1] = (op, segments[-1][1] + text)
        else:
            segments.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            push("eq", "".join(a[i1:i2]))
        else:
            push("del", "".join(a[i1:i2]))
            push("ins", "".join(b[j1:j2]))
    return segments


def _pair_messages(removed: Sequence[str], added: Sequence[str]) -> list[dict[str, Any]]:
    """Pair each removed message with its most similar added one, so an edit shows as
    a word diff instead of one whole deletion plus one whole insertion."""
    pairs: dict[int, int] = {}
    if removed and added and len(removed) * len(added) <= 400:
        scored = []
        for i, r in enumerate(removed):
            for j, a in enumerate(added):
                sm = difflib.SequenceMatcher(None, _tokens(r), _tokens(a), autojunk=False)
                scored.append((sm.ratio(), -i, -j))
        used_a: set[int] = set()
        for ratio, ni, nj in sorted(scored, reverse=True):
            i, j = -ni, -nj
            if ratio < 0.4:
                break
            if i in pairs or j in used_a:
                continue
            pairs[i] = j
            used_a.add(j)
    rows: list[dict[str, Any]] = []
    for i, r in enumerate(removed):
        if i in pairs:
            rows.append({"op": "edited", "segments": word_diff(r, added[pairs[i]])})
        else:
            rows.append({"op": "removed", "segments": [("del", r)]})
    paired_added = set(pairs.values())
    for j, a in enumerate(added):
        if j not in paired_added:
            rows.append({"op": "added", "segments": [("ins", a)]})
    return rows


_SLUG_DROP = re.compile(r"[^\w\- ]", re.UNICODE)


def _slug(code: Any, name: Any) -> str:
    """Docusaurus (github-slugger) heading id, for changes that carry no anchor."""
    text = " ".join(str(x) for x in (code, name) if x is not None)
    text = text.translate(INVISIBLE).strip().lower()
    return _SLUG_DROP.sub("", text).replace(" ", "-")


class _LiveUrls:
    """Live developers.binance.com URL per page and locale, whatever --base-url was:
    the registry's path when the page is known, else the path of the report's URL."""

    def __init__(self, report: Mapping[str, Any]) -> None:
        from scraper.registry import build_registry

        self.refs = {ref.id: ref for ref in build_registry()}
        self.urls: dict[tuple[str, str], str | None] = {}
        for p in report.get("pages", ()):
            if p["page"] not in self.refs and p.get("url"):
                path = urlsplit(p["url"]).path
                at = path.find("/docs/")
                self.urls[(p["page"], p["locale"])] = (
                    LIVE_BASE_URL + path[at:] if at >= 0 else p["url"]
                )

    def __call__(self, page: str, locale: str) -> str | None:
        if page in self.refs:
            return self.refs[page].url(locale, LIVE_BASE_URL)
        return self.urls.get((page, locale))


def _href(base: str | None, anchor: str | None) -> str | None:
    if base is None or not base.startswith(("https://", "http://")):
        return None  # only web links: a report.json URL must never become javascript:
    return f"{base}#{anchor}" if anchor else base


def _sparkline(points: Sequence[Sequence[Any]], current: str | None) -> dict[str, Any] | None:
    """Bar geometry for an inline SVG (numbers only; titles are escaped by Jinja)."""
    pts = [(str(p[0]), int(p[1])) for p in points if p[1] is not None][-_SPARK_POINTS:]
    if not pts:
        return None
    width, height = 120.0, 24.0
    counts = [c for _, c in pts]
    lo, hi = min(counts), max(counts)
    step = width / len(pts)
    bars = []
    floor = lo - max(hi - lo, 1)  # the lowest bar stays half high: a dip is not a drop to 0
    for i, (sid, count) in enumerate(pts):
        h = 3 + (count - floor) / (hi - floor) * (height - 3)
        bars.append(
            {
                "x": round(i * step, 2),
                "y": round(height - h, 2),
                "w": round(max(step * 0.8, 0.4), 2),
                "h": round(h, 2),
                "title": f"{when(sid)}: {count} codes",
                "current": sid == current,
            }
        )
    return {
        "width": int(width),
        "height": int(height),
        "bars": bars,
        "first": pts[0][0],
        "last": counts[-1],
        "lo": lo,
        "hi": hi,
        "n": len(pts),
    }


_GROUPS = (
    ("renumbered-renamed", "Renumbered and renamed", ("renumbered", "renamed")),
    ("added-removed", "Removed and added", ("removed", "added")),
    ("messages", "Edited messages", ("messages_changed",)),
    ("descriptions", "Edited descriptions", ("description_changed",)),
    ("sections", "Section moves", ("section_changed",)),
)
# What a reader must see first: renumberings break every client that matches on codes.
_HEADLINE_ORDER = (
    "renumbered",
    "renamed",
    "removed",
    "added",
    "messages_changed",
    "description_changed",
    "section_changed",
)
_HEADLINE_LIMIT = 6
_CROSS_TITLES = {
    "trading": "Conflicts between trading products",
    "other": "Other collisions between product pages",
    "shared_list": "Reuse of the shared SAPI list (by design)",
}
_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-(\d+))?$")
_OPTION = re.compile(r"(--[A-Za-z][\w-]*(?:[ =](?!--)[^\s,;]+)?)")


def when(report_id: Any) -> str:
    """A snapshot or report id as a reader's date: ``2026-01-16 06:00 UTC`` (seconds and a
    ``#N`` run number only when present); ``<new>-vs-<old>`` ids give both dates."""
    text = str(report_id)
    if "-vs-" in text:
        new, old = text.split("-vs-", 1)
        return f"{when(new)} vs {when(old)}"
    m = _ID.match(text)
    if not m:
        return text
    y, mo, d, h, mi, sec, n = m.groups()
    out = f"{y}-{mo}-{d} {h}:{mi}" + (f":{sec}" if sec != "00" else "") + " UTC"
    return out + (f" #{n}" if n else "")


def when_iso(report_id: Any) -> str | None:
    """RFC 3339 time of a snapshot id (``<time datetime>``, Atom ``updated``), or None."""
    m = _ID.match(str(report_id).split("-vs-", 1)[0])
    if not m:
        return None
    y, mo, d, h, mi, sec, _ = m.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{sec}Z"


def option_segments(text: Any) -> list[tuple[bool, str]]:
    """(is_option, text) parts: ``--accept wallet:en`` stays on one line (nowrap) in HTML."""
    return [(bool(i % 2), part) for i, part in enumerate(_OPTION.split(str(text))) if part]


def _search_text(*parts: Any) -> str:
    """What the live filter matches: codes, names, messages, sections (lower case)."""
    out: list[str] = []
    for p in parts:
        if p is None:
            continue
        if isinstance(p, (list, tuple)):
            out.extend(str(x) for x in p)
        else:
            out.append(str(p))
    return " ".join(" ".join(out).split()).lower()


def code_page_href(code: Any, prefix: str = "../") -> str | None:
    """The per-code timeline page (reports/codes/<code>.html) relative to a report folder."""
    if code is None:
        return None
    return f"{prefix}codes/{int(code)}.html"


def _change_view(c: Mapping[str, Any], base: str | None, index: int, codes: bool) -> dict[str, Any]:
    code = _primary_code(c)
    name = c.get("name") or c.get("new_name")
    anchor = c.get("anchor") or (_slug(code, name) if code is not None else None)
    view: dict[str, Any] = {f: None for f in Change.__dataclass_fields__}
    view.update(c)
    view["href"] = _href(base, anchor)
    view["display_code"] = code
    view["row_id"] = f"ch-{index}"
    view["timeline"] = code_page_href(code) if codes else None
    view["old_timeline"] = code_page_href(c.get("old_code")) if codes else None
    view["search"] = _search_text(
        c.get("code"),
        c.get("old_code"),
        c.get("new_code"),
        c.get("name"),
        c.get("old_name"),
        c.get("new_name"),
        c.get("message"),
        c.get("section"),
        c.get("old_section"),
        c.get("new_section"),
        c.get("added_messages"),
        c.get("removed_messages"),
        c.get("old_description"),
        c.get("new_description"),
        c["page"],
        c["locale"],
        c["kind"],
    )
    if c["kind"] == "messages_changed":
        view["rows"] = _pair_messages(
            c.get("removed_messages") or (), c.get("added_messages") or ()
        )
    if c["kind"] == "description_changed":
        view["segments"] = word_diff(c.get("old_description") or "", c.get("new_description") or "")
    return view


def _cross_view(entry: Mapping[str, Any], urls: _LiveUrls, codes: bool) -> dict[str, Any]:
    locale = entry["locale"]
    cells = []
    words: list[Any] = [entry.get("name"), entry.get("code"), locale]
    if entry["kind"] == "same_name_different_code":
        for page, values in entry["codes"].items():
            values = values if isinstance(values, list) else [values]
            base = urls(page, locale)
            words += [page, *values]
            cells.append(
                {
                    "page": page,
                    "links": [
                        {
                            "text": str(code),
                            "href": _href(base, _slug(code, entry["name"])),
                            "timeline": code_page_href(code) if codes else None,
                        }
                        for code in values
                    ],
                }
            )
    else:
        for page, names in entry["names"].items():
            names = names if isinstance(names, list) else [names]
            base = urls(page, locale)
            words += [page, *names]
            cells.append(
                {
                    "page": page,
                    "links": [
                        {
                            "text": str(n),
                            "href": _href(base, _slug(entry["code"], n)),
                            "timeline": None,
                        }
                        for n in names
                    ],
                }
            )
    return {
        **entry,
        "group": entry.get("group", "other"),
        "cells": cells,
        "search": _search_text(*words),
        "timeline": code_page_href(entry.get("code")) if codes else None,
    }


def _section_blocks(
    items: list[dict[str, Any]], moves: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """section_changed rows of one page: each heading rename (report["section_moves"]) is
    one folded block; the remaining rows stay a plain table."""
    folded = {(m["old_section"], m["new_section"]): m for m in moves}
    blocks: dict[Any, dict[str, Any]] = {}
    rest: list[dict[str, Any]] = []
    for c in items:
        move = folded.get((c.get("old_section"), c.get("new_section")))
        if move is None:
            rest.append(c)
            continue
        key = (move["old_section"], move["new_section"])
        blocks.setdefault(key, {**move, "changes": [], "plain": False})["changes"].append(c)
    return [
        *blocks.values(),
        *([{"rows": len(rest), "changes": rest, "plain": True}] if rest else []),
    ]


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """One Environment per process: the templates compile once (~45 ms), not per render.

    Compiled templates are also kept in Jinja's per-user cache folder
    (``$TMPDIR/_jinja2-cache-<uid>``, mode 0700), so the next ``errwatch run`` skips the
    compile too; without a safe writable temp folder they are compiled each time.
    """
    import jinja2

    try:
        bytecode_cache: jinja2.BytecodeCache | None = jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        bytecode_cache = None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scraper", "templates"),
        bytecode_cache=bytecode_cache,
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = when
    env.filters["when_iso"] = when_iso
    env.filters["options"] = option_segments
    return env


@lru_cache(maxsize=1)
def csp() -> str:
    """The Content-Security-Policy of every page errwatch writes: nothing loads from
    anywhere; the one inline style sheet and the one inline script (live filter) run
    because their SHA-256 hashes are named, and no other script or style can."""
    import base64
    import hashlib

    env = _environment()

    def digest(name: str) -> str:
        text = env.get_template(name).render()
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    return (
        f"default-src 'none'; style-src {digest('_style.css')}; "
        f"script-src {digest('_filter.js')}; img-src data:; base-uri 'none'; form-action 'none'"
    )


def render_html(
    report: Mapping[str, Any],
    history_counts: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    *,
    code_pages: bool = False,
) -> str:
    """The self-contained HTML report (inline CSS and filter script under a hash-based
    CSP, no external assets).  ``code_pages``: link each code to reports/codes/<code>.html."""
    urls = _LiveUrls(report)
    history = history_counts or {}
    pages = []
    for p in report["pages"]:
        key = f"{p['page']}/{p['locale']}"
        pages.append(
            {
                **p,
                "live_url": urls(p["page"], p["locale"]),
                "id": f"p-{p['page']}-{p['locale']}",
                "spark": _sparkline(history.get(key, ()), report["id"]) if history else None,
            }
        )
    page_index = {(p["page"], p["locale"]): p for p in pages}

    per_page: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for c in report["changes"]:
        per_page.setdefault((c["page"], c["locale"]), []).append(c)
    moves_by_page: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for m in report.get("section_moves", ()):
        moves_by_page.setdefault((m["page"], m["locale"]), []).append(m)
    sections = []
    all_views: list[dict[str, Any]] = []
    for (page, locale), items in per_page.items():
        base = urls(page, locale)
        groups = []
        for group_id, title, kinds in _GROUPS:
            views = []
            for c in items:
                if c["kind"] in kinds:
                    views.append(_change_view(c, base, len(all_views), code_pages))
                    all_views.append(views[-1])
            if views:
                group: dict[str, Any] = {
                    "id": group_id,
                    "title": title,
                    "changes": views,
                    "has_section": any(v.get("section") for v in views),
                }
                if group_id == "sections":
                    group["blocks"] = _section_blocks(views, moves_by_page.get((page, locale), ()))
                groups.append(group)
        meta = page_index.get((page, locale), {})
        sections.append(
            {
                "page": page,
                "locale": locale,
                "id": f"p-{page}-{locale}",
                "live_url": base,
                "status": meta.get("status"),
                "spark": meta.get("spark"),
                "count": len(items),
                "breaking": sum(1 for c in items if c["kind"] in BREAKING_KINDS),
                "groups": groups,
            }
        )
    order = {k: i for i, k in enumerate(_HEADLINE_ORDER)}
    headline = sorted(
        all_views, key=lambda v: (v["kind"] not in BREAKING_KINDS, order.get(v["kind"], len(order)))
    )
    cross = [_cross_view(e, urls, code_pages) for e in report.get("cross_page", ())]
    specific = [e for e in cross if not e.get("generic")]
    cross_groups: list[dict[str, Any]] = []
    for gid, title in _CROSS_TITLES.items():
        members = [e for e in specific if e.get("group", "other") == gid]
        cross_groups.append(
            {
                "id": gid,
                "title": title,
                "entries": members,
                "open": gid != "shared_list" and len(members) <= 15,
            }
        )
    gaps = []
    for g in report.get("locale_gaps", ()):
        if g.get("kind") == "message_count":
            base = urls(g["page"], "en")
        else:
            present = "en" if g.get("missing_in") == "zh-CN" else "zh-CN"
            base = urls(g["page"], present)
        gaps.append(
            {
                **g,
                "href": _href(base, _slug(g["code"], g.get("name"))),
                "timeline": code_page_href(g["code"]) if code_pages else None,
                "search": _search_text(g["page"], g["code"], g.get("name")),
            }
        )
    finder: dict[int, dict[str, Any]] = {}
    for v in all_views:
        for code in {v["display_code"], v.get("old_code")} - {None}:
            item = finder.setdefault(int(code), {"code": int(code), "names": [], "rows": []})
            item["rows"].append(v["row_id"])
            for nm in (v.get("name"), v.get("old_name"), v.get("new_name")):
                if nm and nm not in item["names"]:
                    item["names"].append(nm)
    summary = report["summary"]
    ctx = {
        "report": report,
        "summary": summary,
        "csp": csp(),
        "kinds": [
            (k, summary["by_kind"].get(k, 0), k in BREAKING_KINDS)
            for k in list(CHANGE_KINDS) + [k for k in summary["by_kind"] if k not in CHANGE_KINDS]
        ],
        "page_statuses": [(s, summary["pages"].get(s, 0)) for s in PAGE_STATUSES],
        "problems": [p for p in pages if p["status"] in ("failed", "quarantined")],
        "pages": pages,
        "has_reason": any(p.get("reason") for p in pages),
        "sections": sections,
        "headline": headline[:_HEADLINE_LIMIT],
        "headline_more": max(0, len(headline) - _HEADLINE_LIMIT),
        "changed_ids": {s["id"] for s in sections},
        "cross_groups": cross_groups,
        "cross_counts": {g["id"]: len(g["entries"]) for g in cross_groups},
        "cross_generic": [e for e in cross if e.get("generic")],
        "shared_pages": report.get("shared_list_pages", ()),
        "finder": [finder[k] for k in sorted(finder, key=lambda c: (abs(c), c))],
        "gaps": gaps,
        "n_cross": len(cross),
        "n_gaps": len(gaps),
        "has_history": bool(history),
        "code_pages": code_pages,
    }
    return _environment().get_template("report.html.j2").render(**ctx)


# ---------------------------------------------------------------------------- history counts


def history_counts(store: Any, until: str | None = None) -> dict[str, list[tuple[str, int]]]:
    """ "page/locale" -> [(snapshot id, record_count), ...] from the manifests alone.

    Only good pages count (a failed fetch is not a drop in codes).  ``until`` stops at a
    snapshot id, so re-rendering an old report shows the history as it was then.
    """
    out: dict[str, list[tuple[str, int]]] = {}
    for sid in store.snapshot_ids():
        if until is not None and id_order(sid) > id_order(until):
            continue
        manifest = store.manifest(sid)
        entries = manifest["pages"] if isinstance(manifest, Mapping) else manifest.pages
        for entry in entries:
            e = entry if isinstance(entry, Mapping) else vars(entry)
            if e.get("status") in ("ok", "not_modified") and e.get("record_count") is not None:
                out.setdefault(f"{e['page']}/{e['locale']}", []).append(
                    (sid, int(e["record_count"]))
                )
    return out
