"""``errwatch check`` as one library call: tables + options -> Report (the CLI is a shell)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scraper.check.allow import apply_allow, load_allow
from scraper.check.compare import Binding, check, parse_maps
from scraper.check.docs import DocsState
from scraper.check.model import Table
from scraper.check.output import Report
from scraper.check.scan import read_table
from scraper.errors import UsageError


def read_tables(paths: Sequence[str]) -> tuple[Table, ...]:
    if not paths:
        raise UsageError("name at least one TABLE file")
    return tuple(read_table(p) for p in dict.fromkeys(paths))


def binding_for(maps: Sequence[str], pages: Sequence[str], known: Sequence[str]) -> Binding:
    """Parse ``--map``/``--page``; a page id the registry does not know is a UsageError."""
    parsed = parse_maps(maps)
    known_set = set(known)
    for key, ids in parsed.items():
        for p in ids:
            if p not in known_set:
                raise UsageError(
                    f"--map {key}={'+'.join(ids)}: unknown page {p!r}; "
                    f"known pages: {', '.join(known)}"
                )
    for p in pages:
        if p not in known_set:
            raise UsageError(f"unknown page {p!r}; known pages: {', '.join(known)}")
    return Binding(maps=parsed, pages=tuple(dict.fromkeys(pages)))


def check_tables(
    tables: Sequence[Table],
    docs: DocsState,
    binding: Binding,
    allow_file: str | None = None,
    today: date | None = None,
) -> Report:
    allows = load_allow(allow_file) if allow_file else ()
    for t in tables:
        for e in t.entries:
            for p in e.pages:
                if p not in docs.pages:
                    raise UsageError(
                        f"{e.file}:{e.line}: unknown page {p!r} "
                        f"(no {docs.locale} docs state for it)"
                    )
    findings = check(tables, docs, binding)
    findings = apply_allow(findings, allows, today)
    return Report(
        findings=tuple(findings), source=docs.source, snapshot=docs.snapshot, locale=docs.locale
    )
