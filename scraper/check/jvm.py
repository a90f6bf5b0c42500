"""Java and Kotlin tables, read as text (see clike.py for the rules)."""

from __future__ import annotations

from scraper.check.clike import JAVA, KOTLIN, scan_clike
from scraper.check.model import Entry


def scan_java(text: str, path: str) -> list[Entry]:
    return scan_clike(text, path, JAVA)


def scan_kotlin(text: str, path: str) -> list[Entry]:
    return scan_clike(text, path, KOTLIN)
