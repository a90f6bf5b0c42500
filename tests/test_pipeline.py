"""`errwatch run` / `crawl` / `diff` / `history` end to end against a real local server.

Day 1 and day 2 are the demo's bundled pages (built from the seeds by
tools/build_demo.py): the run must report exactly the edits made between them, and every
fault served in place of a page must leave no false change and the right status.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import LocalSite, Reply

from scraper.cli import main
from scraper.demo import load_pages
from scraper.store import SnapshotStore

DAYS = load_pages()
COIN_EN = "/docs/derivatives/coin-margined-futures/error-code"
USDS_EN = "/docs/derivatives/usds-margined-futures/error-code"
PAGES = ["--page", "coin-futures", "--page", "usds-futures", "--locale", "en"]


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def serve_day(site: LocalSite, day: str, paths: tuple[str, ...] = (COIN_EN, USDS_EN)) -> None:
    for path in paths:
        body = DAYS[day][path]
        site.set(path, Reply(body=body, etag=etag(body)))


class Runner:
    def __init__(self, tmp: Path, site: LocalSite) -> None:
        self.snapshots = tmp / "snapshots"
        self.reports = tmp / "reports"
        self.site = site

    def __call__(self, command: str, *args: str, at: str | None = None) -> int:
        argv = [command, "--snapshots", str(self.snapshots), "--reports", str(self.reports)]
        if command in ("run", "crawl"):
            argv += ["--base-url", self.site.base_url, "--config", str(self.config)]
        if at:
            argv += ["--at", at]
        return main([*argv, *args])

    @property
    def config(self) -> Path:
        path = self.snapshots.parent / "errwatch.toml"
        if not path.exists():
            path.write_text(
                "retries = 1\nbackoff = 0\nread_timeout = 1\nconnect_timeout = 1\n", "utf-8"
            )
        return path

    def report(self, snapshot_id: str) -> dict[str, Any]:
        return json.loads((self.reports / snapshot_id / "report.json").read_text("utf-8"))

    def latest(self) -> dict[str, Any]:
        return self.report(SnapshotStore(self.snapshots).snapshot_ids()[-1])


@pytest.fixture
def run(tmp_path: Path, site: LocalSite) -> Runner:
    return Runner(tmp_path, site)


def brief(changes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            c["kind"],
            c["page"],
            c.get("code"),
            c.get("name") or c.get("old_name"),
            c.get("new_name") or c.get("new_code"),
        )
        for c in changes
    ]


def test_run_reports_exactly_what_changed(
    run: Runner, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(site, "before")
    assert run("run", *PAGES, "--fail-on", "breaking", at="2026-01-15T06:00:00Z") == 0
    first = run.latest()
    assert first["changes"] == [] and first["summary"]["pages"]["ok"] == 2
    assert capsys.readouterr().out == ""  # quiet when nothing happened (cron)

    serve_day(site, "after")
    assert run("run", *PAGES, "--fail-on", "breaking", at="2026-01-16T06:00:00Z") == 1
    report = run.latest()
    assert report["old"]["snapshot"] == "20260115T060000Z"
    assert brief(report["changes"]) == [
        ("renumbered", "coin-futures", None, "INVALID_PAIR", -4144),
        ("renamed", "coin-futures", -4087, "INVALID_PAIR", "REDUCE_ONLY_ORDER_PERMISSION"),
        ("renamed", "usds-futures", -2013, "NO_SUCH_ORDER", "ORDER_NOT_FOUND"),
        ("removed", "usds-futures", -1006, "UNEXPECTED_RESP", None),
        ("added", "usds-futures", -4450, "PRICE_PROTECTION_TRIGGERED", None),
        ("messages_changed", "usds-futures", -1003, "TOO_MANY_REQUESTS", None),
    ]
    renumbered = report["changes"][0]
    assert (renumbered["old_code"], renumbered["new_code"], renumbered["breaking"]) == (
        -4087,
        -4144,
        True,
    )
    edited = report["changes"][-1]
    assert edited["added_messages"] == ["Too many requests queued; please retry with backoff."]
    assert edited["removed_messages"] == ["Too many requests queued."]
    out = capsys.readouterr().out
    assert "6 changes (4 breaking)" in out and "report.html" in out
    assert (run.reports / "20260116T060000Z" / "report.html").exists()
    assert (run.reports / "index.html").exists()


def test_unchanged_pages_answer_304_and_are_not_parsed(run: Runner, site: LocalSite) -> None:
    serve_day(site, "before")
    assert run("run", *PAGES, at="2026-01-15T06:00:00Z") == 0
    assert run("run", *PAGES, at="2026-01-16T06:00:00Z") == 0
    report = run.latest()
    assert [p["status"] for p in report["pages"]] == ["not_modified", "not_modified"]
    assert report["changes"] == []
    conditional = [r for r in site.requests if "If-None-Match" in r.headers]
    assert len(conditional) == 2
    store = SnapshotStore(run.snapshots)
    ids = store.snapshot_ids()
    assert store.records(ids[-1], "coin-futures", "en") == store.records(
        ids[0], "coin-futures", "en"
    )


def test_fail_on_levels(run: Runner, site: LocalSite) -> None:
    serve_day(site, "before", (USDS_EN,))
    assert run("run", "--page", "usds-futures", "--locale", "en", at="2026-01-15T06:00:00Z") == 0
    edited = DAYS["before"][USDS_EN].replace(
        b"Too many requests queued.", b"Too many requests are queued."
    )
    site.set(USDS_EN, Reply(body=edited))
    args = ("--page", "usds-futures", "--locale", "en")
    assert (
        run("run", *args, "--fail-on", "breaking", at="2026-01-16T06:00:00Z") == 0
    )  # not breaking
    site.set(USDS_EN, Reply(body=edited.replace(b"are queued", b"were queued")))
    assert run("run", *args, "--fail-on", "any", at="2026-01-17T06:00:00Z") == 1
    site.set(USDS_EN, Reply(body=edited.replace(b"are queued", b"got queued")))
    assert run("run", *args, "--fail-on", "never", at="2026-01-18T06:00:00Z") == 0
    assert run.latest()["summary"]["changes"] == 1


def _wrong_page() -> bytes:
    return DAYS["after"]["/docs/zh-CN/institutional_loan/error-code"]


def _spot_page() -> bytes:
    return DAYS["before"]["/docs/binance-spot-api-docs/errors"]


FAULTS: dict[str, tuple[list[Reply], str, str]] = {
    "wrong-page-same-url": ([Reply(body=_wrong_page())], "failed", "wrong page"),
    "another-products-page": ([Reply(body=_spot_page())], "failed", "wrong page"),
    "soft-404": (
        [
            Reply(
                body=b"<html><head><title>Page Not Found | Binance Open Platform</title></head>"
                b"<body><h1>Page Not Found</h1></body></html>"
            )
        ],
        "failed",
        "404",
    ),
    "redirect-to-introduction": (
        [
            Reply(
                status=302,
                headers={"Location": "/docs/derivatives/coin-margined-futures/general-info"},
            )
        ],
        "failed",
        "redirected",
    ),
    "waf-challenge": (
        [
            Reply(
                status=200,
                body=b"<html><head><title>Just a moment...</title></head><body>"
                b"<noscript>Please enable JavaScript</noscript></body></html>",
            )
        ],
        "failed",
        "challenge",
    ),
    "truncated-body": (
        [Reply(body=DAYS["before"][COIN_EN], truncate_to=40_000)],
        "failed",
        "truncated",
    ),
    "empty-body": ([Reply(body=b"")], "failed", "empty"),
    "shell-without-article": (
        [
            Reply(
                body=b'<!doctype html><html lang="en"><head><title>Binance</title></head>'
                b'<body><div id="__docusaurus"></div></body></html>'
            )
        ],
        "failed",
        "article",
    ),
    "http-500": ([Reply(status=500, body=b"oops")], "failed", "HTTP 500"),
    "timeout": ([Reply(body=DAYS["before"][COIN_EN], delay=3.0)], "failed", "timeout"),
    "lost-most-codes": (
        [
            Reply(
                body=DAYS["after"]["/docs/wallet/error-code"].replace(
                    b"/docs/wallet/error-code", COIN_EN.encode()
                )
            )
        ],
        "quarantined",
        "lost",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_a_bad_fetch_never_reads_as_drift(
    run: Runner, site: LocalSite, fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(site, "before")
    assert run("run", *PAGES, at="2026-01-15T06:00:00Z") == 0
    replies, status, reason = FAULTS[fault]
    site.set(COIN_EN, *replies)
    serve_day(site, "before", (USDS_EN,))
    assert run("run", *PAGES, "--fail-on", "any", at="2026-01-16T06:00:00Z") == 3
    report = run.latest()
    assert report["changes"] == []
    page = next(p for p in report["pages"] if p["page"] == "coin-futures")
    assert page["status"] == status
    assert reason.lower() in page["reason"].lower()
    assert f"coin-futures en: {status}" in capsys.readouterr().out

    # the next good day is compared with the last good snapshot, not with the fault
    serve_day(site, "after")
    assert run("run", *PAGES, at="2026-01-17T06:00:00Z") == 0
    report = run.latest()
    coin = [c for c in report["changes"] if c["page"] == "coin-futures"]
    assert [c["kind"] for c in coin] == ["renumbered", "renamed"]
    assert report["pages"][0]["baseline"] == "20260115T060000Z"


def test_transient_errors_are_retried(run: Runner, site: LocalSite) -> None:
    body = DAYS["before"][COIN_EN]
    site.set(COIN_EN, Reply(status=500, body=b"busy"), Reply(body=body))
    serve_day(site, "before", (USDS_EN,))
    assert run("run", *PAGES, at="2026-01-15T06:00:00Z") == 0
    assert site.hits(COIN_EN) == 2
    site.set(COIN_EN, Reply(status=429, headers={"Retry-After": "1"}), Reply(body=body))
    assert run("run", *PAGES, at="2026-01-16T06:00:00Z") == 0
    assert run.latest()["changes"] == []


def test_accept_overrides_quarantine(run: Runner, site: LocalSite) -> None:
    serve_day(site, "before", (COIN_EN,))
    args = ("--page", "coin-futures", "--locale", "en")
    assert run("run", *args, at="2026-01-15T06:00:00Z") == 0
    shrunk = DAYS["after"]["/docs/wallet/error-code"].replace(
        b"/docs/wallet/error-code", COIN_EN.encode()
    )
    site.set(COIN_EN, Reply(body=shrunk))
    assert run("run", *args, at="2026-01-16T06:00:00Z") == 3
    assert run("run", *args, "--accept", "coin-futures:en", at="2026-01-17T06:00:00Z") == 0
    report = run.latest()
    assert report["pages"][0]["status"] == "ok"
    assert report["summary"]["by_kind"]["removed"] > 100  # the loss is now reported as drift


def test_a_second_run_is_refused_while_one_holds_the_lock(
    run: Runner, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(site, "before")
    with SnapshotStore(run.snapshots).lock():
        assert run("run", *PAGES, at="2026-01-15T06:00:00Z") == 2
    err = capsys.readouterr().err
    assert err.startswith("errwatch: error: another errwatch run") and err.count("\n") == 1
    assert run("run", *PAGES, at="2026-01-15T06:00:00Z") == 0


def test_diff_and_history_over_stored_snapshots(
    run: Runner, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(site, "before")
    run("run", *PAGES, at="2026-01-15T06:00:00Z")
    serve_day(site, "after")
    run("run", *PAGES, at="2026-01-16T06:00:00Z")
    capsys.readouterr()
    assert run("diff", "previous", "latest", "--fail-on", "breaking") == 1
    diff_report = run.report("20260116T060000Z-vs-20260115T060000Z")
    assert brief(diff_report["changes"]) == brief(run.report("20260116T060000Z")["changes"])
    assert run("diff", "20260115T060000Z", "nope") == 2
    assert "no snapshot 'nope'" in capsys.readouterr().err

    assert (
        main(
            [
                "history",
                "-4087",
                "--page",
                "coin-futures",
                "--snapshots",
                str(run.snapshots),
                "--format",
                "json",
            ]
        )
        == 0
    )
    events = json.loads(capsys.readouterr().out)
    assert [e["kind"] for e in events][:1] == ["first_seen"]
    assert any(e["kind"] == "renamed" for e in events)


def test_github_annotations(
    run: Runner, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(site, "before")
    run("run", *PAGES, at="2026-01-15T06:00:00Z")
    serve_day(site, "after")
    capsys.readouterr()
    assert (
        run("run", *PAGES, "--format", "github", "--fail-on", "breaking", at="2026-01-16T06:00:00Z")
        == 1
    )
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("::error") for line in lines) == 4
    assert any("INVALID_PAIR" in line for line in lines)
    assert (run.reports / "20260116T060000Z" / "report.md").exists()  # files are written too


def test_crawl_stores_a_snapshot_without_reports(
    run: Runner, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(site, "before")
    assert run("crawl", *PAGES, at="2026-01-15T06:00:00Z") == 0
    assert "snapshot 20260115T060000Z: 2 ok" in capsys.readouterr().out
    assert not run.reports.exists()
    store = SnapshotStore(run.snapshots)
    assert store.records("20260115T060000Z", "usds-futures", "en")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--page", "nope"], "unknown page 'nope'"),
        (["run", "--locale", "fr"], "unknown locale 'fr'"),
        (["run", "--at", "yesterday"], "not an ISO 8601 timestamp"),
        (["run", "--config", "/nonexistent.toml"], "config file not found"),
        (["run", "--format", "pdf"], "unknown format 'pdf'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_demo_runs_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "index.html" in out
    report = json.loads(
        (tmp_path / "reports" / "20260116T060000Z" / "report.json").read_text("utf-8")
    )
    kinds = {c["kind"] for c in report["changes"]}
    assert {"renumbered", "renamed", "added", "removed", "messages_changed"} <= kinds
    statuses = {(p["page"], p["locale"]): p["status"] for p in report["pages"]}
    assert statuses[("wallet", "en")] == "quarantined"
    assert statuses[("institutional-loan", "zh-CN")] == "failed"
    assert statuses[("spot", "en")] == "not_modified"
    assert any(
        g["missing_in"] == "zh-CN" for g in report["locale_gaps"] if g.get("kind") == "missing"
    )
    assert any(x["name"] == "INVALID_PAIR" for x in report["cross_page"] if "name" in x)
    # a second demo in the same folder gives the same reports
    assert main(["demo", "--workdir", str(tmp_path), "-q"]) == 0
    again = json.loads(
        (tmp_path / "reports" / "20260116T060000Z" / "report.json").read_text("utf-8")
    )
    assert again["changes"] == report["changes"]


def test_an_unwritable_snapshot_folder_is_one_line(
    tmp_path: Path, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_day(site, "before")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    code = main(
        [
            "run",
            *PAGES,
            "--base-url",
            site.base_url,
            "--snapshots",
            str(blocker / "snaps"),
            "--reports",
            str(tmp_path / "reports"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("errwatch: error:") and err.count("\n") == 1 and "Traceback" not in err
