"""The catalogue (``errwatch export``) as a lockfile, and the JSON Schemas of what we write.

Stores are built two ways: by hand through the real SnapshotStore (exact histories for
``first_seen``/``last_changed``), and by real runs against the local server (the demo's
bundled coin-futures page, then the same page with a code added and a code renumbered).
Every catalogue and report.json written here is validated against the shipped schemas.
"""

from __future__ import annotations

import copy
import csv
import difflib
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import LocalSite, Reply
from conftest import code_record as R
from conftest import ok_outcome as ok
from conftest import put_snapshot as put

from scraper.catalogue import (
    Catalogue,
    build_catalogue,
    catalogue_csv,
    catalogue_dict,
    catalogue_json,
    is_catalogue_file,
    load_catalogue,
)
from scraper.cli import main
from scraper.demo import load_pages
from scraper.errors import UsageError
from scraper.history import code_history
from scraper.models import PageOutcome, Record
from scraper.schemas import SCHEMAS, load_schema, schema_text
from scraper.store import SnapshotStore

COIN_EN = "/docs/derivatives/coin-margined-futures/error-code"
PAGES = ("--page", "coin-futures", "--locale", "en")
S1, S2, S3, S4, S5 = (f"2026{m:02d}01T060000Z" for m in range(1, 6))


# ---------------------------------------------------------------------------- helpers


def validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def assert_valid(name: str, data: Any) -> None:
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def demo_store(workdir: Path) -> Path:
    """The snapshot folder `errwatch demo --workdir DIR` wrote (inside DIR/.errwatch-demo)."""
    found = sorted(p.parent for p in (workdir / ".errwatch-demo").glob("**/objects"))
    assert found, "errwatch demo wrote no snapshot store"
    return found[0]


def day1_page() -> bytes:
    return load_pages()["before"][COIN_EN]


def changed_page(base: bytes | None = None) -> bytes:
    """coin-futures with -4087 INVALID_PAIR renumbered to -4187 and -4999 added after it."""
    html = (base or day1_page()).decode("utf-8")
    assert html.count("-4087 INVALID_PAIR") and not html.count("-4187") and "-4999" not in html
    html = html.replace("-4087-invalid_pair", "-4187-invalid_pair")
    html = html.replace("-4087 INVALID_PAIR", "-4187 INVALID_PAIR")
    marker = "<li>Invalid pair.</li>\n</ul>"
    assert html.count(marker) == 1
    added = (
        '\n<h3 class="anchor anchorWithStickyNavbar_fMI7" id="-4999-brand_new_code">'
        '-4999 BRAND_NEW_CODE<a class="hash-link" aria-label="Direct link to -4999 '
        'BRAND_NEW_CODE" href="/docs/derivatives/coin-margined-futures/error-code#'
        '-4999-brand_new_code">\u200b</a></h3>\n<ul>\n<li>A brand new error.</li>\n</ul>'
    )
    return html.replace(marker, marker + added).encode("utf-8")


class Cli:
    """``errwatch`` in-process against the local site, with its own store and reports."""

    def __init__(self, tmp: Path, site: LocalSite) -> None:
        self.tmp = tmp
        self.site = site
        self.snapshots = tmp / "snapshots"
        self.reports = tmp / "reports"
        self.config = tmp / "errwatch.toml"
        self.config.write_text(
            "retries = 1\nbackoff = 0\nread_timeout = 2\nconnect_timeout = 2\n", "utf-8"
        )

    def serve(self, body: bytes) -> None:
        self.site.set(COIN_EN, Reply(body=body))

    def __call__(self, command: str, *args: str, snapshots: Path | None = None) -> int:
        argv = [command, "--snapshots", str(snapshots or self.snapshots)]
        if command in ("run", "crawl", "diff"):
            argv += ["--reports", str(self.reports)]
        if command in ("run", "crawl"):
            argv += ["--base-url", self.site.base_url, "--config", str(self.config), *PAGES]
        return main([*argv, *args])

    def export(self, *args: str, snapshots: Path | None = None) -> Path:
        out = self.tmp / "errwatch.catalogue.json"
        assert self("export", "--out", str(out), *args, snapshots=snapshots) == 0
        return out

    def latest_report(self) -> dict[str, Any]:
        folders = sorted(
            (p for p in self.reports.iterdir() if (p / "report.json").exists()),
            key=lambda p: (p / "report.json").stat().st_mtime_ns,
        )
        for folder in folders:  # every report.json written so far matches the schema
            assert_valid("report", json.loads((folder / "report.json").read_text("utf-8")))
        report: dict[str, Any] = json.loads((folders[-1] / "report.json").read_text("utf-8"))
        return report


@pytest.fixture
def cli(tmp_path: Path, site: LocalSite) -> Cli:
    return Cli(tmp_path, site)


def brief(changes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (c["kind"], c.get("code"), c.get("old_code"), c.get("new_code"), c.get("name"))
        for c in changes
    )


EXPECTED_DRIFT = [
    ("added", -4999, None, None, "BRAND_NEW_CODE"),
    ("renumbered", None, -4087, -4187, "INVALID_PAIR"),
]


def row(message: str, section: str) -> Record:
    return Record(None, None, section, (message,), ("en",), None, None)


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    """usds-futures over five snapshots (S2 failed, S5 not modified)."""
    s = SnapshotStore(tmp_path / "hand", durable=False)
    put(
        s,
        S1,
        ok(
            "usds-futures",
            [
                R(-1000, "UNKNOWN", ("An unknown error occured.",)),
                R(-2013, "NO_SUCH_ORDER"),
                R(-4087, "INVALID_PAIR", ("Invalid pair",)),
                row("Filter failure: PRICE_FILTER", "Filter failures"),
                row("Filter failure: LOT_SIZE", "Filter failures"),
            ],
        ),
        ok("usds-futures", [R(-1000, "未知错误")], locale="zh-CN"),
    )
    put(
        s,
        S2,
        PageOutcome(
            "usds-futures",
            "en",
            "https://example.test/u",
            "failed",
            reason="HTTP 503",
            records=(R(-9999, "WRONG_PAGE"),),
        ),
    )
    put(
        s,
        S3,
        ok(
            "usds-futures",
            [
                R(-1000, "UNKNOWN", ("An unknown error occured.", "Try again.")),
                R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", ("Reduce only not allowed",)),
                R(-4144, "INVALID_PAIR", ("Invalid pair",)),
                row("Filter failure: PRICE_FILTER", "Filter failures (spot)"),  # heading renamed
                row("Filter failure: LOT_SIZE", "Filter failures (spot)"),
            ],
        ),
    )
    put(
        s,
        S4,
        ok(
            "usds-futures",
            [
                # white space only:
                R(-1000, "UNKNOWN", ("An  unknown error occured. ", "Try again.")),
                R(-2013, "NO_SUCH_ORDER"),  # back again
                R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", ("Reduce only not allowed",)),
                R(-4144, "INVALID_PAIR", ("Invalid pair",)),
                row("Filter failure: PRICE_FILTER", "Filter failures (spot)"),
                row("Filter failure: LOT_SIZE", "Filter failures (spot)"),
            ],
        ),
    )
    put(
        s,
        S5,
        PageOutcome(
            "usds-futures", "en", "https://example.test/u", "not_modified", http_status=304
        ),
    )
    return s


def dates(cat: Catalogue, page: str = "usds-futures", locale: str = "en") -> dict[Any, Any]:
    entry = cat.page_entry(page, locale)
    assert entry is not None
    return {
        (r.record.code if r.record.code is not None else r.record.messages[0]): (
            r.first_seen,
            r.last_changed,
        )
        for r in entry.records
    }


# ---------------------------------------------------------------------------- build


def test_first_seen_and_last_changed_follow_the_classifier(store: SnapshotStore) -> None:
    cat = build_catalogue(store)
    assert dates(cat) == {
        -1000: (S1, S3),  # a message added in S3; the white-space edit of S4 is no change
        -2013: (S4, S4),  # removed in S3, back in S4: present without a break since S4
        -4087: (S1, S3),  # renamed in S3 (INVALID_PAIR moved away)
        -4144: (S3, S3),  # INVALID_PAIR renumbered here in S3
        "Filter failure: PRICE_FILTER": (S1, S3),  # heading renamed: section_changed
        "Filter failure: LOT_SIZE": (S1, S3),
    }
    assert dates(cat, locale="zh-CN") == {-1000: (S1, S1)}
    # S5 answered 304 (same records as S4): the state, and so the catalogue, is S4's
    assert cat.snapshot == S4
    page = cat.page_entry("usds-futures", "en")
    assert page is not None and page.fetched_at == "2026-04-01T06:00:00+00:00"
    assert [r.code for r in cat.records("usds-futures", "en") or ()] == [
        -1000,
        -2013,
        -4087,
        -4144,
        None,
        None,
    ]
    assert cat.records("spot", "en") is None and cat.page_entry("spot", "en") is None


def test_as_of_an_older_snapshot_and_filters(store: SnapshotStore) -> None:
    old = build_catalogue(store, snapshot=S2)  # S2 failed: S1 still stands
    assert old.snapshot == S1
    assert dates(old)[-4087] == (S1, S1) and -4144 not in dates(old)
    only_zh = build_catalogue(store, locales=["zh-CN"])
    assert [(p.page, p.locale) for p in only_zh.pages] == [("usds-futures", "zh-CN")]
    for bad in ({"snapshot": "20990101T000000Z"}, {"pages": ["spot"]}, {"locales": ["fr"]}):
        with pytest.raises(UsageError):
            build_catalogue(store, **bad)
    with pytest.raises(UsageError, match="no good snapshot"):
        build_catalogue(SnapshotStore(store.root.parent / "empty"))


def test_dates_agree_with_history_of_each_code(store: SnapshotStore, tmp_path: Path) -> None:
    """One classifier: a record's dates are those of `errwatch history CODE` for its page."""
    assert main(["demo", "-q", "--workdir", str(tmp_path / "demo")]) == 0
    demo = SnapshotStore(demo_store(tmp_path / "demo"))
    checked = 0
    for s in (store, demo):
        cat = build_catalogue(s)
        assert_valid("catalogue", json.loads(catalogue_json(cat)))
        for page in cat.pages:
            codes = [r.record.code for r in page.records]
            for r in page.records:
                code = r.record.code
                if code is None or codes.count(code) != 1:
                    continue
                events = code_history(s, code, page=page.page, locale=page.locale)
                appeared = [
                    e["snapshot"] for e in events if e["kind"] in ("first_seen", "re_added")
                ]
                assert (r.first_seen, r.last_changed) == (appeared[-1], events[-1]["snapshot"])
                checked += 1
    assert checked > 1000
    changed = [
        r for p in build_catalogue(demo).pages for r in p.records if r.last_changed != r.first_seen
    ]
    assert changed  # the demo's second day edits some codes


# ---------------------------------------------------------------------------- JSON / CSV


def test_json_is_stable_sorted_and_one_record_per_line(store: SnapshotStore) -> None:
    text = catalogue_json(build_catalogue(store))
    data = json.loads(text)
    assert data == catalogue_dict(build_catalogue(store))
    assert text.endswith("}\n") and "\r" not in text
    assert data["tool"] == "errwatch" and data["schema"] == 1 and data["snapshot"] == S4
    assert_valid("catalogue", data)
    record_lines = [
        line.strip().rstrip(",")
        for line in text.splitlines()
        if line.strip().startswith('{"anchor"')
    ]
    assert len(record_lines) == sum(len(p["records"]) for p in data["pages"])
    for line in record_lines:
        record = json.loads(line)
        assert list(record) == sorted(record)
    assert list(data) == sorted(data)
    assert all(list(p) == sorted(p) for p in data["pages"])
    assert "未知错误" in text  # readable, not \u-escaped
    assert catalogue_json(build_catalogue(store)) == text  # byte-identical


def test_load_round_trip(store: SnapshotStore, tmp_path: Path) -> None:
    cat = build_catalogue(store)
    path = tmp_path / "cat.json"
    path.write_text(catalogue_json(cat), "utf-8")
    loaded = load_catalogue(path)
    assert loaded == cat
    assert catalogue_json(loaded) == path.read_text("utf-8")
    assert loaded.records("usds-futures", "en") == store.records(S4, "usds-futures", "en")
    assert is_catalogue_file(path)
    assert not is_catalogue_file(tmp_path / "missing.json")
    assert not is_catalogue_file(tmp_path)
    (tmp_path / "report.json").write_text('{"tool": {"name": "errwatch"}}', "utf-8")
    assert not is_catalogue_file(tmp_path / "report.json")


def test_csv(store: SnapshotStore) -> None:
    cat = build_catalogue(store)
    rows = list(csv.DictReader(io.StringIO(catalogue_csv(cat))))
    assert len(rows) == sum(len(p.records) for p in cat.pages)
    first = rows[0]
    assert first == {
        "page": "usds-futures",
        "locale": "en",
        "code": "-1000",
        "name": "UNKNOWN",
        "section": "40xx - Filters",
        "messages": "An  unknown error occured.  | Try again.",  # as stored
        "first_seen": S1,
        "last_changed": S3,
        "link": "https://developers.binance.com/usds-futures/en#-1000-unknown",
    }
    assert rows[4]["code"] == "" and rows[4]["messages"] == "Filter failure: PRICE_FILTER"
    mirrored = catalogue_csv(cat, base_url="http://mirror.test/")
    assert "http://mirror.test/usds-futures/en#-1000-unknown" in mirrored


def test_csv_cells_never_become_spreadsheet_formulas(tmp_path: Path) -> None:
    s = SnapshotStore(tmp_path / "s", durable=False)
    put(
        s,
        S1,
        ok(
            "spot",
            [
                R(
                    -1,
                    '=HYPERLINK("http://evil.test","x")',
                    ("+cmd|' /C calc'!A0",),
                    section="@SUM(1+1)",
                )
            ],
        ),
    )
    rows = list(csv.reader(io.StringIO(catalogue_csv(build_catalogue(s)))))
    assert rows[1][2] == "-1"  # codes stay numbers
    assert [rows[1][3][0], rows[1][4][0], rows[1][5][0]] == ["'", "'", "'"]


# ---------------------------------------------------------------------------- invalid files


def _valid_doc(store: SnapshotStore) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(catalogue_json(build_catalogue(store)))
    return doc


MUTATIONS: list[tuple[str, Any]] = [
    ("tool", lambda d: d.update(tool="other")),
    ("schema missing", lambda d: d.pop("schema")),
    ("schema 2", lambda d: d.update(schema=2)),
    ("schema true", lambda d: d.update(schema=True)),
    ("snapshot bad id", lambda d: d.update(snapshot="yesterday")),
    ("pages not list", lambda d: d.update(pages={})),
    ("page not object", lambda d: d["pages"].append("spot")),
    ("page lacks url", lambda d: d["pages"][0].pop("url")),
    ("page lacks records", lambda d: d["pages"][0].pop("records")),
    ("locale empty", lambda d: d["pages"][0].update(locale="")),
    ("code string", lambda d: d["pages"][0]["records"][0].update(code="-1000")),
    ("code float", lambda d: d["pages"][0]["records"][0].update(code=-1000.5)),
    ("code bool", lambda d: d["pages"][0]["records"][0].update(code=True)),
    ("messages str", lambda d: d["pages"][0]["records"][0].update(messages="x")),
    ("messages ints", lambda d: d["pages"][0]["records"][0].update(messages=[1])),
    ("name int", lambda d: d["pages"][0]["records"][0].update(name=5)),
    ("record lacks first_seen", lambda d: d["pages"][0]["records"][0].pop("first_seen")),
    ("last_changed bad", lambda d: d["pages"][0]["records"][0].update(last_changed="x")),
    ("record not object", lambda d: d["pages"][0]["records"].append([1])),
    ("document is a list", lambda d: [d]),
    # still valid
    ("extra top-level key", lambda d: d.update(comment="pinned by hand")),
    ("no pages", lambda d: d.update(pages=[])),
    ("null dates", lambda d: d["pages"][0]["records"][0].update(first_seen=None)),
]


@pytest.mark.parametrize(("label", "mutate"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_load_agrees_with_the_schema(
    store: SnapshotStore, tmp_path: Path, label: str, mutate: Any
) -> None:
    valid = _valid_doc(store)
    result = mutate(valid)
    doc = result if isinstance(result, list) else valid
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc), "utf-8")
    schema_ok = validator("catalogue").is_valid(doc)
    try:
        load_catalogue(path)
        loaded = True
    except UsageError as exc:
        loaded = False
        message = str(exc)
        assert "\n" not in message and str(path) in message
    assert loaded == schema_ok, label


def test_unreadable_files_are_one_line_usage_errors(tmp_path: Path) -> None:
    cases = {
        "missing.json": None,
        "notjson.json": b"{not json",
        "latin1.json": '{"tool": "errwatch", "x": "\xe9"}'.encode("latin-1"),
        "nan.json": b'{"tool": "errwatch", "schema": NaN}',
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
        "empty.json": b"",
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(UsageError) as info:
            load_catalogue(path)
        assert "\n" not in str(info.value) and name in str(info.value)
        assert not is_catalogue_file(path)
    with pytest.raises(UsageError, match="folder"):
        load_catalogue(tmp_path)


# ---------------------------------------------------------------------------- schemas


def test_schema_command_prints_the_shipped_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    for name in SCHEMAS:
        assert main(["schema", name]) == 0
        out = capsys.readouterr().out
        assert out == schema_text(name) and json.loads(out) == load_schema(name)
        validator(name)  # a valid JSON Schema
    with pytest.raises(SystemExit) as info:
        main(["schema", "manifest"])
    assert info.value.code == 2


def test_report_schema_rejects_what_breaks_the_contract() -> None:
    golden = json.loads(
        (Path(__file__).parent / "fixtures" / "golden" / "report.json").read_text("utf-8")
    )
    assert_valid("report", golden)
    v = validator("report")
    broken = []
    for path, value in (
        (("changes", 0, "breaking"), "yes"),
        (("summary", "drift"), "huge"),
        (("pages", 0, "status"), "fine"),
        (("summary", "changes"), -1),
    ):
        doc = copy.deepcopy(golden)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        broken.append(doc)
    doc = copy.deepcopy(golden)
    doc["changes"][0]["breaking"] = not doc["changes"][0]["breaking"]  # breaking = kind's
    broken.append(doc)
    doc = copy.deepcopy(golden)
    del doc["locale_gaps"]
    broken.append(doc)
    assert [v.is_valid(d) for d in broken] == [False] * len(broken)
    doc = copy.deepcopy(golden)  # new fields may be added
    doc["section_moves"] = [
        {"page": "spot", "locale": "en", "old_section": "a", "new_section": "b", "rows": 3}
    ]
    doc["pages"][0]["elapsed"] = 1.5
    assert v.is_valid(doc)


def test_demo_report_json_matches_the_schema(tmp_path: Path) -> None:
    assert main(["demo", "-q", "--workdir", str(tmp_path)]) == 0
    reports = sorted((tmp_path / "reports").glob("*/report.json"))
    assert len(reports) >= 2
    for path in reports:
        assert_valid("report", json.loads(path.read_text("utf-8")))


# ---------------------------------------------------------------------------- CLI


def test_export_cli(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    cli.serve(day1_page())
    assert cli("crawl", "-q", "--at", "2026-01-15T06:00:00Z") == 0
    assert cli("export") == 0
    printed = capsys.readouterr().out
    path = cli.export()
    assert path.read_text("utf-8") == printed
    data = json.loads(printed)
    assert_valid("catalogue", data)
    assert [(p["page"], p["locale"]) for p in data["pages"]] == [("coin-futures", "en")]
    assert data["pages"][0]["url"] == cli.site.base_url + COIN_EN
    assert cli("export", "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(data["pages"][0]["records"]) > 100
    assert rows[0]["link"].startswith("https://developers.binance.com" + COIN_EN + "#")

    # a day on which nothing changed (304) re-exports byte-identically
    cli.site.set(COIN_EN, Reply(body=day1_page(), etag='"v1"'))
    assert cli("run", "-q", "--at", "2026-01-16T06:00:00Z") == 0
    assert cli("run", "-q", "--at", "2026-01-17T06:00:00Z") == 0
    assert [
        p.get("status") for p in SnapshotStore(cli.snapshots).manifest("20260117T060000Z")["pages"]
    ] == ["not_modified"]
    assert cli.export().read_text("utf-8") == printed

    for args in (("--page", "spot"), ("--locale", "fr"), ("--snapshot", "20200101T000000Z")):
        assert cli("export", *args) == 2
        err = capsys.readouterr().err
        assert err.startswith("errwatch: error: ") and err.count("\n") == 1
    assert cli("export", snapshots=cli.tmp / "nothing") == 2
    assert "no good snapshot" in capsys.readouterr().err


def test_review_diff_shows_exactly_the_changed_codes(cli: Cli) -> None:
    cli.serve(day1_page())
    assert cli("crawl", "-q", "--at", "2026-01-15T06:00:00Z") == 0
    before = cli.export().read_text("utf-8")
    cli.serve(changed_page())
    assert cli("crawl", "-q", "--at", "2026-01-16T06:00:00Z") == 0
    after = cli.export().read_text("utf-8")
    changed = [
        line[1:]
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    codes = sorted(
        json.loads(line.strip().rstrip(","))["code"]
        for line in changed
        if line.strip().startswith("{")
    )
    others = [line for line in changed if not line.strip().startswith("{")]
    assert codes == [-4999, -4187, -4087]
    assert others == [
        '   "fetched_at": "2026-01-15T06:00:00+00:00",',
        '   "fetched_at": "2026-01-16T06:00:00+00:00",',
        ' "snapshot": "20260115T060000Z",',
        ' "snapshot": "20260116T060000Z",',
    ]
    assert_valid("catalogue", json.loads(after))


def test_re_export_from_a_fresh_store_keeps_the_dates_of_unchanged_records(cli: Cli) -> None:
    """The lockfile loop in CI: a fresh crawl, then `export --out` over the committed file."""
    cli.serve(day1_page())
    assert cli("crawl", "-q", "--at", "2026-01-15T06:00:00Z") == 0
    pinned = cli.export()
    before = pinned.read_text("utf-8")
    cli.serve(changed_page())
    fresh = cli.tmp / "ci-store"
    assert cli("crawl", "-q", "--at", "2026-02-01T06:00:00Z", snapshots=fresh) == 0
    after = cli.export(snapshots=fresh).read_text("utf-8")
    removed = [
        line
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line.startswith(("- ", "+ ")) and line[2:].strip().startswith("{")
    ]
    assert sorted(json.loads(line[2:].strip().rstrip(","))["code"] for line in removed) == [
        -4999,
        -4187,
        -4087,
    ]
    cat = load_catalogue(pinned)
    got = {r.record.code: (r.first_seen, r.last_changed) for r in cat.pages[0].records}
    assert got[-1000] == ("20260115T060000Z", "20260115T060000Z")  # kept
    assert got[-4187] == got[-4999] == ("20260201T060000Z", "20260201T060000Z")
    assert cat.snapshot == "20260201T060000Z"
    # written to stdout instead, a fresh store only knows its own snapshot
    assert dates(build_catalogue(SnapshotStore(fresh)), "coin-futures")[-1000] == (
        "20260201T060000Z",
        "20260201T060000Z",
    )
    # a store whose history reaches further back than the file is not overruled by it
    assert cli("crawl", "-q", "--at", "2026-02-02T06:00:00Z") == 0
    own = build_catalogue(SnapshotStore(cli.snapshots), previous=cat)
    assert dates(own, "coin-futures")[-4187] == ("20260202T060000Z", "20260202T060000Z")
    assert dates(own, "coin-futures")[-1000] == ("20260115T060000Z", "20260115T060000Z")


# The tests below drive `run --against FILE` and `diff FILE NEW`, wired by the lead in
# scraper/pipeline.py on top of load_catalogue / Catalogue.records.


def test_run_against_a_pinned_catalogue_reports_drift_from_it(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.serve(day1_page())
    assert cli("crawl", "-q", "--at", "2026-01-15T06:00:00Z") == 0
    pinned = cli.export()
    cli.serve(changed_page())
    # the store moves on: a plain run reports the drift once, then the store is quiet
    assert cli("run", "-q", "--at", "2026-01-16T06:00:00Z") == 0
    assert brief(cli.latest_report()["changes"]) == EXPECTED_DRIFT
    assert cli("run", "-q", "--at", "2026-01-17T06:00:00Z", "--fail-on", "any") == 0
    # the pinned catalogue does not: the gate fails until it is re-exported
    assert (
        cli(
            "run",
            "-q",
            "--at",
            "2026-01-18T06:00:00Z",
            "--against",
            str(pinned),
            "--fail-on",
            "breaking",
        )
        == 1
    )
    report = cli.latest_report()
    assert brief(report["changes"]) == EXPECTED_DRIFT
    assert report["summary"]["breaking"] == 1
    assert (
        cli(
            "run",
            "-q",
            "--at",
            "2026-01-19T06:00:00Z",
            "--against",
            str(pinned),
            "--fail-on",
            "never",
        )
        == 0
    )
    # CI with no snapshots carried between jobs: a fresh store, the committed catalogue
    fresh = cli.tmp / "fresh"
    assert cli("run", "-q", "--against", str(pinned), "--fail-on", "any", snapshots=fresh) == 1
    assert brief(cli.latest_report()["changes"]) == EXPECTED_DRIFT
    # accepting: re-export, and the gate passes
    accepted = cli.export()
    assert (
        cli(
            "run",
            "-q",
            "--at",
            "2026-01-20T06:00:00Z",
            "--against",
            str(accepted),
            "--fail-on",
            "any",
        )
        == 0
    )
    assert cli.latest_report()["changes"] == []
    capsys.readouterr()


def test_diff_catalogue_file_against_a_snapshot(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.serve(day1_page())
    assert cli("crawl", "-q", "--at", "2026-01-15T06:00:00Z") == 0
    pinned = cli.export()
    cli.serve(changed_page())
    assert cli("crawl", "-q", "--at", "2026-01-16T06:00:00Z") == 0
    assert cli("diff", str(pinned), "latest", "--fail-on", "breaking") == 1
    assert brief(cli.latest_report()["changes"]) == EXPECTED_DRIFT
    assert "2 changes (1 breaking)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [
        None,
        "{oops",
        '{"tool": "errwatch", "schema": 1}',
        (
            '{"tool": "errwatch", "schema": 1, "snapshot": null, '
            '"pages": [{"page": "coin-futures"}]}'
        ),
    ],
    ids=["missing", "not-json", "no-pages", "bad-page"],
)
def test_invalid_catalogue_is_one_line_and_exit_2(
    cli: Cli, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    cli.serve(day1_page())
    assert cli("crawl", "-q", "--at", "2026-01-15T06:00:00Z") == 0
    capsys.readouterr()
    path = cli.tmp / "pinned.json"
    if content is not None:
        path.write_text(content, "utf-8")
    for argv in (("run", "--against", str(path)), ("diff", str(path), "latest")):
        assert cli(*argv) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("errwatch: error: ") and captured.err.count("\n") == 1
        assert "Traceback" not in captured.err
    assert len(SnapshotStore(cli.snapshots).snapshot_ids()) == 1  # nothing crawled for it
