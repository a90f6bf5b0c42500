"""Python tables, read with ``ast`` (never imported); a text fallback when it does not parse.

Dict literals keyed by int or string codes (nested dicts whose keys name sections),
message-keyed entries with a code in their comment, Enum/IntEnum members and
``NAME = -1234`` constants.  Comments come from ``tokenize``.
"""

from __future__ import annotations

import ast
import io
import tokenize

from scraper.check.common import (
    Collector,
    Comment,
    code_of_text,
    comment_code,
    dotted_mapping,
    split_string,
)
from scraper.check.model import Entry, is_upper_snake

_ENUM_BASES = ("Enum", "IntEnum", "IntFlag", "Flag", "StrEnum", "ReprEnum")


def comments_of(text: str) -> dict[int, str]:
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.setdefault(tok.start[0], tok.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def code_of_node(node: ast.AST) -> int | None:
    """An int literal (``-4087``, ``+4087``) or a string holding one (``'-4087'``)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return None
        if isinstance(node.value, int):
            return node.value
        if isinstance(node.value, str):
            return code_of_text(node.value)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = node.operand
        if (
            isinstance(inner, ast.Constant)
            and isinstance(inner.value, int)
            and not isinstance(inner.value, bool)
        ):
            return -inner.value if isinstance(node.op, ast.USub) else inner.value
    return None


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return None


def _describe(node: ast.AST) -> tuple[str | None, str | None, str | None]:
    """(name, mapping, message) of an entry's value."""
    name: str | None = None
    mapping: str | None = None
    message: str | None = None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (*_swap(split_string(node.value)),)
    dotted = _dotted(node)
    if dotted is not None:
        nm, mp = dotted_mapping(dotted)
        if nm is None and "." not in mp and is_upper_snake(mp):
            return mp, None, None
        return nm, mp, None
    parts: list[ast.AST] = []
    if isinstance(node, (ast.Tuple, ast.List)):
        parts = list(node.elts)
    elif isinstance(node, ast.Call):
        mapping = _dotted(node.func)
        parts = list(node.args)
        for kw in node.keywords:
            if (
                kw.arg in ("name", "message", "msg", "mapping")
                and isinstance(kw.value, ast.Constant)
                and isinstance(kw.value.value, str)
            ):
                if kw.arg == "name" and is_upper_snake(kw.value.value):
                    name = kw.value.value
                elif kw.arg in ("message", "msg"):
                    message = kw.value.value
    elif isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if (
                isinstance(k, ast.Constant)
                and isinstance(v, ast.Constant)
                and isinstance(v.value, str)
            ):
                key = str(k.value).lower()
                if key == "name" and is_upper_snake(v.value):
                    name = v.value
                elif key in ("message", "msg", "description") and message is None:
                    message = v.value
        return name, mapping, message
    for part in parts:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            if code_of_text(part.value) is not None:
                continue
            nm, msg = split_string(part.value)
            name = name or nm
            if message is None:
                message = msg
        else:
            d = _dotted(part)
            if d is not None and mapping is None:
                nm, mapping = dotted_mapping(d)
                name = name or nm
    return name, mapping, message


def _swap(pair: tuple[str | None, str | None]) -> tuple[str | None, str | None, str | None]:
    return pair[0], None, pair[1]


class _Visitor(Collector):
    def __init__(self, path: str, comments: dict[int, str]) -> None:
        super().__init__(path, comments)
        self.body_of: list[object] = []

    def add(
        self,
        code: int,
        line: int,
        section: tuple[str, ...],
        desc: tuple[str | None, str | None, str | None],
        container: object,
    ) -> None:
        name, mapping, message = desc
        self.collect(code, line, section, id(container), name, mapping, message)

    def comment_message(self, line: int, key: str) -> str:
        """A message-keyed entry's message: the comment's ``msg`` (the API's own text) if it
        has one, else the key (``broad`` tables key by a fragment of the message)."""
        text = self.comments.get(line)
        return (Comment(text).message if text else None) or key

    def body(self, stmts: list[ast.stmt], section: tuple[str, ...], *, enum: bool) -> None:
        self.body_of.append(stmts)
        for stmt in stmts:
            self.stmt(stmt, section, enum=enum)
        self.body_of.pop()

    def stmt(self, node: ast.stmt, section: tuple[str, ...], *, enum: bool = False) -> None:
        if isinstance(node, ast.ClassDef):
            bases = {(_dotted(b) or "").rsplit(".", 1)[-1] for b in node.bases}
            is_enum = any(b.endswith(_ENUM_BASES) for b in bases if b)
            self.body(node.body, (*section, node.name), enum=is_enum)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.body(node.body, (*section, node.name), enum=False)
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if value is None:
                return
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            names += [t.attr for t in targets if isinstance(t, ast.Attribute)]
            target = names[0] if names else None
            if target is not None:
                code = code_of_node(value)
                members = None
                if code is None and enum and isinstance(value, ast.Tuple) and value.elts:
                    code = code_of_node(value.elts[0])
                    members = value
                numeric = code is not None and not (
                    isinstance(value, ast.Constant) and isinstance(value.value, str)
                )
                if code is not None and (enum or (is_upper_snake(target) and numeric)):
                    name, mapping, message = (None, None, None)
                    if members is not None:
                        name, mapping, message = _describe(ast.Tuple(elts=members.elts[1:]))
                    if is_upper_snake(target):
                        name = target
                    else:
                        mapping = target
                    self.add(code, node.lineno, section, (name, mapping, message), self.body_of[-1])
                    return
            label = (*section, target) if target else section
            self.expr(value, label)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                self.stmt(child, section)
            elif isinstance(child, ast.expr):
                self.expr(child, section)

    def expr(self, node: ast.AST, section: tuple[str, ...]) -> None:
        if isinstance(node, ast.Dict):
            self.dict(node, section)
            return
        for child in ast.iter_child_nodes(node):
            self.expr(child, section)

    def record(self, node: ast.Dict, section: tuple[str, ...]) -> bool:
        """``{'code': -1000, 'name': 'UNKNOWN', 'msg': '…'}``: one entry."""
        fields = {
            k.value.lower(): (k, v)
            for k, v in zip(node.keys, node.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
        if "code" not in fields:
            return False
        key, value = fields["code"]
        code = code_of_node(value)
        if code is None:
            return False
        name, _, message = _describe(node)
        self.add(code, key.lineno, section, (name, None, message), node)
        return True

    def dict(self, node: ast.Dict, section: tuple[str, ...]) -> None:
        if self.record(node, section):
            return
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # **spread
                self.expr(value, section)
                continue
            code = code_of_node(key)
            if code is not None:
                self.add(code, key.lineno, section, _describe(value), node)
                if isinstance(value, (ast.Dict, ast.Call, ast.List, ast.Tuple)):
                    self.expr(value, (*section, str(code)))
                continue
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                cc = comment_code(self.comments, key.lineno)
                if cc is not None and not isinstance(value, ast.Dict):
                    _, mapping, _ = _describe(value)
                    self.add(
                        cc,
                        key.lineno,
                        section,
                        (None, mapping, self.comment_message(key.lineno, key.value)),
                        node,
                    )
                    continue
                self.expr(value, (*section, key.value))
                continue
            self.expr(value, section)


def scan_python(text: str, path: str) -> list[Entry]:
    """Entries of a Python file; the text scanner when it does not parse."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError):
        from scraper.check.clike import PYTHON, scan_clike

        return scan_clike(text, path, PYTHON)
    comments = comments_of(text)
    v = _Visitor(path, comments)
    v.body(tree.body, (), enum=False)
    return v.finish()
