"""Helpers every scanner shares: what a code looks like, names, comments on a line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from scraper.check.model import Entry, is_upper_snake

_CODE_TEXT = re.compile(r"^\s*[+-]?\d{1,9}\s*$")
_JSON_CODE = re.compile(r"""["']?code["']?\s*[:=]\s*["']?([+-]?\d{1,9})\b""")
_JSON_MSG = re.compile(r"""["']?msg["']?\s*[:=]\s*"((?:[^"\\]|\\.)*)\"""")
# "NAME — message", "NAME: message", "NAME - message"
_NAME_PREFIX = re.compile(r"^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)\s*(?:—|–|-|:)\s+(\S.*)$", re.DOTALL)


def code_of_text(text: str) -> int | None:
    """``"-4087"`` -> -4087; anything else -> None."""
    if not _CODE_TEXT.match(text):
        return None
    return int(text.strip())


def split_string(value: str) -> tuple[str | None, str | None]:
    """A string value: (name, message). ``"INVALID_PAIR"`` is a name, prose a message."""
    value = value.strip()
    if not value:
        return None, None
    if is_upper_snake(value):
        return value, None
    m = _NAME_PREFIX.match(value)
    if m:
        return m.group(1), m.group(2).strip()
    return None, value


def dotted_mapping(dotted: str) -> tuple[str | None, str]:
    """``ErrorCode.INVALID_PAIR`` -> (INVALID_PAIR, mapping); ``BadSymbol`` -> (None, it)."""
    last = dotted.rsplit(".", 1)[-1]
    if "." in dotted and is_upper_snake(last):
        return last, dotted
    return None, dotted


class Comment:
    """A comment on a table line: maybe a code, a name, a message."""

    __slots__ = ("code", "message", "name")

    def __init__(self, text: str) -> None:
        text = text.strip().lstrip("#/*!").rstrip("*/").strip()
        self.code: int | None = None
        self.name: str | None = None
        self.message: str | None = None
        m = _JSON_CODE.search(text)
        if m:
            self.code = int(m.group(1))
            mm = _JSON_MSG.search(text)
            if mm:
                try:
                    self.message = json.loads(f'"{mm.group(1)}"')
                except ValueError:
                    self.message = mm.group(1)
        elif is_upper_snake(text):
            self.name = text
        elif text:
            self.message = text


def attach_comments(entries: Iterable[Entry], comments: Mapping[int, str]) -> list[Entry]:
    """Give entries the name/message of the comment on their line.

    A comment that carries a code goes to the entry of that code (or of its sign twin);
    one without goes to the line's entry only when the line holds one entry.
    """
    out = list(entries)
    per_line: dict[int, list[int]] = {}
    for i, e in enumerate(out):
        per_line.setdefault(e.line, []).append(i)
    for line, idxs in per_line.items():
        text = comments.get(line)
        if text is None:
            continue
        c = Comment(text)
        if c.code is not None:
            targets = [i for i in idxs if out[i].code == c.code]
            targets = targets or [i for i in idxs if abs(out[i].code) == abs(c.code)]
        else:
            targets = idxs if len(idxs) == 1 else []
        for i in targets:
            e = out[i]
            out[i] = replace(
                e,
                name=e.name or c.name,
                message=e.message if e.message is not None else c.message,
            )
    return out


def comment_code(comments: Mapping[int, str], line: int) -> int | None:
    """The code a comment on ``line`` carries (``# {"code":-1013,...}``), if any."""
    text = comments.get(line)
    return None if text is None else Comment(text).code


class Collector:
    """The entries a source scanner finds, in order, each with the key of the container
    (dict, enum, class body) it sits in; ``finish`` marks weak containers and attaches
    the comments on their lines."""

    def __init__(self, path: str, comments: Mapping[int, str]) -> None:
        self.path = path
        self.comments = comments
        self.entries: list[Entry] = []
        self.containers: list[int] = []

    def collect(
        self,
        code: int,
        line: int,
        section: tuple[str, ...],
        container: int,
        name: str | None = None,
        mapping: str | None = None,
        message: str | None = None,
    ) -> None:
        self.containers.append(container)
        self.entries.append(
            Entry(
                code=code,
                file=self.path,
                line=line,
                name=name,
                mapping=mapping,
                message=message,
                section=section,
            )
        )

    def finish(self) -> list[Entry]:
        return attach_comments(mark_weak(self.entries, self.containers), self.comments)


def mark_weak(entries: list[Entry], containers: list[int]) -> list[Entry]:
    """Entries of a container without a negative code become ``weak`` (see Entry)."""
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(containers):
        groups.setdefault(c, []).append(i)
    out = list(entries)
    for idxs in groups.values():
        if all(out[i].code >= 0 for i in idxs):
            for i in idxs:
                out[i] = replace(out[i], weak=True)
    return out
