"""A text scanner for brace languages (TypeScript/JavaScript, C#, Go, Java/Kotlin) and the
fallback for Python files that do not parse.

Tokens (comments and strings honoured) are grouped by brackets; each group gets a label
from the declaration before it (``class X {``, ``X = {``, ``linear: {``, ``void M() {``),
and these labels make an entry's section path.  Entries come from:

- keys: ``-4087: …``, ``'-4087': …``, ``[-4087] = …`` (object/map literals, dictionaries);
- named constants: ``NAME = -4087`` (enum members, const blocks, ``const``/``final``/``val``
  fields; outside enums only UPPER_SNAKE names), ``NAME: -4087`` in object literals;
- enum constants with arguments (Java): ``INVALID_PAIR(-4087, "Invalid pair")``;
- code literals in calls and initialisers: ``new ErrorInfo(T.X, false, "Unauthorized",
  "-1002")`` (string codes always; a negative number when a string stands beside it), and
  ``{ -1002, "Unauthorized" }``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from scraper.check.common import (
    Collector,
    Comment,
    code_of_text,
    comment_code,
    dotted_mapping,
    split_string,
)
from scraper.check.model import Entry, is_upper_snake


@dataclass(frozen=True)
class Lang:
    name: str
    line_comments: tuple[str, ...] = ("//",)
    block_comments: bool = True
    name_before_type: bool = False  # Go: ``ErrX ErrorCode = -1000``
    newline_ends: bool = False  # a line break ends a statement (Go, Kotlin, Python)


TYPESCRIPT = Lang("typescript")
CSHARP = Lang("csharp")
GO = Lang("go", name_before_type=True, newline_ends=True)
JAVA = Lang("java")
KOTLIN = Lang("kotlin", newline_ends=True)
PYTHON = Lang("python", line_comments=("#",), block_comments=False, newline_ends=True)

_TYPE_KEYWORDS = frozenset(
    {"class", "enum", "interface", "struct", "object", "record", "trait", "type"}
)
_CONTINUE = frozenset({"else", "catch", "finally", "while", "where", "when"})
_CONTROL = frozenset(
    {
        "if",
        "for",
        "foreach",
        "while",
        "switch",
        "catch",
        "using",
        "lock",
        "else",
        "try",
        "finally",
        "do",
        "return",
        "select",
        "case",
        "func",
        "function",
        "get",
        "set",
        "init",
        "fixed",
        "unsafe",
        "checked",
    }
)
_MODIFIERS = frozenset(
    {
        "public",
        "private",
        "protected",
        "internal",
        "static",
        "readonly",
        "final",
        "const",
        "val",
        "var",
        "let",
        "export",
        "declare",
        "abstract",
        "override",
        "sealed",
        "companion",
        "default",
        "new",
        "lateinit",
    }
)
_CONST_WORDS = frozenset({"const", "final", "val", "readonly"})


def _token_re(lang: Lang) -> re.Pattern[str]:
    comments = [re.escape(c) + r"[^\n]*" for c in lang.line_comments]
    if lang.block_comments:
        comments.append(r"/\*.*?\*/")
    strings = [
        r'"""(?:.|\n)*?"""',
        r"'''(?:.|\n)*?'''",
        r'@"(?:[^"]|"")*"' if lang.name == "csharp" else None,
        r'"(?:[^"\\\n]|\\.)*"',
        r"'(?:[^'\\\n]|\\.)*'",
        r"`(?:[^`\\]|\\.)*`" if lang.name in ("typescript", "go") else None,
    ]
    parts = [
        "(?P<comment>" + "|".join(comments) + ")",
        "(?P<string>" + "|".join(s for s in strings if s) + ")",
        r"(?P<number>0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?[lLuUfFdDmMnN]*)",
        r"(?P<ident>[A-Za-z_$][\w$]*)",
        r"(?P<punct>=>|::|:=|\?\.|[{}()\[\];,:=.<>+\-*/&|!?@%^~#])",
        r"(?P<other>\S)",
    ]
    return re.compile("|".join(parts), re.DOTALL)


@dataclass
class Tok:
    kind: str  # string, number, ident, punct
    text: str
    line: int

    @property
    def value(self) -> str:
        """A string token's content (quotes removed, no unescaping beyond \\" and \\')."""
        t = self.text
        if t.startswith(('"""', "'''")):
            return t[3:-3]
        if t.startswith('@"'):
            return t[2:-1].replace('""', '"')
        return t[1:-1].replace('\\"', '"').replace("\\'", "'")


@dataclass
class Group:
    opener: str
    line: int
    elements: list[list[Tok | Group]] = field(default_factory=list)


_CLOSE = {"{": "}", "(": ")", "[": "]"}


def _tokens(text: str, lang: Lang) -> tuple[list[Tok], dict[int, str]]:
    starts = [i for i, ch in enumerate(text) if ch == "\n"]
    toks: list[Tok] = []
    comments: dict[int, str] = {}
    for m in _token_re(lang).finditer(text):
        kind = m.lastgroup or "other"
        line = bisect.bisect_left(starts, m.start()) + 1
        if kind == "comment":
            comments.setdefault(line, m.group())
            continue
        toks.append(Tok(kind, m.group(), line))
    return toks, comments


def _group(toks: list[Tok], lang: Lang) -> Group:
    root = Group("", 1, [[]])
    stack = [root]
    prev: Tok | None = None
    for tok in toks:
        top = stack[-1]
        if (
            prev is not None
            and prev.text == "}"
            and tok.line > prev.line
            and top.elements[-1]
            and tok.kind in ("ident", "string")
            and tok.text not in _CONTINUE
        ):
            top.elements.append([])  # a block ends its statement: ``enum E {…}`` then ``const X``
        elif (
            lang.newline_ends
            and prev is not None
            and tok.line > prev.line
            and top.elements[-1]
            and (prev.kind in ("ident", "number", "string") or prev.text in (")", "]", "}"))
            and tok.text not in (".", "?.", ")", "]", "}", ",", ";", ":", "=")
        ):
            top.elements.append([])
        prev = tok
        if tok.kind == "punct" and tok.text in _CLOSE:
            g = Group(tok.text, tok.line, [[]])
            top.elements[-1].append(g)
            stack.append(g)
        elif tok.kind == "punct" and tok.text in ("}", ")", "]"):
            if len(stack) > 1:
                stack.pop()
        elif tok.kind == "punct" and tok.text in (",", ";"):
            top.elements.append([])
        else:
            top.elements[-1].append(tok)
    return root


def _signed_int(items: list[Tok | Group], i: int) -> tuple[int, int] | None:
    """(value, next index) of an int literal at ``items[i]`` (with a sign), else None."""
    sign = 1
    j = i
    if j < len(items) and isinstance(items[j], Tok) and items[j].text in ("-", "+"):  # type: ignore[union-attr]
        sign = -1 if items[j].text == "-" else 1  # type: ignore[union-attr]
        j += 1
    if j < len(items):
        t = items[j]
        if isinstance(t, Tok) and t.kind == "number" and re.fullmatch(r"\d+[lLuU]*", t.text):
            return sign * int(t.text.rstrip("lLuU")), j + 1
    return None


def _code_at(items: list[Tok | Group], i: int) -> tuple[int, int] | None:
    """An int literal or a string holding one at ``items[i]``."""
    t = items[i] if i < len(items) else None
    if isinstance(t, Tok) and t.kind == "string":
        code = code_of_text(t.value)
        return (code, i + 1) if code is not None else None
    return _signed_int(items, i)


def _is(t: Tok | Group | None, *texts: str) -> bool:
    return isinstance(t, Tok) and t.text in texts


def _first_line(items: list[Tok | Group]) -> int:
    for t in items:
        return t.line
    return 1


class _Scanner(Collector):
    def __init__(self, path: str, lang: Lang, comments: dict[int, str]) -> None:
        super().__init__(path, comments)
        self.lang = lang
        self.container: list[int] = [0]

    def add(
        self,
        code: int,
        line: int,
        section: tuple[str, ...],
        name: str | None = None,
        mapping: str | None = None,
        message: str | None = None,
    ) -> None:
        self.collect(code, line, section, self.container[-1], name, mapping, message)

    # ---------------------------------------------------------------- labels
    def label(self, before: list[Tok | Group], opener: str) -> tuple[str | None, str]:
        """(section label, group kind: enum | const | plain) for a group opened after ``before``."""
        toks = [t for t in before if isinstance(t, Tok)]
        if toks and toks[0].text in ("namespace", "module", "package"):
            return None, "plain"
        words = [t.text for t in toks]
        for i, t in enumerate(toks):
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if (
                t.kind == "ident"
                and t.text in _TYPE_KEYWORDS
                and nxt is not None
                and nxt.kind == "ident"
                and nxt.text not in _TYPE_KEYWORDS  # Kotlin ``enum class X``
            ):
                return nxt.text, "enum" if "enum" in words[: i + 1] else "plain"
        if opener == "(" and toks and toks[-1].text == "const":
            return None, "const"
        assign = next((i for i, t in enumerate(before) if _is(t, "=", ":", ":=")), None)
        if assign is not None:
            cands = [
                t
                for t in before[:assign]
                if isinstance(t, Tok) and t.kind in ("ident", "string") and t.text not in _MODIFIERS
            ]
            if cands:
                c = (
                    cands[0]
                    if self.lang.name_before_type and cands[0].kind == "ident"
                    else cands[-1]
                )
                return (c.value if c.kind == "string" else c.text), "plain"
            return None, "plain"
        if opener == "{" and before and isinstance(before[-1], Group) and before[-1].opener == "(":
            idents = [t for t in before[:-1] if isinstance(t, Tok) and t.kind == "ident"]
            if idents and idents[-1].text not in _CONTROL:
                return idents[-1].text, "plain"
            return None, "plain"
        if (
            opener == "{"
            and toks
            and toks[-1].kind == "ident"
            and toks[-1].text not in _CONTROL
            and toks[-1] is before[-1]
        ):
            return toks[-1].text, "plain"
        return None, "plain"

    # ---------------------------------------------------------------- walk
    def walk(self, group: Group, section: tuple[str, ...], kind: str) -> None:
        self.container.append(id(group))
        for items in group.elements:
            if items:
                self.element(items, section, kind)
        self.container.pop()

    def element(self, items: list[Tok | Group], section: tuple[str, ...], kind: str) -> None:
        handled = self.rules(items, section, kind)
        for i, t in enumerate(items):
            if not isinstance(t, Group):
                continue
            if handled and i in handled:
                continue
            label, gkind = self.label(items[:i], t.opener)
            sub = (*section, label) if label else section
            self.walk(t, sub, gkind)
            self.call(t, sub)

    def rules(
        self, items: list[Tok | Group], section: tuple[str, ...], kind: str
    ) -> set[int] | None:
        """Key, named-constant and enum-constant rules; the indexes of groups consumed."""
        first = items[0]
        line = _first_line(items)
        # [-4087] = value (C# index initialisers)
        if (
            isinstance(first, Group)
            and first.opener == "["
            and len(first.elements) == 1
            and _is(items[1] if len(items) > 1 else None, "=")
        ):
            inner = first.elements[0]
            hit = _code_at(inner, 0) if inner else None
            if hit and hit[1] == len(inner):
                self.value(hit[0], line, section, items[2:])
                return {0}
        # -4087: value / "-4087": value
        hit = _code_at(items, 0)
        if hit and _is(items[hit[1]] if hit[1] < len(items) else None, ":", "=>"):
            self.value(hit[0], line, section, items[hit[1] + 1 :])
            return set()
        # "message": value  with a code in the line's comment
        if (
            isinstance(first, Tok)
            and first.kind == "string"
            and _is(items[1] if len(items) > 1 else None, ":")
        ):
            cc = comment_code(self.comments, first.line)
            if cc is not None:
                mapping = self._mapping(items[2:])
                text = self.comments.get(first.line)
                message = (Comment(text).message if text else None) or first.value
                self.add(cc, first.line, section, mapping=mapping, message=message)
                return set()
        # NAME(-4087, "msg") as an enum constant
        if (
            kind == "enum"
            and isinstance(first, Tok)
            and first.kind == "ident"
            and len(items) > 1
            and isinstance(items[1], Group)
            and items[1].opener == "("
        ):
            args = items[1].elements
            code = None
            strings: list[str] = []
            for arg in args:
                h = _code_at(arg, 0) if arg else None
                if h and h[1] == len(arg) and code is None:
                    code = h[0]
                elif len(arg) == 1 and isinstance(arg[0], Tok) and arg[0].kind == "string":
                    strings.append(arg[0].value)
            if code is not None:
                name, enum_message = self._strings(strings)
                enum_mapping: str | None
                if is_upper_snake(first.text):
                    name = first.text
                    enum_mapping = None
                else:
                    enum_mapping = first.text
                self.add(
                    code, first.line, section, name=name, mapping=enum_mapping, message=enum_message
                )
                return {1}
        # NAME = -4087 / NAME: -4087 / NAME Type = -4087
        eq = next((i for i, t in enumerate(items) if _is(t, "=")), None)
        if eq is None:
            eq = next((i for i, t in enumerate(items) if _is(t, ":")), None)
        if eq is not None and eq > 0:
            hit = _signed_int(items, eq + 1)
            if hit and hit[1] == len(items):
                before = [t for t in items[:eq] if isinstance(t, Tok)]
                if len(before) != eq:
                    return None
                words = {t.text for t in before}
                idents = [t for t in before if t.kind == "ident" and t.text not in _MODIFIERS]
                colon = next((i for i, t in enumerate(before) if t.text == ":"), None)
                name_tok: Tok | None
                if _is(items[eq], ":") and len(before) == 1:
                    name_tok = before[0]
                elif colon is not None:
                    name_tok = before[colon - 1] if colon > 0 else None  # Kotlin ``val X: Int = …``
                elif idents:
                    name_tok = idents[0] if self.lang.name_before_type else idents[-1]
                else:
                    name_tok = None
                if name_tok is None or name_tok.kind != "ident":
                    return None
                target = name_tok.text
                constant = kind in ("enum", "const") or bool(words & _CONST_WORDS)
                if constant or is_upper_snake(target):
                    if is_upper_snake(target):
                        self.add(hit[0], name_tok.line, section, name=target)
                    else:
                        self.add(hit[0], name_tok.line, section, mapping=target)
                    return set()
        return None

    def call(self, g: Group, section: tuple[str, ...]) -> None:
        """Code literals among a call's or initialiser's direct arguments."""
        self.container.append(-id(g))
        try:
            self._call(g, section)
        finally:
            self.container.pop()

    def _record(self, g: Group, section: tuple[str, ...]) -> bool:
        """``{code: -1000, msg: "…"}`` / ``{Code = -1000, Message = "…"}``: one entry."""
        fields: dict[str, tuple[list[Tok | Group], int]] = {}
        for arg in g.elements:
            head = arg[0] if arg else None
            if (
                len(arg) >= 3
                and isinstance(head, Tok)
                and head.kind in ("ident", "string")
                and _is(arg[1], ":", "=")
            ):
                key = head.value if head.kind == "string" else head.text
                fields.setdefault(key.lower(), (arg[2:], head.line))
        if "code" not in fields:
            return False
        items, line = fields["code"]
        hit = _code_at(items, 0)
        if not hit or hit[1] != len(items):
            return False

        def text(*keys: str) -> str | None:
            for k in keys:
                v = fields.get(k)
                if v and len(v[0]) == 1 and isinstance(v[0][0], Tok) and v[0][0].kind == "string":
                    return v[0][0].value
            return None

        name = text("name")
        self.add(
            hit[0],
            line,
            section,
            name=name if is_upper_snake(name) else None,
            message=text("msg", "message", "description"),
        )
        return True

    def _call(self, g: Group, section: tuple[str, ...]) -> None:
        if self._record(g, section):
            return
        string_codes: list[tuple[int, int]] = []
        numeric: list[tuple[int, int]] = []
        strings: list[str] = []
        mapping: str | None = None
        for arg in g.elements:
            if not arg:
                continue
            h = _code_at(arg, 0)
            tok = arg[-1]
            if h and h[1] == len(arg) and isinstance(tok, Tok):
                (string_codes if tok.kind == "string" else numeric).append((h[0], tok.line))
                continue
            if len(arg) == 1 and isinstance(tok, Tok) and tok.kind == "string":
                strings.append(tok.value)
                continue
            d = _dotted(arg)
            if d is not None and mapping is None and d not in ("true", "false", "null", "None"):
                mapping = d
        keep = list(string_codes)
        if strings:
            keep += [(c, ln) for c, ln in numeric if c < 0 or g.opener == "{"]
        if not keep:
            return
        name, message = self._strings(strings)
        nm, mp = dotted_mapping(mapping) if mapping else (None, None)
        for code, line in keep:
            self.add(code, line, section, name=name or nm, mapping=mp, message=message)

    # ---------------------------------------------------------------- values
    def _strings(self, strings: list[str]) -> tuple[str | None, str | None]:
        name = message = None
        for s in strings:
            nm, msg = split_string(s)
            name = name or nm
            if message is None:
                message = msg
        return name, message

    def _mapping(self, items: list[Tok | Group]) -> str | None:
        return _dotted(items)

    def value(
        self, code: int, line: int, section: tuple[str, ...], items: list[Tok | Group]
    ) -> None:
        name = mapping = message = None
        toks = [t for t in items if isinstance(t, Tok)]
        if len(items) == 1 and isinstance(items[0], Tok) and items[0].kind == "string":
            name, message = split_string(items[0].value)
        elif (d := _dotted(items)) is not None:
            name, mapping = dotted_mapping(d)
            if name is None and "." not in d and is_upper_snake(d):
                name, mapping = d, None
        else:
            strings: list[str] = []
            for g in (t for t in items if isinstance(t, Group)):
                for el in g.elements:
                    field_name = (
                        el[0].text.strip("\"'").lower() if el and isinstance(el[0], Tok) else ""
                    )
                    last = el[-1] if el else None
                    if (
                        isinstance(last, Tok)
                        and last.kind == "string"
                        and len(el) == 3
                        and _is(el[1], ":", "=")
                    ):
                        if field_name == "name" and is_upper_snake(last.value):
                            name = last.value
                        elif field_name in ("message", "msg", "description") and message is None:
                            message = last.value
                    elif len(el) == 1 and isinstance(el[0], Tok) and el[0].kind == "string":
                        strings.append(el[0].value)
            idents = [t.text for t in toks if t.kind == "ident" and t.text != "new"]
            if idents:
                mapping = idents[-1]
            if name is None and message is None:
                name, message = self._strings([s for s in strings if code_of_text(s) is None])
        self.add(code, line, section, name=name, mapping=mapping, message=message)


def _dotted(items: list[Tok | Group]) -> str | None:
    """``A.B.C`` (or ``A::B``) as a whole element, else None."""
    if not items or len(items) % 2 == 0:
        return None
    parts: list[str] = []
    for k, t in enumerate(items):
        if not isinstance(t, Tok):
            return None
        if k % 2 == 0:
            if t.kind != "ident":
                return None
            parts.append(t.text)
        elif t.text not in (".", "::"):
            return None
    return ".".join(parts)


def scan_clike(text: str, path: str, lang: Lang) -> list[Entry]:
    toks, comments = _tokens(text, lang)
    root = _group(toks, lang)
    s = _Scanner(path, lang, comments)
    s.walk(root, (), "plain")
    return s.finish()
