"""Records -> changes: classify what moved between two versions of one page.

Records are matched by key in plain dicts, never by an ordered or order-ignoring list
diff: DeepDiff with ``ignore_order`` pairs unrelated records and is slow on big pages,
and an ordered diff turns one inserted code into thousands of shifted items (see
STYLE.md, "Traps measured").

Matching, in this order:

1. Code records by code.  A code listed twice on a page is matched occurrence by
   occurrence: same name first, then the rest in page order.
2. Renumbering by name: a name that is unique among the coded records of *both*
   versions but sits under different codes is one ``renumbered`` change (the content
   of the two records is compared too).  Null names and ``generic_names`` never match.
   If the old code is still there under another name, that pair is also ``renamed``
   (code -4087: INVALID_PAIR -> REDUCE_ONLY_ORDER_PERMISSION), but its content is not
   compared, because the record now means something else.
3. Code-less table rows ("Filter failures") by their messages (and name) wherever they
   sit: same section first, then across sections (``section_changed``).

Text is compared after normalisation (zero-width characters dropped, NBSP and runs of
white space collapsed, ends trimmed) so that edits of white space alone are no change;
messages are compared as multisets, so a reordering alone is no change either; names
also ignore case.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from typing import Any

from scraper.errors import UsageError
from scraper.models import BREAKING_KINDS, CHANGE_KINDS, Change, Record
from scraper.parse import INVISIBLE

FAIL_ON = ("never", "any", "breaking")
_KIND_ORDER = {kind: i for i, kind in enumerate(CHANGE_KINDS)}
_SPACE_RE = re.compile(r"\s+")  # \s covers NBSP, U+202F, ideographic space, tabs, newlines
_TRAILING_RE = re.compile(r"[^\S\n]+\n")


def norm_text(text: str | None) -> str:
    """The comparison form of a message, section or description."""
    if not text:
        return ""
    if (
        text.isascii()
        and text.isprintable()
        and "  " not in text
        and text[0] != " "
        and text[-1] != " "
    ):
        return text  # already normal: the common case, kept cheap for 10,000-code pages
    return _SPACE_RE.sub(" ", text.translate(INVISIBLE)).strip()


def norm_name(name: str | None) -> str:
    """The comparison form of a name: like ``norm_text`` and case-insensitive."""
    return norm_text(name).casefold()


def clean_text(text: str | None) -> str | None:
    """The display form: invisible characters gone, NBSP as space, lines kept."""
    if text is None:
        return None
    text = text.translate(INVISIBLE).replace("\u00a0", " ").replace("\u202f", " ")
    return _TRAILING_RE.sub("\n", text).strip()


def diff_records(
    page: str,
    locale: str,
    old: Sequence[Record],
    new: Sequence[Record],
    *,
    generic_names: Iterable[str] = (),
) -> list[Change]:
    """Every change from ``old`` to ``new`` of one page and locale, sorted.

    ``generic_names`` (config ``generic_names``) are never used to detect renumbering.
    """
    generic = {norm_name(n) for n in generic_names}
    out: list[Change] = []
    _diff_coded(
        page,
        locale,
        [r for r in old if r.code is not None],
        [r for r in new if r.code is not None],
        generic,
        out,
    )
    _diff_codeless(
        page,
        locale,
        [r for r in old if r.code is None],
        [r for r in new if r.code is None],
        out,
    )
    out.sort(key=change_sort_key)
    return out


def _diff_coded(
    page: str,
    locale: str,
    old: list[Record],
    new: list[Record],
    generic: set[str],
    out: list[Change],
) -> None:
    old_names = [norm_name(r.name) for r in old]
    new_names = [norm_name(r.name) for r in new]

    # 1. by code, occurrence by occurrence
    old_by_code: dict[int, list[int]] = defaultdict(list)
    new_by_code: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(old):
        old_by_code[r.code].append(i)  # type: ignore[index]
    for j, r in enumerate(new):
        new_by_code[r.code].append(j)  # type: ignore[index]
    code_pairs: list[tuple[int, int]] = []
    for code, olds in old_by_code.items():
        news = new_by_code.get(code)
        if news:
            if len(olds) == 1 and len(news) == 1:  # the common case, without a call
                code_pairs.append((olds[0], news[0]))
            else:
                code_pairs.extend(_pair_occurrences(olds, news, old_names, new_names))
    old_paired = {i for i, _ in code_pairs}
    new_paired = {j for _, j in code_pairs}

    # 2. by name, where the name is unique on both sides and the code differs
    old_count = Counter(old_names)
    new_count = Counter(new_names)
    new_at = {nm: j for j, nm in enumerate(new_names) if new_count[nm] == 1}
    name_pairs: list[tuple[int, int]] = []
    for i, nm in enumerate(old_names):
        if not nm or nm in generic or old_count[nm] != 1:
            continue
        at = new_at.get(nm)
        if at is not None and new[at].code != old[i].code:
            name_pairs.append((i, at))
    old_moved = {i for i, _ in name_pairs}
    new_moved = {j for _, j in name_pairs}

    for i, j in name_pairs:
        o, n = old[i], new[j]
        out.append(
            Change(
                "renumbered",
                page,
                locale,
                name=_display_name(n.name),
                old_code=o.code,
                new_code=n.code,
                anchor=n.anchor,
            )
        )
        _content_changes(page, locale, o, n, out)
    for i, j in code_pairs:
        o, n = old[i], new[j]
        if old_names[i] != new_names[j]:
            out.append(
                Change(
                    "renamed",
                    page,
                    locale,
                    code=n.code,
                    old_name=_display_name(o.name),
                    new_name=_display_name(n.name),
                    anchor=n.anchor,
                )
            )
        if i not in old_moved and j not in new_moved:
            _content_changes(page, locale, o, n, out)
    for i, o in enumerate(old):
        if i not in old_paired and i not in old_moved:
            out.append(
                Change(
                    "removed",
                    page,
                    locale,
                    code=o.code,
                    name=_display_name(o.name),
                    anchor=o.anchor,
                )
            )
    for j, n in enumerate(new):
        if j not in new_paired and j not in new_moved:
            out.append(
                Change(
                    "added", page, locale, code=n.code, name=_display_name(n.name), anchor=n.anchor
                )
            )


def _pair_occurrences(
    olds: list[int], news: list[int], old_names: list[str], new_names: list[str]
) -> list[tuple[int, int]]:
    """Pair the occurrences of one code: same name first, then in page order."""
    if len(olds) == 1 and len(news) == 1:
        return [(olds[0], news[0])]
    by_name: dict[str, deque[int]] = defaultdict(deque)
    for j in news:
        by_name[new_names[j]].append(j)
    pairs: list[tuple[int, int]] = []
    rest_old: list[int] = []
    for i in olds:
        queue = by_name.get(old_names[i])
        if queue:
            pairs.append((i, queue.popleft()))
        else:
            rest_old.append(i)
    used = {j for _, j in pairs}
    rest_new = [j for j in news if j not in used]
    pairs.extend(zip(rest_old, rest_new))
    return pairs


def _content_changes(page: str, locale: str, o: Record, n: Record, out: list[Change]) -> None:
    """messages_changed / section_changed / description_changed of one matched pair."""
    if o.messages == n.messages and o.section == n.section and o.description == n.description:
        return  # the common case, kept cheap: nothing below can differ
    name = _display_name(n.name)
    added, removed = (
        _message_delta(o.messages, n.messages) if o.messages != n.messages else ((), ())
    )
    if added or removed:
        out.append(
            Change(
                "messages_changed",
                page,
                locale,
                code=n.code,
                name=name,
                added_messages=added,
                removed_messages=removed,
                anchor=n.anchor,
            )
        )
    if o.section != n.section and norm_text(o.section) != norm_text(n.section):
        out.append(
            Change(
                "section_changed",
                page,
                locale,
                code=n.code,
                name=name,
                old_section=clean_text(o.section),
                new_section=clean_text(n.section),
                anchor=n.anchor,
            )
        )
    if o.description != n.description and norm_text(o.description) != norm_text(n.description):
        out.append(
            Change(
                "description_changed",
                page,
                locale,
                code=n.code,
                name=name,
                old_description=clean_text(o.description),
                new_description=clean_text(n.description),
                anchor=n.anchor,
            )
        )


def _message_delta(
    old: Sequence[str], new: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Messages only in ``new`` / only in ``old``, as multisets, in page order."""
    old_n = Counter(m for m in map(norm_text, old) if m)
    new_n = Counter(m for m in map(norm_text, new) if m)
    if old_n == new_n:
        return (), ()
    return _pick(new, new_n - old_n), _pick(old, old_n - new_n)


def _pick(messages: Sequence[str], wanted: Counter[str]) -> tuple[str, ...]:
    left = Counter(wanted)
    picked: list[str] = []
    for m in messages:
        key = norm_text(m)
        if left[key] > 0:
            left[key] -= 1
            picked.append(clean_text(m) or "")
    return tuple(picked)


def _diff_codeless(
    page: str, locale: str, old: list[Record], new: list[Record], out: list[Change]
) -> None:
    """Table rows without codes match by their message wherever they sit on the page.

    First rows that kept their section (key: section, messages, name), in order; then the
    rest by (messages, name) alone: a row whose section heading was renamed or which moved
    to another table is one ``section_changed``, never a removal plus an addition (a
    renamed heading above a 40-row table is 40 section moves, not 80 breaking changes).
    """

    def content(r: Record) -> tuple[tuple[str, ...], str]:
        return tuple(m for m in map(norm_text, r.messages) if m), norm_name(r.name)

    new_by_key: dict[tuple[str, tuple[tuple[str, ...], str]], deque[int]] = defaultdict(deque)
    for j, n in enumerate(new):
        new_by_key[(norm_text(n.section), content(n))].append(j)
    pairs: list[tuple[Record, Record]] = []
    used: set[int] = set()
    rest_old: list[Record] = []
    for o in old:
        queue = new_by_key.get((norm_text(o.section), content(o)))
        if queue:
            j = queue.popleft()
            used.add(j)
            pairs.append((o, new[j]))
        else:
            rest_old.append(o)
    moved_to: dict[tuple[tuple[str, ...], str], deque[int]] = defaultdict(deque)
    for j, n in enumerate(new):
        if j not in used:
            moved_to[content(n)].append(j)
    for o in rest_old:
        queue = moved_to.get(content(o))
        if queue:
            j = queue.popleft()
            used.add(j)
            n = new[j]
            pairs.append((o, n))
            out.append(
                _row_change(
                    "section_changed",
                    page,
                    locale,
                    n,
                    old_section=clean_text(o.section),
                    new_section=clean_text(n.section),
                )
            )
        else:
            out.append(_row_change("removed", page, locale, o))
    for o, n in pairs:
        if norm_text(o.description) != norm_text(n.description):
            out.append(
                _row_change(
                    "description_changed",
                    page,
                    locale,
                    n,
                    old_description=clean_text(o.description),
                    new_description=clean_text(n.description),
                )
            )
    for j, n in enumerate(new):
        if j not in used:
            out.append(_row_change("added", page, locale, n))


def _row_change(kind: str, page: str, locale: str, r: Record, **kw: Any) -> Change:
    message = " / ".join(clean_text(m) or "" for m in r.messages if norm_text(m)) or None
    return Change(
        kind,
        page,
        locale,
        name=_display_name(r.name),
        section=clean_text(r.section),
        message=message,
        anchor=r.anchor,
        **kw,
    )


def _display_name(name: str | None) -> str | None:
    if name is None:
        return None
    return norm_text(name) or None


def change_sort_key(c: Change) -> tuple[Any, ...]:
    """Kind order (models.CHANGE_KINDS), then code in page order (-1000, -1001, …), name.

    Exported so reports that merge pages sort the same way.
    """
    code = c.code if c.code is not None else c.new_code if c.new_code is not None else c.old_code
    name = c.name or c.new_name or c.old_name or ""
    return (
        _KIND_ORDER.get(c.kind, len(_KIND_ORDER)),
        code is None,
        abs(code) if code is not None else 0,
        code if code is not None else 0,
        name.casefold(),
        c.message or "",
        json.dumps(c.to_dict(), sort_keys=True, ensure_ascii=False),
    )


def drift_level(changes: Iterable[Change]) -> str:
    """``none`` (no changes), ``breaking`` (any removed/renamed/renumbered) or ``any``."""
    level = "none"
    for c in changes:
        if c.kind in BREAKING_KINDS:
            return "breaking"
        level = "any"
    return level


def fails(changes: Iterable[Change], fail_on: str) -> bool:
    """Does this drift reach ``--fail-on`` (never | any | breaking)?"""
    if fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    level = drift_level(changes)
    if fail_on == "never":
        return False
    if fail_on == "any":
        return level != "none"
    return level == "breaking"
