"""The rules: hold table entries against the docs state and produce findings.

Binding: an entry is held against the pages its innermost section component names in
``--map`` (or the pages a data file gives it), else against ``--page`` (default: every
page of the docs state).  Then, per entry, in this order:

* ``sign``: +N where some docs page (any page) lists -N and none lists +N.  Nothing else.
* ``renumbered``: the entry's name is documented under another code on a bound page, and
  no bound page documents the entry's code under that name.
* ``not_in_docs``: no bound page lists the code (the finding names the pages that do).
* ``renamed_in_docs`` / ``name_mismatch``: no bound page names the code as the entry does
  (case and underscores aside); an older docs name of the code is ``renamed_in_docs``.
* ``message_mismatch``: the entry's message matches none of the code's messages
  (case, white space, end punctuation and placeholders aside).

And per page named by ``--map`` or ``--page``: ``missing`` for each code the page lists that
no entry held against it has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from scraper.check.docs import DocsPage, DocsRecord, DocsState
from scraper.check.model import SEVERITY_RANK, Entry, Finding, Table, is_upper_snake
from scraper.errors import UsageError


def norm_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).casefold()


_PLACEHOLDER = re.compile(r"""['"]?(?:%[-+ 0#]*\d*(?:\.\d+)?[sdifxXeEgGru]|\{[^{}]*\})['"]?""")
_END_PUNCT = " \t.。!！?？;；:：,，"


@lru_cache(maxsize=65536)
def _message_pattern(text: str) -> re.Pattern[str]:
    text = _PLACEHOLDER.sub("\x00", text.casefold())
    text = " ".join(text.split()).strip(_END_PUNCT)
    parts = [re.escape(p) for p in text.split("\x00")]
    return re.compile(r".*?".join(parts), re.DOTALL)


def _norm_message(text: str) -> str:
    return " ".join(text.casefold().split()).strip(_END_PUNCT)


def messages_match(entry_message: str, docs_message: str) -> bool:
    a, b = _norm_message(entry_message), _norm_message(docs_message)
    if a == b:
        return True
    return bool(
        _message_pattern(docs_message).fullmatch(a) or _message_pattern(entry_message).fullmatch(b)
    )


@dataclass
class _PageIndex:
    page: DocsPage
    by_code: dict[int, list[DocsRecord]] = field(default_factory=dict)
    by_name: dict[str, list[DocsRecord]] = field(default_factory=dict)

    @classmethod
    def build(cls, page: DocsPage) -> _PageIndex:
        idx = cls(page)
        for r in page.records:
            code = r.record.code
            if code is None:
                continue
            idx.by_code.setdefault(code, []).append(r)
            if r.record.name:
                idx.by_name.setdefault(norm_name(r.record.name), []).append(r)
        return idx


@dataclass(frozen=True)
class Binding:
    """``--map`` keys, ``--page`` ids, and the pages an unmapped entry is held against."""

    maps: Mapping[str, tuple[str, ...]]
    pages: tuple[str, ...]  # --page (empty: every page)


def parse_maps(values: Sequence[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for value in values:
        key, sep, pages = value.partition("=")
        key = key.strip()
        ids = tuple(p.strip() for p in pages.split("+") if p.strip())
        if not sep or not key or not ids:
            raise UsageError(f"--map {value!r}: use SECTION=PAGE[+PAGE…]")
        out[key] = tuple(dict.fromkeys((*out.get(key, ()), *ids)))
    return out


def _sort_key(f: Finding) -> tuple[str, int, bool, int, str, int]:
    line = f.line if f.line is not None else f.anchor_line
    return (
        f.file,
        SEVERITY_RANK[f.severity],
        f.line is None,
        line,
        ",".join(f.pages),
        abs(f.code or 0),
    )


class Checker:
    def __init__(self, docs: DocsState, binding: Binding) -> None:
        self.docs = docs
        self.binding = binding
        self.index = {pid: _PageIndex.build(p) for pid, p in docs.pages.items()}
        self.all_pages = tuple(self.index)
        self.codes_anywhere: dict[int, list[str]] = {}
        for pid, idx in self.index.items():
            for code in idx.by_code:
                self.codes_anywhere.setdefault(code, []).append(pid)

    def known(self, e: Entry) -> bool:
        """A weak entry counts only when the docs know its code (either sign) or its name."""
        if not e.weak:
            return True
        if e.code in self.codes_anywhere or -e.code in self.codes_anywhere:
            return True
        key = norm_name(e.name) if e.name else None
        return key is not None and any(key in idx.by_name for idx in self.index.values())

    # ------------------------------------------------------------------ binding
    def bound(self, e: Entry) -> tuple[str, ...]:
        if e.pages:
            return e.pages
        for comp in reversed(e.section):
            if comp in self.binding.maps:
                return self.binding.maps[comp]
        return self.binding.pages or self.all_pages

    # ------------------------------------------------------------------ rules
    def _make(
        self,
        e: Entry,
        bound: tuple[str, ...],
        *,
        kind: str,
        detail: str,
        pages: tuple[str, ...] = (),
        link: str | None = None,
        docs_name: str | None = None,
        docs_messages: tuple[str, ...] = (),
    ) -> Finding:
        return Finding(
            kind=kind,
            code=e.code,
            file=e.file,
            line=e.line,
            detail=detail,
            name=e.name,
            mapping=e.mapping,
            message=e.message,
            section=e.section,
            pages=pages,
            link=link,
            docs_name=docs_name,
            docs_messages=docs_messages,
            bound=bound,
        )

    def entry(self, e: Entry) -> list[Finding]:
        pages = self.bound(e)
        # sign
        if e.code > 0 and -e.code in self.codes_anywhere and e.code not in self.codes_anywhere:
            where = self.codes_anywhere[-e.code]
            pick = next((p for p in pages if p in where), where[0])
            rec = self.index[pick].by_code[-e.code][0]
            return [
                self._make(
                    e,
                    pages,
                    kind="sign",
                    detail=f"{e.code} is written with the wrong sign: the docs list "
                    f"{-e.code} {rec.record.name or ''}".rstrip()
                    + f" ({', '.join(where)})",
                    pages=tuple(where),
                    link=self.index[pick].page.link(rec.record.anchor),
                    docs_name=rec.record.name,
                    docs_messages=rec.record.messages,
                )
            ]
        hits = [(p, r) for p in pages for r in self.index[p].by_code.get(e.code, ())]
        out: list[Finding] = []
        # renumbered
        if e.name:
            key = norm_name(e.name)
            named = [
                (p, r)
                for p in pages
                for r in self.index[p].by_name.get(key, ())
                if r.record.code != e.code
            ]
            agrees = any(norm_name(r.record.name or "") == key for _, r in hits)
            if named and not agrees:
                p, r = named[0]
                meaning = ", ".join(
                    sorted({f"{r2.record.name}" for _, r2 in hits if r2.record.name})
                )
                here = (
                    f"; {e.code} is {meaning} there"
                    if meaning
                    else f"; {e.code} is not listed there"
                )
                return [
                    self._make(
                        e,
                        pages,
                        kind="renumbered",
                        detail=f"{e.name} is {r.record.code} on {p}{here}",
                        pages=tuple(dict.fromkeys(pp for pp, _ in named)),
                        link=self.index[p].page.link(r.record.anchor),
                        docs_name=r.record.name,
                        docs_messages=r.record.messages,
                    )
                ]
        # not_in_docs
        if not hits:
            elsewhere = [p for p in self.codes_anywhere.get(e.code, []) if p not in pages]
            detail = f"{e.code} is on no bound page ({', '.join(pages)})"
            if elsewhere:
                detail += f"; listed on {', '.join(elsewhere)}"
            link = None
            if elsewhere:
                r0 = self.index[elsewhere[0]].by_code[e.code][0]
                link = self.index[elsewhere[0]].page.link(r0.record.anchor)
            return [
                self._make(
                    e, pages, kind="not_in_docs", detail=detail, pages=tuple(elsewhere), link=link
                )
            ]
        p0, r0 = hits[0]
        hit_pages = tuple(dict.fromkeys(p for p, _ in hits))
        # names
        if e.name:
            key = norm_name(e.name)
            docs_names = [(p, r) for p, r in hits if r.record.name and _comparable(r.record.name)]
            if docs_names and not any(norm_name(r.record.name or "") == key for _, r in docs_names):
                older = [
                    p
                    for p in hit_pages
                    if any(norm_name(n) == key for n in self.docs.older_names.get((p, e.code), ()))
                ]
                p, r = next(((p, r) for p, r in docs_names if p in older), docs_names[0])
                kind = "renamed_in_docs" if older else "name_mismatch"
                verb = "was renamed to" if older else "is named"
                out.append(
                    self._make(
                        e,
                        pages,
                        kind=kind,
                        detail=f"{e.code}: the docs' {e.name} {verb} {r.record.name} on {p}"
                        if older
                        else f"{e.code} {verb} {r.record.name} on {p}, not {e.name}",
                        pages=tuple(dict.fromkeys(pp for pp, _ in docs_names)),
                        link=self.index[p].page.link(r.record.anchor),
                        docs_name=r.record.name,
                        docs_messages=r.record.messages,
                    )
                )
        # messages
        if e.message and e.message.strip():
            with_msgs = [(p, r) for p, r in hits if r.record.messages]
            if with_msgs and not any(
                messages_match(e.message, m) for _, r in with_msgs for m in r.record.messages
            ):
                p, r = with_msgs[0]
                msgs = tuple(dict.fromkeys(m for _, r2 in with_msgs for m in r2.record.messages))
                quoted = "; ".join(f'"{m}"' for m in msgs[:3]) + ("; …" if len(msgs) > 3 else "")
                detail = f"{e.code}: message matches none of the docs' messages on {p}: {quoted}"
                other = self._message_elsewhere(e.message, pages, e.code)
                if other:
                    detail += f"; it is the message of {other}"
                out.append(
                    self._make(
                        e,
                        pages,
                        kind="message_mismatch",
                        detail=detail,
                        pages=tuple(dict.fromkeys(pp for pp, _ in with_msgs)),
                        link=self.index[p].page.link(r.record.anchor),
                        docs_name=r0.record.name if p == p0 else r.record.name,
                        docs_messages=msgs,
                    )
                )
        return out

    def _message_elsewhere(self, message: str, pages: Sequence[str], code: int) -> str | None:
        """Where the docs do give this message: another code on a bound page, or any page."""
        for p in (*pages, *(p for p in self.all_pages if p not in pages)):
            for c, recs in self.index[p].by_code.items():
                if c == code and p in pages:
                    continue
                for r in recs:
                    if any(messages_match(message, m) for m in r.record.messages):
                        return f"{c} {r.record.name} on {p}" if r.record.name else f"{c} on {p}"
        return None

    def missing(self, tables: Sequence[Table]) -> list[Finding]:
        named: list[str] = []
        for pages in self.binding.maps.values():
            named.extend(pages)
        named.extend(self.binding.pages)
        out: list[Finding] = []
        entries = [e for t in tables for e in t.entries]
        held: dict[str, set[int]] = {}
        for e in entries:
            for p in self.bound(e):
                held.setdefault(p, set()).add(e.code)
        for p in dict.fromkeys(named):
            idx = self.index[p]
            file, line = self._section_start(p, tables)
            have = held.get(p, set())
            for code, recs in idx.by_code.items():
                if code in have:
                    continue
                r = recs[0]
                since = f" (first listed {seen_date(r.first_seen)})" if r.first_seen else ""
                out.append(
                    Finding(
                        kind="missing",
                        code=code,
                        file=file,
                        line=None,
                        detail=f"{p} lists {code} {r.record.name or ''}".rstrip()
                        + f"{since}; the table lacks it",
                        pages=(p,),
                        link=idx.page.link(r.record.anchor),
                        docs_name=r.record.name,
                        docs_messages=r.record.messages,
                        section=self._keys_for(p),
                        anchor_line=line,
                        bound=(p,),
                    )
                )
        return out

    def _keys_for(self, page: str) -> tuple[str, ...]:
        return tuple(k for k, pages in self.binding.maps.items() if page in pages)

    def _section_start(self, page: str, tables: Sequence[Table]) -> tuple[str, int]:
        keys = set(self._keys_for(page))
        for t in tables:
            starts = [t.section_line(k) for k in keys]
            found = [line for line in starts if line is not None]
            if found:
                return t.path, min(found)
        for t in tables:
            lines = [e.line for e in t.entries if page in self.bound(e)]
            if lines:
                return t.path, 1
        return tables[0].path, 1


def seen_date(snapshot_id: str | None) -> str | None:
    """``20261121T060000Z`` -> ``2026-11-21``; None stays None."""
    m = re.match(r"^(\d{4})(\d{2})(\d{2})T", snapshot_id or "")
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else snapshot_id


def _comparable(docs_name: str) -> bool:
    """A docs name the table's UPPER_SNAKE names can be held against (not a translation)."""
    return is_upper_snake(docs_name.replace(" ", "_")) or is_upper_snake(docs_name)


def check(tables: Sequence[Table], docs: DocsState, binding: Binding) -> list[Finding]:
    """All findings, grouped by file, most severe first, then by line."""
    known = set(docs.pages)
    for key, pages in binding.maps.items():
        for p in pages:
            if p not in known:
                raise UsageError(
                    f"--map {key}={'+'.join(pages)}: no {docs.locale} docs state for page {p!r}"
                )
    for p in binding.pages:
        if p not in known:
            raise UsageError(f"--page {p}: no {docs.locale} docs state for that page")
    for t in tables:
        for e in t.entries:
            for p in e.pages:
                if p not in known:
                    raise UsageError(
                        f"{e.file}:{e.line}: page {p!r} has no {docs.locale} docs state"
                    )
    components = {c for t in tables for e in t.entries for c in e.section}
    for key in binding.maps:
        if key not in components:
            raise UsageError(f"--map {key}=…: no table entry has a section named {key!r}")
    checker = Checker(docs, binding)
    tables = [replace(t, entries=tuple(e for e in t.entries if checker.known(e))) for t in tables]
    findings = [f for t in tables for e in t.entries for f in checker.entry(e)]
    findings += checker.missing(tables)
    return sorted(findings, key=_sort_key)
