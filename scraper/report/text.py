"""Text renderers: one-line change descriptions, the Markdown summary, GitHub annotations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scraper.models import BREAKING_KINDS
from scraper.textsafe import gh_data, gh_prop, md_code, md_text

__all__ = ["describe_change", "render_github", "render_markdown"]

_MD_OTHER_LIMIT = 30
_MD_BREAKING_LIMIT = 60


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


def _md(text: Any) -> str:
    """Page text in Markdown: nothing from a page may become a link, image, HTML or mention."""
    return md_text(text)


def _md_code(text: Any) -> str:
    """A code span: names stay readable (INVALID_PAIR, not INVALID\\_PAIR) and inert."""
    return md_code(text)


def _move_key(d: Mapping[str, Any]) -> tuple[Any, Any, Any, Any]:
    return (d.get("page"), d.get("locale"), d.get("old_section"), d.get("new_section"))


def _fold_moves(
    changes: Sequence[Mapping[str, Any]], moves: Sequence[Mapping[str, Any]]
) -> list[tuple[str, Mapping[str, Any]]]:
    """("change", c) per change, except that the section_changed rows of one heading rename
    (report["section_moves"]) become one ("move", move) line at the first of them."""
    by_key = {_move_key(m): m for m in moves}
    out: list[tuple[str, Mapping[str, Any]]] = []
    shown: set[tuple[Any, Any, Any, Any]] = set()
    for c in changes:
        key = _move_key(c)
        if c.get("kind") == "section_changed" and key in by_key:
            if key not in shown:
                shown.add(key)
                out.append(("move", by_key[key]))
            continue
        out.append(("change", c))
    return out


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
    lines.append(
        f"Snapshot {_md(report['new']['snapshot'])}, compared with "
        + (_md(old) if old else "nothing (first run)")
        + "."
    )
    changes = report["changes"]
    breaking = [c for c in changes if c["kind"] in BREAKING_KINDS]
    other = [c for c in changes if c["kind"] not in BREAKING_KINDS]

    moves = [m for m in report.get("section_moves") or () if isinstance(m, Mapping)]

    def block(title: str, items: list[Mapping[str, Any]], limit: int) -> None:
        rows = _fold_moves(items, moves)
        if not rows:
            return
        lines.extend(["", f"**{title}**"])
        for what, c in rows[:limit]:
            where = f"{_md(c['page'])} {_md(c['locale'])}"
            if what == "move":
                lines.append(
                    f"- {where} · section {_md(c.get('old_section'))} **renamed** to "
                    f"{_md(c.get('new_section'))}: {int(c.get('rows') or 0)} rows"
                )
                continue
            text = describe_change(c, name=_md_code, text=_md)
            lines.append(f"- {where} · **{_md(str(c['kind']).replace('_', ' '))}** {text}")
        if len(rows) > limit:
            lines.append(f"- … and {len(rows) - limit} more")

    block("Breaking", breaking, _MD_BREAKING_LIMIT)
    block("Other changes", other, _MD_OTHER_LIMIT)
    problems = [p for p in report["pages"] if p["status"] in ("failed", "quarantined")]
    if problems:
        lines.extend(["", "**Pages not checked** (their last good snapshot stays the baseline)"])
        for p in problems:
            reason = _md(p["reason"]) if p.get("reason") else "no reason given"
            lines.append(f"- {_md(p['page'])} {_md(p['locale'])}: {_md(p['status'])} — {reason}")
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


def render_github(report: Mapping[str, Any]) -> str:
    """GitHub Actions workflow commands: ::error for breaking, ::warning for the rest."""
    out = []
    for c in report["changes"]:
        level = "error" if c["kind"] in BREAKING_KINDS else "warning"
        title = f"errwatch: {c['kind']} on {c['page']} ({c['locale']})"
        out.append(f"::{level} title={gh_prop(title)}::{gh_data(describe_change(c))}")
    for p in report["pages"]:
        if p["status"] in ("failed", "quarantined"):
            title = f"errwatch: {p['page']} ({p['locale']}) {p['status']}"
            msg = f"{p['page']} {p['locale']} {p['status']}: {p.get('reason') or 'no reason given'}"
            out.append(f"::warning title={gh_prop(title)}::{gh_data(msg)}")
    return "\n".join(out) + ("\n" if out else "")
