"""csharp tables, read as text (see clike.py for the rules)."""

from __future__ import annotations

from scraper.check.clike import CSHARP, scan_clike
from scraper.check.model import Entry


def scan_csharp(text: str, path: str) -> list[Entry]:
    return scan_clike(text, path, CSHARP)
