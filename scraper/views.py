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

__all__ = ["code_key", "cross_page", "locale_gaps", "normalize_name"]

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
                out.append(((page, code_key(code), 0), {
                    "page": page, "code": code, "name": recs[0].name,
                    "kind": "missing", "missing_in": "zh-CN",
                }))
        for code, recs in zh.items():
            if code not in en:
                out.append(((page, code_key(code), 1), {
                    "page": page, "code": code, "name": recs[0].name,
                    "kind": "missing", "missing_in": "en",
                }))
        for code, en_recs in en.items():
            for en_rec, zh_rec in zip(en_recs, zh.get(code, ())):
                zh_count = sum(1 for lang in zh_rec.message_langs if lang == "zh")
                if zh_count and zh_count != len(en_rec.messages):
                    out.append(((page, code_key(code), 2), {
                        "page": page, "code": code, "name": en_rec.name,
                        "kind": "message_count",
                        "counts": {"en": len(en_rec.messages), "zh-CN": zh_count},
                    }))
    out.sort(key=lambda item: item[0])
    return [entry for _, entry in out]
