"""notify_run against a real webhook receiver (the conftest server records POST bodies).

Apprise's ``json://host:port/path`` posts ``{"title", "message", "type", …}`` there, so
the tests read exactly what a chat or webhook service would receive.
"""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import LocalSite, Reply

from scraper.config import Config
from scraper.notify import default_state_path, load_outbox, load_state, notify_run

MARKDOWN = "## errwatch report\n\n- **usds-futures/en** renumbered `INVALID_PAIR`: -4087 → -4144\n"


def page(
    name: str, locale: str = "en", status: str = "ok", reason: str | None = None
) -> dict[str, Any]:
    return {
        "page": name,
        "locale": locale,
        "url": f"https://example.test/{name}",
        "status": status,
        "reason": reason,
        "record_count": 10,
        "baseline": None,
    }


def report(
    *pages: dict[str, Any], changes: int = 0, breaking: int = 0, rid: str = "20261121T060000Z"
) -> dict[str, Any]:
    counts = {
        s: sum(1 for p in pages if p["status"] == s)
        for s in ("ok", "not_modified", "failed", "quarantined")
    }
    return {
        "tool": {"name": "errwatch", "version": "0.1.0", "command": "errwatch run"},
        "id": rid,
        "old": {"snapshot": "20261120T060000Z", "per_page": {}},
        "new": {"snapshot": rid},
        "summary": {
            "changes": changes,
            "breaking": breaking,
            "by_kind": {},
            "pages": counts,
            "drift": "breaking" if breaking else ("any" if changes else "none"),
        },
        "pages": list(pages),
        "changes": [],
        "cross_page": [],
        "locale_gaps": [],
    }


def messages(site: LocalSite, path: str) -> list[dict[str, Any]]:
    return [json.loads(p.body) for p in site.posts(path)]


def hook(site: LocalSite, path: str) -> str:
    return site.base_url.replace("http://", "json://") + path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "notify.json"


def test_drift_is_sent_with_the_markdown_and_report_link(site: LocalSite, state: Path) -> None:
    cfg = Config(
        notify_urls=(hook(site, "/drift"),), report_url="https://reports.example.test/errwatch/"
    )
    sent = notify_run(report(page("spot"), changes=3, breaking=1), MARKDOWN, cfg, state)

    assert sent == ["errwatch: 3 changes (1 breaking)"]
    [msg] = messages(site, "/drift")
    assert msg["title"] == "errwatch: 3 changes (1 breaking)"
    assert "renumbered `INVALID_PAIR`: -4087 → -4144" in msg["message"]
    assert "https://reports.example.test/errwatch/20261121T060000Z/report.html" in msg["message"]
    assert msg["type"] == "warning"


def test_no_drift_no_failure_sends_nothing(site: LocalSite, state: Path) -> None:
    cfg = Config(notify_urls=(hook(site, "/drift"),))
    assert notify_run(report(page("spot"), page("spot", "zh-CN")), MARKDOWN, cfg, state) == []
    assert site.posts() == []


def test_failure_goes_to_the_failure_channel_once(site: LocalSite, state: Path) -> None:
    cfg = Config(notify_urls=(hook(site, "/drift"),), failure_urls=(hook(site, "/alerts"),))
    run = report(
        page("spot"),
        page("wallet", status="failed", reason="HTTP 503 after 3 retries"),
        page("margin", "zh-CN", status="quarantined", reason="lost 90% of its codes"),
    )

    first = notify_run(run, MARKDOWN, cfg, state)
    assert first == ["errwatch: 2 pages failing (2 new)"]
    [msg] = messages(site, "/alerts")
    assert "wallet/en** failed: HTTP 503 after 3 retries" in msg["message"]
    assert "margin/zh-CN** quarantined: lost 90% of its codes" in msg["message"]
    assert msg["type"] == "failure"
    assert site.posts("/drift") == []
    assert set(load_state(state)) == {"wallet/en", "margin/zh-CN"}

    # The same failing pages on the next run: nothing new to say.
    assert notify_run(run, MARKDOWN, cfg, state) == []
    assert len(site.posts("/alerts")) == 1


def test_failure_falls_back_to_notify_urls(site: LocalSite, state: Path) -> None:
    cfg = Config(notify_urls=(hook(site, "/drift"),))
    sent = notify_run(report(page("spot", status="failed", reason="timeout")), MARKDOWN, cfg, state)
    assert sent == ["errwatch: 1 page failing (1 new)"]
    assert len(site.posts("/drift")) == 1


def test_a_newly_failing_page_is_announced_with_the_known_ones(
    site: LocalSite, state: Path
) -> None:
    cfg = Config(failure_urls=(hook(site, "/alerts"),))
    notify_run(
        report(page("spot", status="failed", reason="timeout"), page("wallet")),
        MARKDOWN,
        cfg,
        state,
    )
    sent = notify_run(
        report(
            page("spot", status="failed", reason="timeout"),
            page("wallet", status="failed", reason="HTTP 403 challenge"),
            rid="20261122T060000Z",
        ),
        MARKDOWN,
        cfg,
        state,
    )
    assert sent == ["errwatch: 2 pages failing (1 new)"]
    second = messages(site, "/alerts")[1]["message"]
    assert "wallet/en** failed: HTTP 403 challenge (new)" in second
    assert "spot/en** failed: timeout\n" in second + "\n"


def test_recovery_is_announced_once(site: LocalSite, state: Path) -> None:
    cfg = Config(failure_urls=(hook(site, "/alerts"),))
    notify_run(
        report(page("spot", status="failed", reason="timeout"), page("wallet")),
        MARKDOWN,
        cfg,
        state,
    )

    sent = notify_run(
        report(page("spot", status="not_modified"), page("wallet")), MARKDOWN, cfg, state
    )
    assert sent == ["errwatch: 1 page recovered"]
    msg = messages(site, "/alerts")[-1]
    assert msg["type"] == "success"
    assert "spot/en** ok again (was failed)" in msg["message"]
    assert load_state(state) == {}

    assert notify_run(report(page("spot"), page("wallet")), MARKDOWN, cfg, state) == []
    assert len(site.posts("/alerts")) == 2


def test_pages_not_in_this_run_keep_their_state(site: LocalSite, state: Path) -> None:
    """A `run --page spot` must neither re-announce nor "recover" wallet."""
    cfg = Config(failure_urls=(hook(site, "/alerts"),))
    notify_run(report(page("wallet", status="failed", reason="timeout")), MARKDOWN, cfg, state)
    assert notify_run(report(page("spot")), MARKDOWN, cfg, state) == []
    assert set(load_state(state)) == {"wallet/en"}


def test_no_urls_configured_sends_nothing_and_writes_no_state(site: LocalSite, state: Path) -> None:
    run = report(page("spot", status="failed", reason="timeout"), changes=5, breaking=2)
    assert notify_run(run, MARKDOWN, Config(), state) == []
    assert site.posts() == []
    assert not state.exists()


def free_port() -> int:
    """A port nothing listens on: bound once to learn it, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_or_failing_service_is_logged_not_raised(
    site: LocalSite, state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="errwatch.notify")
    site.set("/broken", Reply(500, "nope"))
    cfg = Config(
        notify_urls=(f"json://127.0.0.1:{free_port()}/hook", hook(site, "/broken")),
        failure_urls=(f"json://127.0.0.1:{free_port()}/alerts",),
    )
    run = report(page("spot", status="failed", reason="timeout"), changes=1)

    assert notify_run(run, MARKDOWN, cfg, state) == []
    assert len(site.posts("/broken")) == 1
    assert "was not delivered" in caplog.text
    # Undelivered: both messages wait in the outbox for the next run.
    assert [m.id for m in load_outbox(state)] == [
        "20261121T060000Z/drift",
        "20261121T060000Z/failure",
    ]


def test_partial_delivery_counts_as_sent(site: LocalSite, state: Path) -> None:
    cfg = Config(notify_urls=(f"json://127.0.0.1:{free_port()}/hook", hook(site, "/drift")))
    assert notify_run(report(page("spot"), changes=1), MARKDOWN, cfg, state) == [
        "errwatch: 1 change (0 breaking)"
    ]
    assert messages(site, "/drift")[0]["type"] == "info"


def test_unusable_url_is_logged_without_leaking_it(
    state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="errwatch.notify")
    cfg = Config(notify_urls=("nosuchscheme://secret-token@host/x",))
    assert notify_run(report(page("spot"), changes=1), MARKDOWN, cfg, state) == []
    ours = [r.getMessage() for r in caplog.records if r.name == "errwatch.notify"]
    assert any("nosuchscheme://…" in m for m in ours)
    assert not any("secret-token" in m for m in ours)  # (apprise's own log is its business)


def test_corrupt_state_is_ignored_and_replaced(
    site: LocalSite, state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state.parent.mkdir(parents=True)
    state.write_text("{not json", "utf-8")
    cfg = Config(failure_urls=(hook(site, "/alerts"),))
    assert notify_run(report(page("spot", status="failed")), MARKDOWN, cfg, state) == [
        "errwatch: 1 page failing (1 new)"
    ]
    assert "ignoring unreadable state" in caplog.text
    data = json.loads(state.read_text("utf-8"))
    assert data["version"] == 2 and data["outbox"] == []
    assert data["failing"] == {"spot/en": {"reason": None, "status": "failed"}}
    assert [p.name for p in state.parent.iterdir()] == [state.name]  # no temp files left


def test_default_state_path_lives_beside_the_snapshots() -> None:
    assert default_state_path(Config(snapshots="/data/snapshots")) == Path(
        "/data/snapshots/.notify-state.json"
    )


# --- the outbox (issue 10 item 2): undelivered messages are retried on later runs ------


def test_refused_drift_is_retried_on_the_next_run_and_delivered_once(
    site: LocalSite, state: Path
) -> None:
    site.set("/drift", Reply(500, "down"), Reply(200))
    cfg = Config(notify_urls=(hook(site, "/drift"),))
    day1 = report(page("spot"), changes=2, breaking=1, rid="20261121T060000Z")

    assert notify_run(day1, MARKDOWN, cfg, state) == []
    assert len(site.posts("/drift")) == 1  # refused with 500
    [queued] = load_outbox(state)
    assert (queued.id, queued.attempts) == ("20261121T060000Z/drift", 1)

    # Day 2 has no drift of its own: the outbox is delivered, then emptied.
    day2 = report(page("spot"), rid="20261122T060000Z")
    assert notify_run(day2, MARKDOWN, cfg, state) == ["errwatch: 2 changes (1 breaking)"]
    first, second = messages(site, "/drift")
    assert second == first  # the same message, body and title
    assert "renumbered `INVALID_PAIR`" in second["message"]
    assert load_outbox(state) == []

    # Day 3: nothing more is sent.
    assert notify_run(report(page("spot"), rid="20261123T060000Z"), MARKDOWN, cfg, state) == []
    assert len(site.posts("/drift")) == 2


def test_outbox_is_delivered_before_the_runs_own_message(site: LocalSite, state: Path) -> None:
    site.set("/drift", Reply(500), Reply(200))
    cfg = Config(notify_urls=(hook(site, "/drift"),))
    notify_run(report(page("spot"), changes=1, rid="20261121T060000Z"), MARKDOWN, cfg, state)
    sent = notify_run(report(page("spot"), changes=3, rid="20261122T060000Z"), MARKDOWN, cfg, state)
    assert sent == ["errwatch: 1 change (0 breaking)", "errwatch: 3 changes (0 breaking)"]
    titles = [m["title"] for m in messages(site, "/drift")]
    assert titles == ["errwatch: 1 change (0 breaking)"] * 2 + ["errwatch: 3 changes (0 breaking)"]


def test_same_report_notified_again_is_not_sent_twice(site: LocalSite, state: Path) -> None:
    """A run killed after sending but before it was recorded re-reports the same report."""
    cfg = Config(notify_urls=(hook(site, "/drift"),), failure_urls=(hook(site, "/alerts"),))
    run = report(page("spot"), page("wallet", status="failed", reason="timeout"), changes=1)
    assert len(notify_run(run, MARKDOWN, cfg, state)) == 2
    assert notify_run(run, MARKDOWN, cfg, state) == []
    assert len(site.posts("/drift")) == 1 and len(site.posts("/alerts")) == 1


def test_only_the_service_that_refused_gets_the_retry(site: LocalSite, state: Path) -> None:
    site.set("/flaky", Reply(500), Reply(200))
    cfg = Config(notify_urls=(hook(site, "/good"), hook(site, "/flaky")))
    assert notify_run(report(page("spot"), changes=1), MARKDOWN, cfg, state) == [
        "errwatch: 1 change (0 breaking)"
    ]
    assert len(load_outbox(state)) == 1  # still owed to /flaky
    notify_run(report(page("spot"), rid="20261122T060000Z"), MARKDOWN, cfg, state)
    assert len(site.posts("/good")) == 1
    assert len(site.posts("/flaky")) == 2
    assert load_outbox(state) == []


def test_refused_failure_notice_is_retried_not_rederived(site: LocalSite, state: Path) -> None:
    site.set("/alerts", Reply(500), Reply(500), Reply(200))
    cfg = Config(failure_urls=(hook(site, "/alerts"),))
    failing = page("wallet", status="failed", reason="HTTP 503 after 3 retries")
    for rid in ("20261121T060000Z", "20261122T060000Z", "20261123T060000Z"):
        notify_run(report(failing, rid=rid), MARKDOWN, cfg, state)
    bodies = [m["message"] for m in messages(site, "/alerts")]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # one message, tried three times
    assert "snapshot 20261121T060000Z" in bodies[-1]
    assert load_outbox(state) == []
    assert set(load_state(state)) == {"wallet/en"}


def test_a_message_whose_channel_is_gone_is_dropped(
    site: LocalSite, state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site.set("/old", Reply(500))
    notify_run(
        report(page("spot"), changes=1), MARKDOWN, Config(notify_urls=(hook(site, "/old"),)), state
    )
    assert len(load_outbox(state)) == 1
    cfg = Config(failure_urls=(hook(site, "/alerts"),))  # drift URLs removed from the config
    notify_run(report(page("spot"), rid="20261122T060000Z"), MARKDOWN, cfg, state)
    assert load_outbox(state) == []
    assert "no URL left" in caplog.text


def test_a_message_changed_url_is_sent_to_the_new_one(site: LocalSite, state: Path) -> None:
    site.set("/old", Reply(500))
    notify_run(
        report(page("spot"), changes=1), MARKDOWN, Config(notify_urls=(hook(site, "/old"),)), state
    )
    notify_run(
        report(page("spot"), rid="20261122T060000Z"),
        MARKDOWN,
        Config(notify_urls=(hook(site, "/new"),)),
        state,
    )
    assert len(site.posts("/new")) == 1 and load_outbox(state) == []


def test_outbox_and_state_never_hold_a_url_or_token(site: LocalSite, state: Path) -> None:
    site.set("/hook/PATHTOKEN", Reply(500))
    url = site.base_url.replace("http://", "json://user:PASSWORD42@") + "/hook/PATHTOKEN"
    notify_run(
        report(page("spot", status="failed", reason="timeout"), changes=1),
        MARKDOWN,
        Config(notify_urls=(url,)),
        state,
    )
    text = state.read_text("utf-8")
    assert len(load_outbox(state)) == 2
    for secret in ("PATHTOKEN", "PASSWORD42", "json://", "127.0.0.1"):
        assert secret not in text


def test_unreadable_outbox_entries_are_dropped_with_a_warning(
    site: LocalSite, state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state.parent.mkdir(parents=True)
    good = {
        "id": "20261120T060000Z/drift",
        "report": "20261120T060000Z",
        "kind": "drift",
        "channel": "drift",
        "title": "errwatch: 1 change (0 breaking)",
        "body": "x",
        "created": "2026-11-20T06:00:00Z",
        "attempts": 1,
        "delivered_to": [],
    }
    state.write_text(
        json.dumps(
            {
                "version": 2,
                "failing": {},
                "outbox": [{"id": 3}, "junk", good, {**good, "kind": "evil"}],
            }
        )
    )
    cfg = Config(notify_urls=(hook(site, "/drift"),))
    assert notify_run(report(page("spot")), MARKDOWN, cfg, state) == [good["title"]]
    assert caplog.text.count("dropping an unreadable outbox entry") == 3
    assert load_outbox(state) == []


def test_version_1_state_files_still_load(site: LocalSite, state: Path) -> None:
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"version": 1, "failing": {"spot/en": {"status": "failed"}}}))
    cfg = Config(failure_urls=(hook(site, "/alerts"),))
    assert notify_run(report(page("spot")), MARKDOWN, cfg, state) == ["errwatch: 1 page recovered"]


def test_cli_drift_refused_by_the_webhook_arrives_with_the_next_run(
    site: LocalSite, tmp_path: Path
) -> None:
    """End to end: day 2's drift meets a 500; day 3 (no drift) delivers it, once."""
    from conftest import FIXTURES

    from scraper.cli import main

    spot = "/docs/binance-spot-api-docs/errors"
    real = (FIXTURES / "pages" / "spot.en.html").read_text("utf-8")
    config = tmp_path / "errwatch.toml"
    config.write_text(
        f"retries = 0\nbackoff = 0\n[notify]\nurls = [{json.dumps(hook(site, '/drift'))}]\n",
        "utf-8",
    )
    site.set("/drift", Reply(500, "down"), Reply(200))

    def run(html: str, at: str) -> int:
        site.set(spot, Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"}))
        return main(
            [
                "-q",
                "run",
                "--config",
                str(config),
                "--snapshots",
                str(tmp_path / "s"),
                "--reports",
                str(tmp_path / "r"),
                "--base-url",
                site.base_url,
                "--page",
                "spot",
                "--locale",
                "en",
                "--format",
                "json,md",
                "--at",
                at,
            ]
        )

    run(real, "2026-11-20T06:00:00Z")
    run(real.replace(">-1000 UNKNOWN<", ">-1000 UNKNOWN_ERROR<", 1), "2026-11-21T06:00:00Z")
    assert len(site.posts("/drift")) == 1  # refused
    state = tmp_path / "s" / ".notify-state.json"
    assert [m.report for m in load_outbox(state)] == ["20261121T060000Z"]
    run(real.replace(">-1000 UNKNOWN<", ">-1000 UNKNOWN_ERROR<", 1), "2026-11-22T06:00:00Z")
    posts = messages(site, "/drift")
    assert len(posts) == 2 and posts[0] == posts[1]
    assert "UNKNOWN_ERROR" in posts[1]["message"]
    assert load_outbox(state) == []
    run(real.replace(">-1000 UNKNOWN<", ">-1000 UNKNOWN_ERROR<", 1), "2026-11-23T06:00:00Z")
    assert len(site.posts("/drift")) == 2
