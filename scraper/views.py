"""Views across pages and locales of one effective state (no history involved).

A diff only sees one page over time; SDK maintainers also trip over the same name
meaning different codes on different products (INVALID_PAIR is -4087 on COIN-M and
-4144 on USDⓈ-M) and over translations that lag behind.  These functions read the
newest good records of every page and locale and list those collisions and gaps as
plain dicts, ready for report.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scraper.diff import norm_name, norm_text
from scraper.models import LOCALES, Record

__all__ = [
    "CROSS_GROUPS",
    "SHARED_LIST_OVERLAP",
    "TRADING_PRODUCTS",
    "code_key",
    "cross_page",
    "locale_gaps",
    "normalize_name",
    "rank_cross_page",
    "shared_list_pages",
]

# Products a user trades through one client (one SDK, one order router): a name or code that
# means different things between two of them is a real conflict for that client.
TRADING_PRODUCTS: tuple[str, ...] = (
    "spot",
    "usds-futures",
    "coin-futures",
    "options",
    "portfolio-margin",
    "portfolio-margin-pro",
)
# Two non-trading pages whose (code, name) sets overlap this much (Jaccard) publish one list
# (copies of the SAPI list agree at 1.0; a copy lagging a few edits behind stays above 0.7;
# unrelated product lists overlap below 0.3 on the real pages).
SHARED_LIST_OVERLAP = 0.7
# Order of the cross-product groups in reports: real conflicts first, by-design reuse last.
CROSS_GROUPS: tuple[str, ...] = ("trading", "other", "shared_list")


def normalize_name(name: str) -> str:
    """Compare names the way a reader would (and diff.py does): case, white space and
    zero-width characters do not count."""
    return norm_name(name)


def _display(name: str) -> str:
    return norm_text(name)


def code_key(code: int | None) -> tuple[int, int]:
    """Reading order of codes: -1000, -1001, ..., -4144 (by magnitude, then sign)."""
    if code is None:
        return (1 << 62, 0)
    return (abs(code), code)


def _locale_key(locale: str) -> tuple[int, str]:
    return (LOCALES.index(locale) if locale in LOCALES else len(LOCALES), locale)


def _one_or_list(values: list[Any]) -> Any:
    """A single value stays a scalar; several become a list (report.json contract)."""
    return values[0] if len(values) == 1 else values


def cross_page(
    effective: Mapping[tuple[str, str], Sequence[Record]],
    generic_names: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Name/code collisions between pages of the same locale.

    ``same_name_different_code``: one (normalized) name stands under different codes on
    at least two pages.  ``same_code_different_name``: one code carries different names on
    at least two pages.  Entries whose names are configured as generic (UNKNOWN, ...)
    are kept and flagged ``generic: true`` so the HTML can show them apart.
    """
    generic = {normalize_name(n) for n in generic_names}
    by_locale: dict[str, dict[str, Sequence[Record]]] = {}
    for (page, locale), records in effective.items():
        by_locale.setdefault(locale, {})[page] = records

    entries: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for locale in sorted(by_locale, key=_locale_key):
        pages = by_locale[locale]
        # norm name -> page -> codes (first-seen spelling kept for display)
        name_codes: dict[str, dict[str, set[int]]] = {}
        spelling: dict[str, str] = {}
        # code -> page -> norm name -> spelling
        code_names: dict[int, dict[str, dict[str, str]]] = {}
        for page in sorted(pages):
            for rec in pages[page]:
                if rec.code is None or rec.name is None or not rec.name.strip():
                    continue
                norm = normalize_name(rec.name)
                display = _display(rec.name)
                spelling.setdefault(norm, display)
                name_codes.setdefault(norm, {}).setdefault(page, set()).add(rec.code)
                code_names.setdefault(rec.code, {}).setdefault(page, {}).setdefault(norm, display)

        for norm, per_page in name_codes.items():
            code_sets = {frozenset(codes) for codes in per_page.values()}
            if len(per_page) < 2 or len(code_sets) < 2:
                continue
            codes = {
                page: _one_or_list(sorted(per_page[page], key=code_key))
                for page in sorted(per_page)
            }
            entry = {
                "kind": "same_name_different_code",
                "locale": locale,
                "name": spelling[norm],
                "codes": codes,
                "generic": norm in generic,
            }
            entries.append(((0, _locale_key(locale), norm), entry))

        for code, per_page_names in code_names.items():
            name_sets = {frozenset(names) for names in per_page_names.values()}
            if len(per_page_names) < 2 or len(name_sets) < 2:
                continue
            names = {
                page: _one_or_list([per_page_names[page][n] for n in sorted(per_page_names[page])])
                for page in sorted(per_page_names)
            }
            all_norms = {n for names_ in per_page_names.values() for n in names_}
            entry = {
                "kind": "same_code_different_name",
                "locale": locale,
                "code": code,
                "names": names,
                "generic": bool(all_norms & generic),
            }
            entries.append(((1, _locale_key(locale), code_key(code)), entry))

    entries.sort(key=lambda item: item[0])
    return [entry for _, entry in entries]


def _by_code(records: Sequence[Record]) -> dict[int, list[Record]]:
    out: dict[int, list[Record]] = {}
    for rec in records:
        if rec.code is not None:
            out.setdefault(rec.code, []).append(rec)
    return out


def locale_gaps(effective: Mapping[tuple[str, str], Sequence[Record]]) -> list[dict[str, Any]]:
    """Codes the en and zh-CN versions of a page disagree on.

    ``kind: missing`` — a code present in one locale only (``missing_in`` names the
    other).  ``kind: message_count`` — the en page lists N messages but the zh-CN page
    translates a different number (counted by ``message_langs == 'zh'``; records with no
    zh message at all are skipped, since they were simply not translated bullet by
    bullet).  Only pages that have a good state in both locales are compared.
    """
    pages = sorted({page for page, _ in effective})
    out: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for page in pages:
        if (page, "en") not in effective or (page, "zh-CN") not in effective:
            continue
        en = _by_code(effective[(page, "en")])
        zh = _by_code(effective[(page, "zh-CN")])
        for code, recs in en.items():
            if code not in zh:
                out.append(
                    (
                        (page, code_key(code), 0),
                        {
                            "page": page,
                            "code": code,
                            "name": recs[0].name,
                            "kind": "missing",
                            "missing_in": "zh-CN",
                        },
                    )
                )
        for code, recs in zh.items():
            if code not in en:
                out.append(
                    (
                        (page, code_key(code), 1),
                        {
                            "page": page,
                            "code": code,
                            "name": recs[0].name,
                            "kind": "missing",
                            "missing_in": "en",
                        },
                    )
                )
        for code, en_recs in en.items():
            for en_rec, zh_rec in zip(en_recs, zh.get(code, ())):
                zh_count = sum(1 for lang in zh_rec.message_langs if lang == "zh")
                if zh_count and zh_count != len(en_rec.messages):
                    out.append(
                        (
                            (page, code_key(code), 2),
                            {
                                "page": page,
                                "code": code,
                                "name": en_rec.name,
                                "kind": "message_count",
                                "counts": {"en": len(en_rec.messages), "zh-CN": zh_count},
                            },
                        )
                    )
    out.sort(key=lambda item: item[0])
    return [entry for _, entry in out]


def shared_list_pages(
    effective: Mapping[tuple[str, str], Sequence[Record]],
    trading: Iterable[str] = TRADING_PRODUCTS,
    overlap: float = SHARED_LIST_OVERLAP,
) -> tuple[str, ...]:
    """Pages that republish one shared list (Binance's SAPI error list), found from the data.

    Wallet, sub-account, algo, convert, copy-trading, institutional-loan and margin each
    publish the same SAPI list, which reuses futures codes under other names by design.
    Rather than hard-coding those ids, two pages that are not trading products belong to
    one shared list when the Jaccard overlap of their (code, normalized name) sets is at
    least ``overlap`` in some locale both have; every page linked to another that way
    is returned.  A page alone in its list never is: its collisions stay
    in the "other" group.
    """
    trading_set = set(trading)
    by_locale: dict[str, dict[str, frozenset[tuple[int, str]]]] = {}
    for (page, locale), records in effective.items():
        if page in trading_set:
            continue
        pairs = frozenset(
            (r.code, normalize_name(r.name)) for r in records if r.code is not None and r.name
        )
        if pairs:
            by_locale.setdefault(locale, {})[page] = pairs
    linked: set[str] = set()
    for pages in by_locale.values():
        names = sorted(pages)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                inter = len(pages[a] & pages[b])
                if inter and inter / len(pages[a] | pages[b]) >= overlap:
                    linked.update((a, b))
    return tuple(sorted(linked))


def _collides(entry: Mapping[str, Any], keep: set[str] | None, drop: set[str]) -> bool:
    """Does the collision still hold among the entry's pages in ``keep`` (all if None)
    minus ``drop``?"""
    values = entry["codes"] if entry["kind"] == "same_name_different_code" else entry["names"]
    seen = set()
    for page, value in values.items():
        if page in drop or (keep is not None and page not in keep):
            continue
        items = value if isinstance(value, list) else [value]
        if entry["kind"] == "same_code_different_name":
            items = [normalize_name(str(v)) for v in items]
        seen.add(frozenset(items))
    return len(seen) >= 2


def rank_cross_page(
    entries: Sequence[Mapping[str, Any]],
    shared: Iterable[str] = (),
    trading: Iterable[str] = TRADING_PRODUCTS,
) -> list[dict[str, Any]]:
    """The cross_page entries with a ``group`` each, real conflicts first (stable order within).

    ``trading``: the collision holds between trading products alone (a client trading
    spot and USDⓈ-M futures sees INVALID_PAIR under two codes).  ``shared_list``: it only
    exists because a page republishing the shared list (``shared_list_pages``) reuses a
    code or name by design.  ``other``: every remaining collision.
    """
    trading_set, shared_set = set(trading), set(shared)
    out = []
    for e in entries:
        if _collides(e, trading_set, set()):
            group = "trading"
        elif shared_set and not _collides(e, None, shared_set):
            group = "shared_list"
        else:
            group = "other"
        out.append({**e, "group": group})
    out.sort(key=lambda e: CROSS_GROUPS.index(e["group"]))
    return out
