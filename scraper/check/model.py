"""Frozen dataclasses of the check: table entries, findings, allowances."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# kind -> severity, most severe first (the order of SARIF rules and of the summary)
SEVERITY: dict[str, str] = {
    "sign": "error",
    "renumbered": "error",
    "name_mismatch": "warning",
    "renamed_in_docs": "warning",
    "not_in_docs": "warning",
    "message_mismatch": "info",
    "missing": "info",
}
KINDS: tuple[str, ...] = tuple(SEVERITY)
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

KIND_HELP: dict[str, str] = {
    "sign": "the table has +N where the docs list -N: the code can never match",
    "renumbered": "the entry's name is documented under another code, and its code means "
    "something else there",
    "name_mismatch": "the docs name this code otherwise (case and underscores aside)",
    "renamed_in_docs": "the entry's name is an older docs name of this code",
    "not_in_docs": "no bound docs page lists this code",
    "message_mismatch": "the entry's message matches none of the docs' messages for the code",
    "missing": "the bound docs page lists a code the table lacks",
}

_UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


def is_upper_snake(text: str | None) -> bool:
    """A name of the docs' kind: ``INVALID_PAIR``, ``UNKNOWN`` (not ``BadSymbol``)."""
    return bool(text) and bool(_UPPER_SNAKE.match(text or ""))


@dataclass(frozen=True, slots=True)
class Entry:
    """One code occurrence in a table."""

    code: int
    file: str
    line: int
    name: str | None = None  # an UPPER_SNAKE identifier, when the table has one
    mapping: str | None = None  # an exception class or value (``BadSymbol``)
    message: str | None = None  # a string or comment on the entry
    section: tuple[str, ...] = ()  # enclosing keys, types and members, outermost first
    pages: tuple[str, ...] = ()  # pages the table itself binds the entry to (data files)
    # a source-file entry whose container (dict, enum, const block, call) holds no negative
    # code: kept only when the docs know the code (either sign) or its name; so status maps
    # ({'0': 'ok'}), HTTP maps ({'429': …}) and MAX_RETRIES = 5 make no findings
    weak: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """One scanned file."""

    path: str
    format: str
    entries: tuple[Entry, ...]
    # section component -> the line its key or declaration starts on (before its first entry)
    section_lines: tuple[tuple[str, int], ...] = ()

    def section_line(self, component: str) -> int | None:
        return next((line for c, line in self.section_lines if c == component), None)


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement between a table and the docs."""

    kind: str
    code: int | None
    file: str
    line: int | None  # None: no table line (``missing``)
    detail: str  # one human sentence
    name: str | None = None
    mapping: str | None = None
    message: str | None = None
    section: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    link: str | None = None
    docs_name: str | None = None
    docs_messages: tuple[str, ...] = ()
    suppressed: bool = False
    reason: str | None = None  # the allowance's reason when suppressed
    anchor_line: int = 1  # where a SARIF/annotation location points when line is None
    bound: tuple[str, ...] = ()  # the pages the entry was held against (for --allow page)

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]


@dataclass(frozen=True, slots=True)
class Allowance:
    """One ``[[allow]]`` of an --allow file."""

    kind: str
    code: int
    reason: str
    page: str | None = None
    expires: date | None = None
