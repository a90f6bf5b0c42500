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
from scraper.notify import default_state_path, load_state, notify_run

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
    # Undelivered, so not recorded: the failure is tried again next run.
    assert load_state(state) == {}


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
    assert json.loads(state.read_text("utf-8")) == {
        "version": 1,
        "failing": {"spot/en": {"reason": None, "status": "failed"}},
    }
    assert [p.name for p in state.parent.iterdir()] == [state.name]  # no temp files left


def test_default_state_path_lives_beside_the_snapshots() -> None:
    assert default_state_path(Config(snapshots="/data/snapshots")) == Path(
        "/data/snapshots/.notify-state.json"
    )
