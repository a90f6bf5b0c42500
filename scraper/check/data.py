"""Data tables: JSON, CSV, TOML, YAML.

JSON: an object keyed by code (values: a message, an UPPER_SNAKE name, or an object with
``name``/``message``), nested objects whose keys name sections, or a list of
``{code, name?, message?, page?}``.  TOML and YAML the same; CSV needs a ``code`` column.
Every entry keeps its line: JSON and YAML are read with positions, TOML is located.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from scraper.check.common import code_of_text, split_string
from scraper.check.model import Entry, is_upper_snake
from scraper.errors import UsageError


@dataclass
class Node:
    """A parsed value with the line it starts on; dicts keep (key, key line, value)."""

    value: Any  # str | int | float | bool | None | list[Node] | list[tuple[str, int, Node]]
    line: int
    kind: str  # scalar | list | dict


# ------------------------------------------------------------------ JSON with lines
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WS = re.compile(r"[ \t\n\r]*")


class _Json:
    def __init__(self, text: str) -> None:
        self.s = text
        self.nl = [i for i, ch in enumerate(text) if ch == "\n"]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.nl, pos) + 1

    def ws(self, pos: int) -> int:
        m = _WS.match(self.s, pos)
        return m.end() if m else pos

    def fail(self, pos: int, what: str) -> UsageError:
        return UsageError(f"not JSON: {what} (line {self.line(pos)})")

    def value(self, pos: int) -> tuple[Node, int]:
        pos = self.ws(pos)
        if pos >= len(self.s):
            raise self.fail(pos, "unexpected end of JSON")
        ch = self.s[pos]
        line = self.line(pos)
        if ch == "{":
            pairs: list[tuple[str, int, Node]] = []
            pos = self.ws(pos + 1)
            if self.s.startswith("}", pos):
                return Node(pairs, line, "dict"), pos + 1
            while True:
                pos = self.ws(pos)
                if not self.s.startswith('"', pos):
                    raise self.fail(pos, "expected a string key")
                kline = self.line(pos)
                key, pos = scanstring(self.s, pos + 1)
                pos = self.ws(pos)
                if not self.s.startswith(":", pos):
                    raise self.fail(pos, "expected ':'")
                child, pos = self.value(pos + 1)
                pairs.append((key, kline, child))
                pos = self.ws(pos)
                if self.s.startswith(",", pos):
                    pos += 1
                    continue
                if self.s.startswith("}", pos):
                    return Node(pairs, line, "dict"), pos + 1
                raise self.fail(pos, "expected ',' or '}'")
        if ch == "[":
            items: list[Node] = []
            pos = self.ws(pos + 1)
            if self.s.startswith("]", pos):
                return Node(items, line, "list"), pos + 1
            while True:
                child, pos = self.value(pos)
                items.append(child)
                pos = self.ws(pos)
                if self.s.startswith(",", pos):
                    pos += 1
                    continue
                if self.s.startswith("]", pos):
                    return Node(items, line, "list"), pos + 1
                raise self.fail(pos, "expected ',' or ']'")
        if ch == '"':
            text, pos = scanstring(self.s, pos + 1)
            return Node(text, line, "scalar"), pos
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(word, pos):
                return Node(val, line, "scalar"), pos + len(word)
        m = _NUMBER.match(self.s, pos)
        if m:
            num = m.group()
            return Node(
                float(num) if any(c in num for c in ".eE") else int(num), line, "scalar"
            ), m.end()
        raise self.fail(pos, "not JSON")


def parse_json(text: str) -> Node:
    p = _Json(text.lstrip("\ufeff"))
    try:
        node, pos = p.value(0)
    except ValueError as exc:  # scanstring: bad escapes, unterminated strings
        raise UsageError(f"not JSON: {exc}") from None
    if p.ws(pos) != len(p.s):
        raise p.fail(pos, "extra data after the JSON value")
    return node


# ------------------------------------------------------------------ YAML with lines
def parse_yaml(text: str) -> Node:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise UsageError(f"not YAML: {' '.join(str(exc).split())}") from None
    if root is None:
        return Node([], 1, "dict")

    def conv(n: Any) -> Node:
        line = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            return Node(
                [
                    (str(k.value), k.start_mark.line + 1, conv(v))
                    for k, v in n.value
                    if isinstance(k, yaml.ScalarNode)
                ],
                line,
                "dict",
            )
        if isinstance(n, yaml.SequenceNode):
            return Node([conv(v) for v in n.value], line, "list")
        value: Any = n.value
        if n.tag.endswith(":int"):
            try:
                value = int(str(n.value).replace("_", ""))
            except ValueError:
                pass
        elif n.tag.endswith(":null"):
            value = None
        return Node(value, line, "scalar")

    return conv(root)


# ------------------------------------------------------------------ TOML, located
class _Locator:
    """Finds the line of a key or code in the text, moving forward through the file."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.cursor = 0

    def find(self, pattern: re.Pattern[str]) -> int:
        n = len(self.lines)
        for i in [*range(self.cursor, n), *range(self.cursor)]:
            if pattern.search(self.lines[i]):
                self.cursor = i
                return int(i) + 1
        return 1


def parse_toml(text: str) -> Node:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"not TOML: {exc}") from None
    loc = _Locator(text)

    def key_re(key: str) -> re.Pattern[str]:
        k = re.escape(key)
        return re.compile(rf"""^\s*\[*\s*(?:[^=\]]*\.)?(?:"{k}"|'{k}'|{k})\s*(?:=|\])""")

    def conv(v: Any, line: int) -> Node:
        if isinstance(v, dict):
            pairs = []
            for k, child in v.items():
                if isinstance(child, dict) and "code" in child:
                    kline = loc.find(
                        re.compile(rf"""^\s*code\s*=\s*["']?{re.escape(str(child["code"]))}\b""")
                    )
                else:
                    kline = loc.find(key_re(str(k)))
                pairs.append((str(k), kline, conv(child, kline)))
            return Node(pairs, line, "dict")
        if isinstance(v, list):
            items = []
            for child in v:
                cline = line
                if isinstance(child, dict) and "code" in child:
                    cline = loc.find(
                        re.compile(rf"""^\s*code\s*=\s*["']?{re.escape(str(child["code"]))}\b""")
                    )
                items.append(conv(child, cline))
            return Node(items, line, "list")
        return Node(v, line, "scalar")

    return conv(data, 1)


# ------------------------------------------------------------------ the walk
def _scalar_code(n: Node) -> int | None:
    v = n.value
    if n.kind != "scalar" or isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return code_of_text(v)
    return None


def _fields(pairs: list[tuple[str, int, Node]]) -> dict[str, tuple[int, Node]]:
    return {k.lower(): (line, n) for k, line, n in pairs}


def _text(n: Node | None) -> str | None:
    if n is None or n.kind != "scalar" or n.value is None or isinstance(n.value, bool):
        return None
    return str(n.value)


def _pages(n: Node | None) -> tuple[str, ...]:
    if n is None:
        return ()
    if n.kind == "list":
        return tuple(str(c.value) for c in n.value if c.kind == "scalar" and c.value)
    text = _text(n)
    return tuple(p.strip() for p in re.split(r"[+,\s]+", text) if p.strip()) if text else ()


class _Walker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.entries: list[Entry] = []

    def entry_object(
        self, f: dict[str, tuple[int, Node]], code: int, line: int, section: tuple[str, ...]
    ) -> None:
        name = _text(f.get("name", (0, None))[1])
        message = _text(f.get("message", f.get("msg", f.get("description", (0, None))))[1])
        mapping = _text(f.get("mapping", f.get("exception", f.get("class", (0, None))))[1])
        if name is not None and not is_upper_snake(name):
            mapping = mapping or name
            name = None
        sec = _text(f.get("section", (0, None))[1])
        pages = _pages(f.get("page", f.get("pages", (0, None)))[1])
        self.entries.append(
            Entry(
                code=code,
                file=self.path,
                line=line,
                name=name,
                mapping=mapping,
                message=message,
                section=(*section, sec) if sec else section,
                pages=pages,
            )
        )

    def walk(self, n: Node, section: tuple[str, ...]) -> None:
        if n.kind == "list":
            for child in n.value:
                self.walk(child, section)
            return
        if n.kind != "dict":
            return
        f = _fields(n.value)
        if "code" in f:
            cline, cnode = f["code"]
            code = _scalar_code(cnode)
            if code is not None:
                self.entry_object(f, code, cline, section)
                return
        for key, kline, child in n.value:
            code = code_of_text(key)
            if code is None:
                self.walk(child, (*section, key))
                continue
            if child.kind == "dict":
                self.entry_object(_fields(child.value), code, kline, section)
            elif child.kind == "list":
                strings = [
                    str(c.value) for c in child.value if c.kind == "scalar" and c.value is not None
                ]
                name, message = split_string(strings[0]) if strings else (None, None)
                self.entries.append(
                    Entry(
                        code=code,
                        file=self.path,
                        line=kline,
                        name=name,
                        message=message,
                        section=section,
                    )
                )
            else:
                text = _text(child)
                name, message = split_string(text) if text else (None, None)
                self.entries.append(
                    Entry(
                        code=code,
                        file=self.path,
                        line=kline,
                        name=name,
                        message=message,
                        section=section,
                    )
                )


def _scan_tree(parse: Callable[[str], Node]) -> Callable[[str, str], list[Entry]]:
    def scan(text: str, path: str) -> list[Entry]:
        w = _Walker(path)
        w.walk(parse(text), ())
        return w.entries

    return scan


scan_json = _scan_tree(parse_json)
scan_yaml = _scan_tree(parse_yaml)
scan_toml = _scan_tree(parse_toml)


def scan_csv(text: str, path: str) -> list[Entry]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UsageError("empty CSV") from None
    except csv.Error as exc:
        raise UsageError(f"not CSV: {exc}") from None
    if "code" not in header:
        raise UsageError("CSV has no 'code' column")
    col = {h: i for i, h in enumerate(header)}
    entries: list[Entry] = []

    def get(row: list[str], *names: str) -> str | None:
        for nm in names:
            i = col.get(nm)
            if i is not None and i < len(row) and row[i].strip():
                return row[i].strip()
        return None

    try:
        for row in reader:
            code_text = get(row, "code")
            code = code_of_text(code_text) if code_text else None
            if code is None:
                continue
            name = get(row, "name")
            mapping = get(row, "mapping", "exception", "class")
            if name is not None and not is_upper_snake(name):
                mapping, name = mapping or name, None
            section = get(row, "section")
            entries.append(
                Entry(
                    code=code,
                    file=path,
                    line=reader.line_num,
                    name=name,
                    mapping=mapping,
                    message=get(row, "message", "msg", "description"),
                    section=(section,) if section else (),
                    pages=_pages(Node(get(row, "page", "pages"), 0, "scalar")),
                )
            )
    except csv.Error as exc:
        raise UsageError(f"line {reader.line_num}: not CSV: {exc}") from None
    return entries
