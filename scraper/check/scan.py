"""Pick a scanner by file name and read a table (never importing or running it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from scraper.check.csharp import scan_csharp
from scraper.check.data import scan_csv, scan_json, scan_toml, scan_yaml
from scraper.check.go import scan_go
from scraper.check.jvm import scan_java, scan_kotlin
from scraper.check.model import Entry, Table
from scraper.check.python import scan_python
from scraper.check.typescript import scan_typescript
from scraper.errors import UsageError

Scanner = Callable[[str, str], list[Entry]]

# suffix -> (format name, scanner); the longest matching suffix wins (".d.ts" before ".ts")
SCANNERS: dict[str, tuple[str, Scanner]] = {
    ".json": ("json", scan_json),
    ".csv": ("csv", scan_csv),
    ".toml": ("toml", scan_toml),
    ".yaml": ("yaml", scan_yaml),
    ".yml": ("yaml", scan_yaml),
    ".py": ("python", scan_python),
    ".pyi": ("python", scan_python),
    ".ts": ("typescript", scan_typescript),
    ".d.ts": ("typescript", scan_typescript),
    ".tsx": ("typescript", scan_typescript),
    ".mts": ("typescript", scan_typescript),
    ".cts": ("typescript", scan_typescript),
    ".js": ("javascript", scan_typescript),
    ".mjs": ("javascript", scan_typescript),
    ".cjs": ("javascript", scan_typescript),
    ".jsx": ("javascript", scan_typescript),
    ".cs": ("csharp", scan_csharp),
    ".go": ("go", scan_go),
    ".java": ("java", scan_java),
    ".kt": ("kotlin", scan_kotlin),
    ".kts": ("kotlin", scan_kotlin),
}


def format_of(path: str) -> tuple[str, Scanner] | None:
    name = Path(path).name.lower()
    for suffix in sorted(SCANNERS, key=len, reverse=True):
        if name.endswith(suffix):
            return SCANNERS[suffix]
    return None


def read_table(path: str) -> Table:
    """Scan one table file; an unreadable file or one in no known format is a UsageError."""
    fmt = format_of(path)
    if fmt is None:
        known = ", ".join(sorted({s for s in SCANNERS}))
        raise UsageError(f"{path}: no known table format (by file name: {known})")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read table {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"cannot read table {path}: not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    name, scanner = fmt
    try:
        entries = scanner(text, path)
    except UsageError as exc:
        raise UsageError(f"cannot read table {path}: {exc}") from None
    except RecursionError:
        raise UsageError(f"cannot read table {path}: nested too deeply") from None
    if not entries:
        raise UsageError(f"{path}: no error codes found (read as {name})")
    return Table(
        path=path, format=name, entries=tuple(entries), section_lines=section_lines(text, entries)
    )


def section_lines(text: str, entries: list[Entry]) -> tuple[tuple[str, int], ...]:
    """Where each section component starts: the nearest line at or above its first entry
    that names it (its key, type or member declaration)."""
    first: dict[str, int] = {}
    for e in entries:
        for comp in e.section:
            if comp not in first or e.line < first[comp]:
                first[comp] = e.line
    lines = text.splitlines()
    out: list[tuple[str, int]] = []
    for comp, line in first.items():
        pat = re.compile(rf"(?<![\w$]){re.escape(comp)}(?![\w$])")
        found = line
        for i in range(min(line, len(lines)) - 1, -1, -1):
            if pat.search(lines[i]):
                found = i + 1
                break
        out.append((comp, found))
    return tuple(out)
