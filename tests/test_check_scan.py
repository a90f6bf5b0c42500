"""errwatch check: every table scanner on fixtures shaped like real SDK files."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.check.model import Entry
from scraper.check.scan import read_table
from scraper.errors import UsageError

FIX = Path(__file__).resolve().parent / "fixtures" / "check"


def entries(name: str) -> list[Entry]:
    return list(read_table(str(FIX / name)).entries)


def brief(es: list[Entry]) -> list[tuple[int, int, str | None]]:
    return [(e.line, e.code, e.name) for e in es]


def test_ccxt_map_nested_sections_comments_and_message_keys() -> None:
    es = entries("ccxt_binance.py")
    by = {(e.section[-2], e.code): e for e in es}
    # per-market sections keep every enclosing key, class and method
    assert by[("linear", -4087)].section == ("binance", "describe", "exceptions", "linear", "exact")
    assert by[("inverse", -4087)].line == 33
    assert by[("inverse", -4087)].mapping == "BadSymbol"
    assert by[("inverse", -4087)].name is None  # an exception class is a mapping, not a name
    assert by[("inverse", -4087)].message == "Invalid pair"  # from the {"code","msg"} comment
    # the shared fallback table sits directly under 'exceptions'
    assert by[("exceptions", -1000)].section == ("binance", "describe", "exceptions", "exact")
    # a message-keyed entry counts because its comment carries a code
    assert by[("exceptions", -2021)].message == "Order would immediately trigger."
    assert by[("exceptions", -2021)].mapping == "OrderImmediatelyFillable"
    # 'broad' message keys without a code, 'timeframes' and 'rateLimit' are no entries
    assert len(es) == 8
    assert {e.code for e in es} == {-1013, -1121, -4144, -4087, -1000, -1021, -2021}


def test_a_line_with_four_codes_gives_four_entries() -> None:
    es = [e for e in entries("ccxt_binance_defects.py") if e.line == 23]
    assert [e.code for e in es] == [-1000, -1021, -1121, -2021]
    assert [e.mapping for e in es] == [
        "OperationFailed",
        "InvalidNonce",
        "BadSymbol",
        "OrderImmediatelyFillable",
    ]


def test_comment_gives_a_name_only_when_it_is_one_upper_snake_identifier() -> None:
    es = {e.line: e for e in entries("ccxt_binance_defects.py")}
    assert es[10].name == "INVALID_PAIR" and es[10].message is None
    assert es[13].name is None and es[13].message == "undocumented"


def test_python_enum_members_constants_and_sign_typo() -> None:
    es = entries("errors_enum.py")
    assert brief(es)[:6] == [
        (7, -1000, "UNKNOWN"),
        (8, -1021, "INVALID_TIMESTAMP"),
        (9, -1121, "BAD_SYMBOL"),
        (10, 4144, "INVALID_PAIR"),
        (11, -4087, "REDUCE_ONLY_ORDER_PERMISSION"),
        (12, -2021, "ORDER_WOULD_TRIGGER"),
    ]
    assert es[0].section == ("BinanceErrorCode",)
    camel = next(e for e in es if e.line == 16)
    assert (camel.code, camel.name, camel.mapping) == (-1003, None, "TooManyRequests")
    const = next(e for e in es if e.line == 19)
    assert (const.code, const.name, const.section) == (-1003, "RETRY_AFTER_CODE", ())


def test_python_that_does_not_parse_falls_back_to_text() -> None:
    es = entries("broken_python.py")
    assert brief(es) == [(4, -1000, None), (5, -4087, None), (7, -4144, "INVALID_PAIR")]
    assert es[0].message == "An unknown error occurred while processing the request."
    assert es[0].section == ("ERRORS",)


def test_python_tables_are_never_imported_or_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    table = tmp_path / "table.py"
    table.write_text(
        f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n"
        "CODES = {-1000: 'UNKNOWN'}\n",
        "utf-8",
    )
    es = read_table(str(table)).entries
    assert [(e.code, e.name) for e in es] == [(-1000, "UNKNOWN")]
    assert not marker.exists()


def test_csharp_error_info_list_with_several_codes_per_call() -> None:
    es = entries("BinanceErrors.cs")
    assert [(e.line, e.code) for e in es] == [
        (9, -1002),
        (10, -1000),
        (10, -1001),
        (11, -1021),
        (12, -1121),
        (17, -4144),
        (18, 4087),
    ]
    e = es[1]
    assert e.message == "Unknown error"
    assert e.mapping == "ErrorType.SystemError"
    assert e.section == ("BinanceErrors", "SpotErrors")
    assert es[5].section == ("BinanceErrors", "FuturesErrors")


def test_csharp_dictionary_initialisers(tmp_path: Path) -> None:
    src = tmp_path / "Codes.cs"
    src.write_text(
        """class Codes {
    static readonly Dictionary<int, string> Map = new() {
        { -1000, "UNKNOWN" },
        [-1021] = "Timestamp for this request is outside of the recvWindow.",
    };
    public const int INVALID_PAIR = -4144;
}
""",
        "utf-8",
    )
    es = read_table(str(src)).entries
    assert brief(list(es)) == [(3, -1000, "UNKNOWN"), (4, -1021, None), (6, -4144, "INVALID_PAIR")]
    assert es[1].message == "Timestamp for this request is outside of the recvWindow."
    assert es[0].section == ("Codes", "Map")


def test_typescript_const_enum_in_dts_and_object_literal() -> None:
    es = entries("errors.d.ts")
    assert brief(es) == [
        (3, -1000, "UNKNOWN"),
        (4, -1021, "INVALID_TIMESTAMP"),
        (5, -4087, "INVALID_PAIR"),
        (6, -4087, "REDUCE_ONLY_ORDER_PERMISSION"),
        (10, -1000, None),
        (11, -1121, None),
        (12, -1002, "UNAUTHORIZED"),
    ]
    assert es[0].section == ("FuturesErrorCode",)
    assert es[4].section == ("SpotErrors",)
    assert es[5].message == "Invalid symbol."


def test_go_const_block_and_map_literal() -> None:
    es = entries("codes.go")
    assert [(e.line, e.code, e.name, e.mapping) for e in es[:4]] == [
        (5, -1000, None, "ErrUnknown"),
        (6, -1021, None, "ErrInvalidTimestamp"),
        (7, -4087, "INVALID_PAIR", None),
        (8, -4087, "REDUCE_ONLY_ORDER_PERMISSION", None),
    ]
    assert [(e.line, e.code, e.section) for e in es[4:]] == [
        (12, -1000, ("Messages",)),
        (13, -1021, ("Messages",)),
    ]


def test_java_constants_and_enum_constants_and_kotlin_const_val() -> None:
    es = entries("ErrorCodes.java")
    assert brief(es) == [
        (4, -1000, "UNKNOWN"),
        (5, -1021, "INVALID_TIMESTAMP"),
        (6, 1003, "TOO_MANY_REQUESTS"),
        (9, -4144, "INVALID_PAIR"),
        (10, -4087, "REDUCE_ONLY_ORDER_PERMISSION"),
    ]
    assert es[3].section == ("ErrorCodes", "Futures")
    assert es[3].message == "Invalid pair"
    kt = entries("ErrorCodes.kt")
    assert brief(kt) == [
        (4, -1000, "UNKNOWN"),
        (5, -1021, "INVALID_TIMESTAMP"),
        (6, -1121, "INVALID_SYMBOL"),
    ]
    assert kt[0].section == ("ErrorCodes",)


def test_json_keyed_by_code_and_list_of_objects() -> None:
    es = entries("errors.json")
    assert [(e.line, e.code, e.name, e.section) for e in es] == [
        (3, -1000, "UNKNOWN", ("spot",)),
        (4, -1121, "BAD_SYMBOL", ("spot",)),
        (7, -4144, "INVALID_PAIR", ("usds",)),
        (8, -4087, "REDUCE_ONLY_ORDER_PERMISSION", ("usds",)),
    ]
    assert es[0].message == "An unknown error occurred while processing the request."
    lst = entries("errors_list.json")
    assert [(e.line, e.code, e.pages) for e in lst] == [
        (2, -1000, ("spot",)),
        (3, -4087, ("coin-futures",)),
        (4, 1021, ()),
    ]


def test_csv_toml_yaml() -> None:
    csv_ = entries("errors.csv")
    assert [(e.line, e.code, e.name, e.pages) for e in csv_] == [
        (2, -1000, "UNKNOWN", ("spot",)),
        (3, -1121, "INVALID_SYMBOL", ("spot",)),
        (4, -4087, "INVALID_PAIR", ("coin-futures",)),
    ]
    toml = entries("errors.toml")
    assert [(e.line, e.code, e.name, e.section) for e in toml] == [
        (3, -4144, "INVALID_PAIR", ("linear",)),
        (4, -4087, "REDUCE_ONLY_ORDER_PERMISSION", ("linear",)),
        (7, -4087, "INVALID_PAIR", ("inverse",)),
    ]
    yaml_ = entries("errors.yaml")
    assert [(e.line, e.code, e.name, e.section) for e in yaml_] == [
        (3, -1000, "UNKNOWN", ("spot",)),
        (4, -1121, "BAD_SYMBOL", ("spot",)),
        (8, -4087, "INVALID_PAIR", ("inverse",)),
        (10, -1021, "INVALID_TIMESTAMP", ("inverse",)),
    ]
    assert yaml_[1].message == "Invalid symbol."


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("table.txt", "-1000 UNKNOWN", "no known table format"),
        ("table.json", '{"-1000": ', "not JSON"),
        ("table.json", '{"a": 1} x', "extra data"),
        ("table.csv", "id,name\n1,x\n", "no 'code' column"),
        ("table.toml", "a = = 1", "not TOML"),
        ("table.yaml", "a: [1", "not YAML"),
        ("table.py", "x = 1\n", "no error codes found"),
    ],
)
def test_bad_tables_are_usage_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(UsageError, match=message):
        read_table(str(path))


def test_unreadable_tables_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read table"):
        read_table(str(tmp_path / "missing.json"))
    bad = tmp_path / "latin1.py"
    bad.write_bytes(b"# caf\xe9\nX = {-1000: 'UNKNOWN'}\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        read_table(str(bad))


def test_section_start_lines_point_at_the_key_or_declaration() -> None:
    t = read_table(str(FIX / "ccxt_binance_defects.py"))
    assert t.section_line("linear") == 8 and t.section_line("inverse") == 16
    cs = read_table(str(FIX / "BinanceErrors.cs"))
    assert cs.section_line("FuturesErrors") == 15 and cs.section_line("BinanceErrors") == 5
    assert cs.section_line("nope") is None


PY_RECORDS = """ERRORS = [
    {'code': -1000, 'name': 'UNKNOWN', 'msg': 'An unknown error.'},
    {'code': -1002, 'msg': 'Unauthorized.'},
]
"""
GO_RECORDS = """package x

var Errors = []APIError{
	{Code: -1000, Name: "UNKNOWN", Message: "An unknown error."},
	{Code: -1002, Message: "Unauthorized."},
}
"""
TS_RECORDS = """export const ERRORS = [
  { code: -1000, name: 'UNKNOWN', msg: 'An unknown error.' },
  { code: -1002, msg: 'Unauthorized.' },
];
"""
CS_RECORDS = """class C {
  static Error[] All = {
    new Error { Code = -1000, Name = "UNKNOWN", Message = "An unknown error." },
    new Error { Code = -1002, Message = "Unauthorized." },
  };
}
"""


@pytest.mark.parametrize(
    "name, text",
    [
        ("codes.py", PY_RECORDS),
        ("codes.go", GO_RECORDS),
        ("codes.ts", TS_RECORDS),
        ("Codes.cs", CS_RECORDS),
    ],
)
def test_lists_of_code_records_in_source(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    es = read_table(str(path)).entries
    assert [(e.code, e.name, e.message) for e in es] == [
        (-1000, "UNKNOWN", "An unknown error."),
        (-1002, None, "Unauthorized."),
    ]
    assert es[0].line < es[1].line


def test_kotlin_enum_class_with_constructor_arguments(tmp_path: Path) -> None:
    path = tmp_path / "Errors.kt"
    path.write_text(
        "enum class BinanceError(val code: Int, val msg: String) {\n"
        '    UNKNOWN(-1000, "An unknown error."),\n'
        '    INVALID_PAIR(4087, "Invalid pair");\n'
        "}\n",
        "utf-8",
    )
    es = read_table(str(path)).entries
    assert [(e.line, e.code, e.name, e.message, e.section) for e in es] == [
        (2, -1000, "UNKNOWN", "An unknown error.", ("BinanceError",)),
        (3, 4087, "INVALID_PAIR", "Invalid pair", ("BinanceError",)),
    ]
