"""Turn a run's changes into report.json, report.html, report.md and reports/index.html.

report.json is the machine contract (docs/ARCHITECTURE.md); the HTML is what a person
reads; the Markdown fits a CI job summary or a chat message; ``render_github`` gives
GitHub Actions annotations.  Every format is rendered from the report dict alone, so
``errwatch diff`` can re-render an old report without the snapshots.  Jinja2 is imported
lazily: a run where every page answered 304 never pays for it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scraper import __version__
from scraper.errors import StoreError, UsageError
from scraper.files import atomic_write_text
from scraper.models import (
    BREAKING_KINDS,
    CHANGE_KINDS,
    LOCALES,
    Change,
    PageOutcome,
    Record,
    code_count,
)
from scraper.parse import INVISIBLE
from scraper.views import cross_page, locale_gaps

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "LIVE_BASE_URL",
    "build_report",
    "describe_change",
    "history_counts",
    "id_order",
    "render_github",
    "render_html",
    "render_index",
    "render_markdown",
    "report_json",
    "word_diff",
    "write_index",
    "write_reports",
]

LIVE_BASE_URL = "https://developers.binance.com"
PAGE_STATUSES = ("ok", "not_modified", "failed", "quarantined")
FORMATS = ("json", "html", "md")
SUMMARY_CACHE = ".summary.json"  # per report: what index.html needs, so it never re-reads 365 reports
_MD_OTHER_LIMIT = 30
_MD_BREAKING_LIMIT = 60
_SPARK_POINTS = 90


# ---------------------------------------------------------------------------- build


def _locale_key(locale: str) -> tuple[int, str]:
    return (LOCALES.index(locale) if locale in LOCALES else len(LOCALES), locale)


def _primary_code(d: Mapping[str, Any]) -> int | None:
    for key in ("code", "new_code", "old_code"):
        if d.get(key) is not None:
            return int(d[key])
    return None


def id_order(report_id: str) -> tuple[str, int]:
    """Time order of report ids: a snapshot id, or ``<new>-vs-<old>`` from ``errwatch diff``.

    Folders that are not named after a snapshot sort first instead of failing the index.
    """
    from scraper.errors import StoreError
    from scraper.store import id_sort_key

    try:
        return id_sort_key(report_id.split("-vs-", 1)[0])
    except StoreError:
        return ("", 0)


def build_report(
    *,
    snapshot_id: str,
    old_snapshot: str | None,
    per_page_baselines: Mapping[str, str | None],
    outcomes: Sequence[PageOutcome],
    changes: Sequence[Change],
    effective: Mapping[tuple[str, str], Sequence[Record]],
    generic_names: Iterable[str] = (),
    command: str = "",
) -> dict[str, Any]:
    """The report.json dict (key order fixed so the file is byte-stable).

    ``effective`` is (page, locale) -> records of the newest good state (this run's
    records, or the baseline's for a page that failed) and feeds the cross-page and
    locale views; ``per_page_baselines`` maps "page/locale" to the snapshot id each
    page was compared with.
    """
    from scraper.diff import change_sort_key, drift_level

    objs = [c if isinstance(c, Change) else Change.from_dict(dict(c)) for c in changes]
    objs.sort(key=lambda c: (c.page, _locale_key(c.locale), *change_sort_key(c)))
    change_dicts = [c.to_dict() for c in objs]
    by_kind = {kind: 0 for kind in CHANGE_KINDS}
    for c in change_dicts:
        by_kind[c["kind"]] = by_kind.get(c["kind"], 0) + 1
    page_counts = {status: 0 for status in PAGE_STATUSES}
    pages: list[dict[str, Any]] = []
    for o in sorted(outcomes, key=lambda o: (o.page, _locale_key(o.locale))):
        page_counts[o.status] = page_counts.get(o.status, 0) + 1
        key = (o.page, o.locale)
        if o.records is not None:
            record_count: int | None = code_count(o.records)
        elif o.good and key in effective:
            record_count = code_count(effective[key])
        else:
            record_count = None
        pages.append({
            "page": o.page, "locale": o.locale, "url": o.url, "status": o.status,
            "reason": o.reason, "record_count": record_count,
            "baseline": per_page_baselines.get(f"{o.page}/{o.locale}"),
        })
    return {
        "tool": {"name": "errwatch", "version": __version__, "command": command},
        "id": snapshot_id,
        "old": {"snapshot": old_snapshot, "per_page": dict(sorted(per_page_baselines.items()))},
        "new": {"snapshot": snapshot_id},
        "summary": {
            "changes": len(change_dicts),
            "breaking": sum(1 for c in change_dicts if c["kind"] in BREAKING_KINDS),
            "by_kind": by_kind,
            "pages": page_counts,
            "drift": drift_level(objs),
        },
        "pages": pages,
        "changes": change_dicts,
        "cross_page": cross_page(effective, generic_names),
        "locale_gaps": locale_gaps(effective),
    }


# ---------------------------------------------------------------------------- text


def _plain(text: Any) -> str:
    return " ".join(str(text).split())


def describe_change(
    d: Mapping[str, Any], name: Callable[[Any], str] = _plain, text: Callable[[Any], str] = _plain
) -> str:
    """What changed, in one line without the kind (callers show the kind their own way).

    ``name`` formats names and messages, ``text`` everything else from a page, so
    Markdown can quote them while annotations and plain text keep them as they are.
    """
    kind = d["kind"]

    def label() -> str:
        parts = [str(d["code"])] if d.get("code") is not None else []
        if d.get("name"):
            parts.append(name(d["name"]))
        elif not parts and d.get("message"):
            parts.append(name(d["message"]))
            if d.get("section"):
                parts.insert(0, text(d["section"]) + ":")
        return " ".join(parts) or "(no code)"

    if kind == "renumbered":
        return f"{name(d.get('name'))}: {d.get('old_code')} → {d.get('new_code')}"
    if kind == "renamed":
        return f"{d.get('code')}: {name(d.get('old_name'))} → {name(d.get('new_name'))}"
    if kind == "messages_changed":
        added, removed = len(d.get("added_messages") or ()), len(d.get("removed_messages") or ())
        return f"{label()}: {added} message{'s' if added != 1 else ''} added, {removed} removed"
    if kind == "section_changed":
        return f"{label()}: section “{text(d.get('old_section'))}” → “{text(d.get('new_section'))}”"
    if kind == "description_changed":
        return f"{label()}: description edited"
    return label()


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(text: Any) -> str:
    """Escape page text for Markdown: nothing from a page may become a link or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", _plain(text))


def _md_code(text: Any) -> str:
    """A code span: names stay readable (INVALID_PAIR, not INVALID\\_PAIR) and inert."""
    value = _plain(text)
    fence = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def render_markdown(report: Mapping[str, Any], report_link: str | None = None) -> str:
    """A short summary for a CI job summary or a chat message.

    Breaking changes first, then the others (cut after ~30 lines), the pages that could
    not be checked with their reasons, and where the full HTML report is.
    """
    s = report["summary"]
    drift = s["drift"]
    head = {"breaking": "breaking drift", "any": "drift", "none": "no drift"}.get(drift, drift)
    lines = [f"### errwatch {_md(report['id'])}: {head}", ""]
    kinds = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in s["by_kind"].items() if n)
    pages = s["pages"]
    lines.append(
        f"**{s['changes']} changes, {s['breaking']} breaking**"
        + (f" ({kinds})" if kinds else "")
        + f" · pages: {pages.get('ok', 0)} ok, {pages.get('not_modified', 0)} not modified, "
        f"{pages.get('failed', 0)} failed, {pages.get('quarantined', 0)} quarantined"
    )
    old = report["old"]["snapshot"]
    lines.append(f"Snapshot {_md(report['new']['snapshot'])}, compared with "
                 + (_md(old) if old else "nothing (first run)") + ".")
    changes = report["changes"]
    breaking = [c for c in changes if c["kind"] in BREAKING_KINDS]
    other = [c for c in changes if c["kind"] not in BREAKING_KINDS]

    def block(title: str, items: list[Mapping[str, Any]], limit: int) -> None:
        if not items:
            return
        lines.extend(["", f"**{title}**"])
        for c in items[:limit]:
            what = describe_change(c, name=_md_code, text=_md)
            lines.append(f"- {_md(c['page'])} {_md(c['locale'])} · **{c['kind'].replace('_', ' ')}** {what}")
        if len(items) > limit:
            lines.append(f"- … and {len(items) - limit} more")

    block("Breaking", breaking, _MD_BREAKING_LIMIT)
    block("Other changes", other, _MD_OTHER_LIMIT)
    problems = [p for p in report["pages"] if p["status"] in ("failed", "quarantined")]
    if problems:
        lines.extend(["", "**Pages not checked** (their last good snapshot stays the baseline)"])
        for p in problems:
            reason = _md(p["reason"]) if p.get("reason") else "no reason given"
            lines.append(f"- {_md(p['page'])} {_md(p['locale'])}: {p['status']} — {reason}")
    extra = []
    if report.get("locale_gaps"):
        extra.append(f"{len(report['locale_gaps'])} translation gaps")
    if report.get("cross_page"):
        extra.append(f"{len(report['cross_page'])} cross-product collisions")
    if extra:
        lines.extend(["", "Also " + " and ".join(extra) + " in the docs as they stand."])
    link = report_link or f"{report['id']}/report.html"
    lines.extend(["", f"Full report: {link}", ""])
    return "\n".join(lines)


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Mapping[str, Any]) -> str:
    """GitHub Actions workflow commands: ::error for breaking, ::warning for the rest."""
    out = []
    for c in report["changes"]:
        level = "error" if c["kind"] in BREAKING_KINDS else "warning"
        title = f"errwatch: {c['kind']} on {c['page']} ({c['locale']})"
        out.append(f"::{level} title={_gh_prop(title)}::{_gh_data(describe_change(c))}")
    for p in report["pages"]:
        if p["status"] in ("failed", "quarantined"):
            title = f"errwatch: {p['page']} ({p['locale']}) {p['status']}"
            msg = f"{p['page']} {p['locale']} {p['status']}: {p.get('reason') or 'no reason given'}"
            out.append(f"::warning title={_gh_prop(title)}::{_gh_data(msg)}")
    return "\n".join(out) + ("\n" if out else "")


# ---------------------------------------------------------------------------- html helpers

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
                self.urls[(p["page"], p["locale"])] = LIVE_BASE_URL + path[at:] if at >= 0 else p["url"]

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
        bars.append({
            "x": round(i * step, 2), "y": round(height - h, 2),
            "w": round(max(step * 0.8, 0.4), 2), "h": round(h, 2),
            "title": f"{sid}: {count} codes", "current": sid == current,
        })
    return {"width": int(width), "height": int(height), "bars": bars, "first": pts[0][0],
            "last": counts[-1], "lo": lo, "hi": hi, "n": len(pts)}


_GROUPS = (
    ("renumbered-renamed", "Renumbered and renamed", ("renumbered", "renamed")),
    ("added-removed", "Removed and added", ("removed", "added")),
    ("messages", "Edited messages", ("messages_changed",)),
    ("descriptions", "Edited descriptions", ("description_changed",)),
    ("sections", "Section moves", ("section_changed",)),
)


def _change_view(c: Mapping[str, Any], base: str | None) -> dict[str, Any]:
    code = _primary_code(c)
    name = c.get("name") or c.get("new_name")
    anchor = c.get("anchor") or (_slug(code, name) if code is not None else None)
    view: dict[str, Any] = {f: None for f in Change.__dataclass_fields__}
    view.update(c)
    view["href"] = _href(base, anchor)
    view["display_code"] = code
    if c["kind"] == "messages_changed":
        view["rows"] = _pair_messages(c.get("removed_messages") or (), c.get("added_messages") or ())
    if c["kind"] == "description_changed":
        view["segments"] = word_diff(c.get("old_description") or "", c.get("new_description") or "")
    return view


def _cross_view(entry: Mapping[str, Any], urls: _LiveUrls) -> dict[str, Any]:
    locale = entry["locale"]
    cells = []
    if entry["kind"] == "same_name_different_code":
        for page, codes in entry["codes"].items():
            codes = codes if isinstance(codes, list) else [codes]
            base = urls(page, locale)
            cells.append({"page": page, "links": [
                {"text": str(code), "href": _href(base, _slug(code, entry["name"]))} for code in codes
            ]})
    else:
        for page, names in entry["names"].items():
            names = names if isinstance(names, list) else [names]
            base = urls(page, locale)
            cells.append({"page": page, "links": [
                {"text": str(n), "href": _href(base, _slug(entry["code"], n))} for n in names
            ]})
    return {**entry, "cells": cells}


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
    return jinja2.Environment(
        loader=jinja2.PackageLoader("scraper", "templates"),
        bytecode_cache=bytecode_cache,
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    report: Mapping[str, Any],
    history_counts: Mapping[str, Sequence[Sequence[Any]]] | None = None,
) -> str:
    """The self-contained HTML report (inline CSS, no scripts, no external assets)."""
    urls = _LiveUrls(report)
    history = history_counts or {}
    pages = []
    for p in report["pages"]:
        key = f"{p['page']}/{p['locale']}"
        pages.append({
            **p, "live_url": urls(p["page"], p["locale"]),
            "id": f"p-{p['page']}-{p['locale']}",
            "spark": _sparkline(history.get(key, ()), report["id"]) if history else None,
        })
    page_index = {(p["page"], p["locale"]): p for p in pages}

    per_page: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for c in report["changes"]:
        per_page.setdefault((c["page"], c["locale"]), []).append(c)
    sections = []
    for (page, locale), items in per_page.items():
        base = urls(page, locale)
        groups = []
        for group_id, title, kinds in _GROUPS:
            views = [_change_view(c, base) for c in items if c["kind"] in kinds]
            if views:
                groups.append({"id": group_id, "title": title, "changes": views})
        meta = page_index.get((page, locale), {})
        sections.append({
            "page": page, "locale": locale, "id": f"p-{page}-{locale}",
            "live_url": base, "status": meta.get("status"), "spark": meta.get("spark"),
            "count": len(items), "breaking": sum(1 for c in items if c["kind"] in BREAKING_KINDS),
            "groups": groups,
        })
    cross = [_cross_view(e, urls) for e in report.get("cross_page", ())]
    gaps = []
    for g in report.get("locale_gaps", ()):
        if g.get("kind") == "message_count":
            base = urls(g["page"], "en")
        else:
            present = "en" if g.get("missing_in") == "zh-CN" else "zh-CN"
            base = urls(g["page"], present)
        gaps.append({**g, "href": _href(base, _slug(g["code"], g.get("name")))})
    summary = report["summary"]
    ctx = {
        "report": report,
        "summary": summary,
        "kinds": [(k, summary["by_kind"].get(k, 0), k in BREAKING_KINDS)
                  for k in list(CHANGE_KINDS) + [k for k in summary["by_kind"] if k not in CHANGE_KINDS]],
        "page_statuses": [(s, summary["pages"].get(s, 0)) for s in PAGE_STATUSES],
        "problems": [p for p in pages if p["status"] in ("failed", "quarantined")],
        "pages": pages,
        "sections": sections,
        "changed_ids": {s["id"] for s in sections},
        "cross_specific": [e for e in cross if not e.get("generic")],
        "cross_generic": [e for e in cross if e.get("generic")],
        "gaps": gaps,
        "n_cross": len(cross),
        "n_gaps": len(gaps),
        "has_history": bool(history),
    }
    return _environment().get_template("report.html.j2").render(**ctx)


# ---------------------------------------------------------------------------- history counts


def history_counts(store: Any, until: str | None = None) -> dict[str, list[tuple[str, int]]]:
    """"page/locale" -> [(snapshot id, record_count), ...] from the manifests alone.

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
                out.setdefault(f"{e['page']}/{e['locale']}", []).append((sid, int(e["record_count"])))
    return out


# ---------------------------------------------------------------------------- files


def report_json(report: Mapping[str, Any]) -> str:
    """The stable serialization of report.json (UTF-8 text, indent 1)."""
    return json.dumps(report, ensure_ascii=False, indent=1) + "\n"


def _summary_entry(report: Mapping[str, Any], mtime_ns: int) -> dict[str, Any]:
    return {
        "id": report["id"],
        "old": report["old"]["snapshot"],
        "version": report["tool"]["version"],
        "summary": report["summary"],
        "problems": [
            {"page": p["page"], "locale": p["locale"], "status": p["status"]}
            for p in report["pages"] if p["status"] in ("failed", "quarantined")
        ],
        "report_mtime_ns": mtime_ns,
    }


def write_reports(
    report: Mapping[str, Any],
    reports_dir: str | Path,
    formats: Iterable[str] = FORMATS,
    store: Any = None,
) -> Path:
    """Write reports/<id>/report.{json,html,md} atomically, then refresh index.html.

    ``store`` (a SnapshotStore) adds the code-count history to the HTML.
    """
    formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown report format {unknown[0]!r}; use: {', '.join(FORMATS)}")
    root = Path(reports_dir)
    out = root / str(report["id"])
    try:
        if "json" in formats:
            atomic_write_text(out / "report.json", report_json(report))
        if "html" in formats:
            counts = history_counts(store, until=report["id"]) if store is not None else None
            atomic_write_text(out / "report.html", render_html(report, counts))
        if "md" in formats:
            atomic_write_text(out / "report.md", render_markdown(report, str(out / "report.html")))
        if "json" in formats:
            mtime = (out / "report.json").stat().st_mtime_ns
            atomic_write_text(out / SUMMARY_CACHE, json.dumps(_summary_entry(report, mtime), ensure_ascii=False, indent=1) + "\n")
        write_index(root)
    except OSError as exc:
        raise StoreError(f"cannot write report to {out}: {exc}") from None
    return out


def _index_entry(folder: Path) -> dict[str, Any] | None:
    """The cached summary of one report, rebuilt when report.json is newer."""
    report_path = folder / "report.json"
    try:
        mtime = report_path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cache = folder / SUMMARY_CACHE
    try:
        entry = json.loads(cache.read_text("utf-8"))
        if entry.get("report_mtime_ns") == mtime:
            return dict(entry)
    except (OSError, ValueError):
        pass
    try:
        report = json.loads(report_path.read_text("utf-8"))
        entry = _summary_entry(report, mtime)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a foreign or broken folder: leave it out of the index
    try:
        atomic_write_text(cache, json.dumps(entry, ensure_ascii=False, indent=1) + "\n")
    except OSError:
        pass  # read-only reports folder: the index is still right, just slower next time
    return entry


def render_index(entries: Sequence[Mapping[str, Any]]) -> str:
    """index.html from summary entries (newest first, each with an ``href``); runs
    without changes or page problems are folded into one compact row per stretch."""
    rows: list[dict[str, Any]] = []
    for e in entries:
        quiet = e["summary"]["changes"] == 0 and not e.get("problems")
        entry = {**e, "href": e.get("href") or f"{e['id']}/report.html"}
        if quiet and rows and rows[-1]["quiet"]:
            rows[-1]["runs"].append(entry)
        elif quiet:
            rows.append({"quiet": True, "runs": [entry]})
        else:
            rows.append({"quiet": False, "run": entry})
    return _environment().get_template("index.html.j2").render(
        rows=rows, total=len(entries), version=__version__, kinds=CHANGE_KINDS,
    )


def write_index(reports_dir: str | Path) -> Path:
    """reports/index.html: every report, newest first, with its counts."""
    root = Path(reports_dir)
    entries = []
    if root.is_dir():
        folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                         key=lambda p: id_order(p.name), reverse=True)
        for folder in folders:
            entry = _index_entry(folder)
            if entry is None:
                continue
            name = "report.html" if (folder / "report.html").exists() else "report.json"
            entries.append({**entry, "href": f"{folder.name}/{name}"})
    target = root / "index.html"
    try:
        atomic_write_text(target, render_index(entries))
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {exc}") from None
    return target
