"""scraper.fetch against a real local HTTP server (tests/conftest.py ``site``).

No mocking of requests: each test scripts the server's replies and checks what the
fetcher made of them.  Timeouts and backoffs are tiny so the suite stays fast; the only
time-based assertion is that a Retry-After of 1 s was honoured.
"""

from __future__ import annotations

import io
import logging
import socket
import subprocess
import sys

import pytest
from conftest import ROOT, LocalSite, Reply

from scraper import __version__
from scraper.config import config_from_dict
from scraper.fetch import (
    FetchRequest,
    FetchSettings,
    accept_language,
    fetch_all,
    make_retry,
    progress_printer,
)
from scraper.models import FetchResult

SPOT = "/docs/binance-spot-api-docs/errors"
FAST = FetchSettings(
    concurrency=4, connect_timeout=2, read_timeout=2, retries=2, backoff=0, max_retry_after=2
)


def fetch_one(
    site: LocalSite,
    path: str = SPOT,
    settings: FetchSettings = FAST,
    *,
    page: str = "spot",
    locale: str = "en",
    **kw: str,
) -> FetchResult:
    [result] = fetch_all([FetchRequest(page, locale, site.base_url + path, **kw)], settings)
    return result


def with_settings(**kw: float) -> FetchSettings:
    values = {**FAST.__dict__, **kw}
    return FetchSettings(**values)


# --- the good path ---------------------------------------------------------------------


def test_ok_page_keeps_body_status_final_url_and_validators(
    site: LocalSite, spot_html: str
) -> None:
    site.set(
        SPOT, Reply(body=spot_html, etag='"v1"', last_modified="Wed, 19 Nov 2026 06:00:00 GMT")
    )
    result = fetch_one(site)
    assert result.error is None
    assert result.http_status == 200
    assert result.body == spot_html.encode("utf-8")
    assert result.final_url == site.base_url + SPOT
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 19 Nov 2026 06:00:00 GMT"
    assert result.not_modified is False
    assert result.elapsed >= 0
    assert (result.page, result.locale, result.url) == ("spot", "en", site.base_url + SPOT)


def test_results_come_back_in_request_order(site: LocalSite) -> None:
    paths = [f"/p{i}" for i in range(6)]
    for i, path in enumerate(paths):
        # the first pages are the slowest, so they finish last
        site.page(path, f"<html>{i}</html>", delay=0.05 * (6 - i))
    reqs = [FetchRequest(f"p{i}", "en", site.base_url + p) for i, p in enumerate(paths)]
    results = fetch_all(reqs, FAST)
    assert [r.page for r in results] == [f"p{i}" for i in range(6)]
    assert [r.body for r in results] == [f"<html>{i}</html>".encode() for i in range(6)]


def test_no_requests_no_results() -> None:
    assert fetch_all([], FAST) == []


def test_user_agent_names_errwatch_version_and_project_url(site: LocalSite) -> None:
    site.page(SPOT, "<html></html>")
    fetch_one(site, settings=FetchSettings(retries=0, backoff=0))  # the default user agent
    ua = site.requests[0].headers["User-Agent"]
    assert f"errwatch/{__version__}" in ua
    assert "https://github.com/errwatch/errwatch" in ua


def test_accept_language_matches_the_locale(site: LocalSite) -> None:
    site.page("/en", "<html></html>")
    site.page("/zh", "<html></html>")
    fetch_all(
        [
            FetchRequest("spot", "en", site.base_url + "/en"),
            FetchRequest("spot", "zh-CN", site.base_url + "/zh"),
        ],
        FAST,
    )
    langs = {r.path: r.headers["Accept-Language"] for r in site.requests}
    assert langs == {"/en": "en", "/zh": "zh-CN,zh;q=0.9"}
    assert accept_language("zh-CN").startswith("zh-CN")


def test_settings_from_config_fill_in_the_version() -> None:
    cfg = config_from_dict(
        {
            "concurrency": 2,
            "read_timeout": 5,
            "connect_timeout": 3,
            "retries": 1,
            "backoff": 0.1,
            "max_retry_after": 9,
            "user_agent": "bot/{version} (+me)",
        }
    )
    s = FetchSettings.from_config(cfg)
    assert s == FetchSettings(
        concurrency=2,
        connect_timeout=3.0,
        read_timeout=5.0,
        retries=1,
        backoff=0.1,
        max_retry_after=9.0,
        user_agent=f"bot/{__version__} (+me)",
    )
    assert "{version}" not in FetchSettings.from_config(config_from_dict({})).user_agent


def test_importing_fetch_does_not_import_requests() -> None:
    code = (
        "import sys, scraper.fetch; sys.exit('requests' in sys.modules or 'urllib3' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- retries ---------------------------------------------------------------------------


def test_500_once_then_ok_is_retried(site: LocalSite) -> None:
    site.set(SPOT, Reply(500, "oops"), Reply(200, "<html>ok</html>"))
    result = fetch_one(site)
    assert site.hits(SPOT) == 2
    assert result.error is None
    assert result.http_status == 200
    assert result.body == b"<html>ok</html>"


def test_429_with_retry_after_waits_then_ok(site: LocalSite) -> None:
    site.set(
        SPOT, Reply(429, "slow down", headers={"Retry-After": "1"}), Reply(200, "<html>ok</html>")
    )
    result = fetch_one(site)
    assert result.error is None and result.http_status == 200
    first, second = [r for r in site.requests if r.path == SPOT]
    assert second.at - first.at >= 0.9  # honoured Retry-After: 1 (backoff is 0)


def test_503_every_time_gives_up_after_the_retries(site: LocalSite) -> None:
    site.set(SPOT, Reply(503, "maintenance"))
    result = fetch_one(site)
    assert site.hits(SPOT) == 3  # 1 + 2 retries
    assert result.http_status == 503
    assert result.error == "HTTP 503 after 2 retries"


def test_404_is_not_retried(site: LocalSite) -> None:
    result = fetch_one(site, "/nowhere")
    assert site.hits("/nowhere") == 1
    assert result.http_status == 404
    assert result.error is None  # an HTTP answer, judged by validate


def test_retry_after_is_capped_at_max_retry_after() -> None:
    retry = make_retry(with_settings(max_retry_after=0.2))
    assert retry.parse_retry_after("3600") == 0.2
    assert retry.new(total=1).parse_retry_after("3600") == 0.2  # survives urllib3's copies
    assert retry.parse_retry_after("not a date") == 0.0  # unreadable: plain backoff instead


def test_retry_policy_is_get_only_with_429_and_5xx() -> None:
    retry = make_retry(with_settings(retries=3, backoff=0.5))
    assert (retry.total, retry.connect, retry.read, retry.status) == (3, 3, 3, 3)
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert set(retry.allowed_methods or ()) == {"GET"}
    assert retry.backoff_factor == 0.5 and retry.backoff_jitter == 0.25
    assert retry.respect_retry_after_header and not retry.raise_on_status


# --- transport failures become reasons ----------------------------------------------------


def test_timeout_becomes_an_error_not_an_exception(site: LocalSite) -> None:
    site.set(SPOT, Reply(body="<html>late</html>", delay=1.0))
    result = fetch_one(site, settings=with_settings(read_timeout=0.3, retries=1))
    assert result.error == "timeout after 0.3s (retried 1 times)"
    assert result.body is None and result.http_status is None
    assert site.hits(SPOT) == 2


def test_connection_refused(site: LocalSite) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    [result] = fetch_all([FetchRequest("spot", "en", f"http://127.0.0.1:{port}{SPOT}")], FAST)
    assert result.error is not None and result.error.startswith("connection refused")


def test_truncated_body_is_detected(site: LocalSite, spot_html: str) -> None:
    size = len(spot_html.encode("utf-8"))
    site.set(SPOT, Reply(body=spot_html, truncate_to=1000))  # Content-Length says the full size
    result = fetch_one(site, settings=with_settings(retries=0))
    assert result.error == f"truncated body: got 1000 of {size} bytes"
    assert result.body is None


def test_truncated_body_is_retried_and_gives_up(site: LocalSite, spot_html: str) -> None:
    site.set(SPOT, Reply(body=spot_html, truncate_to=1000))
    result = fetch_one(site)
    assert site.hits(SPOT) == 3
    assert result.error is not None
    assert result.error.startswith("truncated body") and result.error.endswith("(retried 2 times)")


def test_truncated_once_then_whole_body_is_ok(site: LocalSite, spot_html: str) -> None:
    site.set(SPOT, Reply(body=spot_html, truncate_to=500), Reply(body=spot_html))
    result = fetch_one(site)
    assert result.error is None
    assert result.body == spot_html.encode("utf-8")


def test_redirect_loop_is_too_many_redirects(site: LocalSite) -> None:
    site.set("/loop", Reply(302, headers={"Location": "/loop"}))
    result = fetch_one(site, "/loop")
    assert result.error is not None and result.error.startswith("too many redirects")


# --- redirects and conditional GET --------------------------------------------------------


def test_redirect_is_followed_and_final_url_kept(site: LocalSite) -> None:
    target = "/docs/binance-spot-api-docs/introduction"
    site.set(SPOT, Reply(301, headers={"Location": target}))
    site.page(target, "<html>intro</html>")
    result = fetch_one(site)
    assert result.http_status == 200
    assert result.final_url == site.base_url + target
    assert result.url == site.base_url + SPOT


def test_conditional_get_with_etag_round_trip(site: LocalSite, spot_html: str) -> None:
    site.set(SPOT, Reply(body=spot_html, etag='"abc"'))
    first = fetch_one(site)
    assert first.etag == '"abc"' and first.body
    second = fetch_one(site, etag=first.etag)
    assert second.not_modified is True
    assert second.http_status == 304
    assert second.body is None and second.error is None
    assert second.etag == '"abc"'
    assert "If-None-Match" not in site.requests[0].headers
    assert site.requests[1].headers["If-None-Match"] == '"abc"'


def test_conditional_get_with_last_modified(site: LocalSite) -> None:
    stamp = "Wed, 19 Nov 2026 06:00:00 GMT"
    site.set(SPOT, Reply(body="<html></html>", last_modified=stamp))
    result = fetch_one(site, last_modified=stamp)
    assert result.not_modified and result.last_modified == stamp
    assert site.requests[0].headers["If-Modified-Since"] == stamp


def test_changed_page_answers_200_to_a_conditional_get(site: LocalSite) -> None:
    site.set(SPOT, Reply(body="<html>new</html>", etag='"v2"'))
    result = fetch_one(site, etag='"v1"')
    assert not result.not_modified
    assert result.body == b"<html>new</html>" and result.etag == '"v2"'


# --- politeness and progress --------------------------------------------------------------


def test_concurrency_never_exceeds_the_setting(site: LocalSite) -> None:
    for i in range(8):
        site.page(f"/p{i}", "<html></html>", delay=0.1)
    reqs = [FetchRequest(f"p{i}", "en", f"{site.base_url}/p{i}") for i in range(8)]
    results = fetch_all(reqs, with_settings(concurrency=2))
    assert all(r.http_status == 200 for r in results)
    assert 1 <= site.max_active <= 2


def test_on_result_is_called_once_per_page(site: LocalSite) -> None:
    for i in range(3):
        site.page(f"/p{i}", "<html></html>")
    seen: list[str] = []
    fetch_all(
        [FetchRequest(f"p{i}", "en", f"{site.base_url}/p{i}") for i in range(3)],
        FAST,
        on_result=lambda r: seen.append(r.page),
    )
    assert sorted(seen) == ["p0", "p1", "p2"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_one_updating_line_on_a_terminal() -> None:
    out = _Terminal()
    show = progress_printer(2, stream=out)
    show(FetchResult("usds-futures", "zh-CN", "u", http_status=200, elapsed=0.44))
    show(FetchResult("spot", "en", "u", error="timeout after 30s", elapsed=30.0))
    text = out.getvalue()
    assert "\r\x1b[K[1/2] usds-futures zh-CN ok 0.4s" in text
    assert "[2/2] spot en failed: timeout after 30s 30.0s" in text
    assert text.count("\n") == 1 and text.endswith("\n")


def test_progress_prints_nothing_when_not_a_terminal() -> None:
    out = io.StringIO()
    show = progress_printer(1, stream=out)
    show(FetchResult("spot", "en", "u", http_status=200))
    assert out.getvalue() == ""


def test_each_page_is_logged(site: LocalSite, caplog: pytest.LogCaptureFixture) -> None:
    site.page(SPOT, "<html></html>")
    with caplog.at_level(logging.DEBUG, logger="errwatch.fetch"):
        fetch_one(site)
    messages = [r.getMessage() for r in caplog.records if r.name == "errwatch.fetch"]
    assert any(m.startswith("GET ") for m in messages)
    assert any(m.startswith("spot/en: HTTP 200") for m in messages)


# --- interrupts (issue 14) --------------------------------------------------------------


@pytest.mark.parametrize(
    "signame, code, line",
    [
        ("SIGINT", 130, "errwatch: interrupted"),
        ("SIGTERM", 143, "errwatch: terminated"),
    ],
)
def test_ctrl_c_on_a_hanging_fetch_exits_at_once(  # type: ignore[no-untyped-def]
    site: LocalSite, tmp_path, signame: str, code: int, line: str
) -> None:
    """The server takes the request and never answers; the signal must end the crawl in < 2 s."""
    import signal
    import time

    site.set(SPOT, Reply(body="never sent", delay=120))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scraper",
            "crawl",
            "--base-url",
            site.base_url,
            "--snapshots",
            str(tmp_path / "snapshots"),
            "--page",
            "spot",
            "--locale",
            "en",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        give_up = time.monotonic() + 30
        while site.hits(SPOT) == 0:  # wait until the request is on the wire
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < give_up, "the crawl never sent its request"
            time.sleep(0.05)
        time.sleep(0.3)  # now blocked waiting for the status line
        sent = time.monotonic()
        proc.send_signal(getattr(signal, signame))
        _, err = proc.communicate(timeout=15)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert took < 2, f"took {took:.1f} s to exit after {signame}"
    assert proc.returncode == code
    assert len(err.splitlines()) == 1 and err.startswith(line), err  # one line, no traceback
    assert not (tmp_path / "snapshots" / ".lock").exists()


def test_an_error_in_on_result_cancels_the_other_pages(site: LocalSite) -> None:
    """Whatever stops the caller (KeyboardInterrupt, SIGTERM's exception) stops the fetch now."""
    import time

    site.set("/fast", Reply(body="ok"))
    site.set("/slow", Reply(body="late", delay=30))

    def boom(result: FetchResult) -> None:
        raise KeyboardInterrupt

    import threading

    before = {t.ident for t in threading.enumerate()}
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        fetch_all(
            [
                FetchRequest("a", "en", site.base_url + "/fast"),
                FetchRequest("b", "en", site.base_url + "/slow"),
            ],
            with_settings(read_timeout=60),
            on_result=boom,
        )
    assert time.monotonic() - start < 2

    def fetch_threads() -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t.name.startswith("errwatch-fetch") and t.ident not in before
        ]

    give_up = time.monotonic() + 10  # the slow page's socket was shut down: its worker ends
    while fetch_threads() and time.monotonic() < give_up:
        time.sleep(0.05)
    assert not fetch_threads()
