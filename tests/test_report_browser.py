"""The HTML report in a real browser: loads cleanly, shows report.json's numbers, never
runs page text, and looks right at desktop and phone widths.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver;
ERRWATCH_CHROMIUM / ERRWATCH_CHROMEDRIVER point elsewhere, e.g. a runner's own Chrome).
Without them these tests FAIL on purpose: CI installs them and a silent skip would hide
a broken report.  Screenshots go to docs/screenshots/ for the README.

Issue 15: the live filter (its script runs under the page's hash-based CSP, nothing else
does), the no-JavaScript finder (<details> and anchors), the per-code timeline pages, the
index with its feed link, and the layout of each at 1280 and 390 px.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_report import HISTORY, scenario_report

from scraper.report import write_reports

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path(os.environ.get("ERRWATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ERRWATCH_CHROMEDRIVER", "/usr/bin/chromedriver"))
# Screenshots land in a temp folder; ERRWATCH_SCREENSHOTS=docs/screenshots refreshes the
# README's pictures (of the demo report) without every test run rewriting tracked files.
SCREENSHOTS_ENV = os.environ.get("ERRWATCH_SCREENSHOTS")
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver"


class _HistoryStore:
    """Just enough of SnapshotStore for history_counts (manifests with record_count)."""

    def snapshot_ids(self) -> list[str]:
        return sorted({sid for pts in HISTORY.values() for sid, _ in pts})

    def manifest(self, sid: str) -> dict[str, Any]:
        pages = []
        for key, pts in HISTORY.items():
            page, locale = key.split("/")
            pages += [
                {"page": page, "locale": locale, "status": "ok", "record_count": n}
                for s, n in pts
                if s == sid
            ]
        return {"id": sid, "pages": pages}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """The scenario's reports folder served over HTTP on 127.0.0.1 (free port)."""
    root = tmp_path_factory.mktemp("reports")
    report = scenario_report()
    out = write_reports(report, root, store=_HistoryStore())
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        yield (
            f"http://127.0.0.1:{port}/{out.name}/report.html",
            json.loads((out / "report.json").read_text("utf-8")),
        )
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"browser tests need {' and '.join(missing)}; install them with: {INSTALL}",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


def _load(driver: Any, url: str, width: int) -> None:
    driver.set_window_size(width, 900)
    driver.get(url)
    # the viewport, not the window, must have the asked width (window chrome differs)
    inner = driver.execute_script("return window.innerWidth")
    if inner != width:
        driver.set_window_size(width + (width - inner), 900)
        driver.get(url)


def _screenshot(driver: Any, path: Path, width: int) -> None:
    """A full-page screenshot: grow the window to the document height first."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(driver.get_window_size()["width"], min(int(height) + 120, 12000))
    path.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(path)), f"could not write {path}"


def test_report_loads_without_console_errors(
    driver: Any, served: tuple[str, dict[str, Any]]
) -> None:
    url, _ = served
    _load(driver, url, 1280)
    assert driver.execute_script("return document.readyState") == "complete"
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == []
    assert "errwatch" in driver.title


def test_summary_numbers_match_report_json(driver: Any, served: tuple[str, dict[str, Any]]) -> None:
    from selenium.webdriver.common.by import By

    url, report = served
    _load(driver, url, 1280)
    s = report["summary"]
    expected = {
        "sum-changes": s["changes"],
        "sum-breaking": s["breaking"],
        "sum-cross-page": len(report["cross_page"]),
        "sum-locale-gaps": len(report["locale_gaps"]),
    }
    expected |= {f"sum-kind-{k}": n for k, n in s["by_kind"].items()}
    expected |= {f"sum-pages-{k}": n for k, n in s["pages"].items()}
    for element_id, value in expected.items():
        el = driver.find_element(By.ID, element_id)
        assert el.get_attribute("data-value") == str(value), element_id
        shown = el.find_element(By.CSS_SELECTOR, ".n").text
        assert shown == str(value), f"{element_id} shows {shown!r}, report.json says {value}"
        assert el.is_displayed()
    drift = driver.find_element(By.ID, "sum-drift")
    assert drift.get_attribute("data-value") == s["drift"] and "Breaking" in drift.text
    box = driver.find_element(By.ID, "page-problems")
    assert box.is_displayed() and "HTTP 503 after 3 retries" in box.text
    assert report["new"]["snapshot"] in driver.find_element(By.ID, "stamp").text


def test_injected_markup_is_text_and_never_runs(
    driver: Any, served: tuple[str, dict[str, Any]]
) -> None:
    from selenium.webdriver.common.by import By

    url, _ = served
    _load(driver, url, 1280)
    assert driver.execute_script("return window.__pwned === undefined")
    assert "pwned" not in driver.title
    assert driver.find_elements(By.CSS_SELECTOR, "main script, main img, header script") == []
    edits = driver.find_element(By.CSS_SELECTOR, 'li.change[data-kind="messages_changed"]').text
    assert "<script>alert(1)</script>" in edits
    assert "<img src=x onerror=alert(1)>" in edits
    assert "<script>window.__pwned=1;document.title='pwned'</script>" in edits
    assert "<script>window.__pwned=1" in driver.find_element(By.ID, "page-problems").text


def _check_widths(driver: Any, url: str, folder: Path, prefix: str) -> None:
    for name, width in ((f"{prefix}-desktop.png", 1280), (f"{prefix}-phone.png", 390)):
        _load(driver, url, width)
        # nothing wider than the viewport except inside the horizontally scrolling tables
        overflow = driver.execute_script("return document.documentElement.scrollWidth")
        assert overflow <= width, f"page is {overflow}px wide at a {width}px viewport"
        _screenshot(driver, folder / name, width)
        assert (folder / name).stat().st_size > 10_000


def test_screenshots_desktop_and_phone(
    driver: Any, served: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    url, _ = served
    _check_widths(driver, url, tmp_path, "scenario")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`errwatch demo`'s reports folder served on 127.0.0.1; yields the base URL."""
    from scraper.demo import run_demo

    work = tmp_path_factory.mktemp("demo")
    assert run_demo(work, quiet=True) == 0
    handler = functools.partial(_QuietHandler, directory=str(work / "reports"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _severe(driver: Any) -> list[Any]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def _visible_changes(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.change[data-search]'))"
        ".filter(e => e.offsetParent !== null).map(e => e.getAttribute('data-search'))"
    )


def test_live_filter_narrows_codes_names_and_messages(driver: Any, demo_site: str) -> None:
    from selenium.webdriver.common.by import By

    _load(driver, f"{demo_site}/20260116T060000Z/report.html", 1280)
    box = driver.find_element(By.ID, "filter")
    assert box.is_displayed()  # the script ran: the CSP let errwatch's own script through
    everything = _visible_changes(driver)
    assert len(everything) == 9
    field = driver.find_element(By.ID, "filter-q")
    for query, expect in (("-4144", 1), ("invalid_pair", None), ("too many", 1), ("zz-nothing", 0)):
        field.clear()
        field.send_keys(query)
        shown = _visible_changes(driver)
        assert all(query.lower() in s for s in shown), (query, shown)
        hidden = [s for s in everything if s not in shown]
        assert all(query.lower() not in s for s in hidden), query
        if expect is not None:
            assert len(shown) == expect, (query, shown)
        status = box.find_element(By.CSS_SELECTOR, ".filter-status").text
        assert status.split()[0] == str(
            len(
                driver.execute_script(
                    "return Array.from(document.querySelectorAll('[data-search]')).filter(e => !e.hidden)"
                )
            )
        )
    # a message matches too, and collisions (folded <details>) open to show their hits
    field.clear()
    field.send_keys("reduce_only")
    cross = driver.execute_script(
        "return Array.from(document.querySelectorAll('tr.cross')).filter(e => e.offsetParent !== null).length"
    )
    assert cross >= 1
    field.clear()
    field.send_keys(" ")
    assert len(_visible_changes(driver)) == 9
    assert _severe(driver) == []


def test_csp_blocks_any_other_script(driver: Any, demo_site: str) -> None:
    _load(driver, f"{demo_site}/20260116T060000Z/report.html", 1280)
    driver.get_log("browser")  # drop earlier entries
    driver.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__injected = 1';"
        "document.body.appendChild(s);"
    )
    assert driver.execute_script("return window.__injected === undefined")
    assert any("Content Security Policy" in e.get("message", "") for e in driver.get_log("browser"))


def test_finder_works_through_anchors_without_the_script(driver: Any, demo_site: str) -> None:

    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        _finder_by_anchor(driver, f"{demo_site}/20260116T060000Z/report.html")
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def _finder_by_anchor(driver: Any, url: str) -> None:
    from selenium.webdriver.common.by import By

    _load(driver, url, 390)
    assert not driver.find_element(By.ID, "filter").is_displayed()  # no script: no live filter
    finder = driver.find_element(By.ID, "finder")
    assert finder.get_attribute("open") is None
    finder.find_element(By.TAG_NAME, "summary").click()
    link = finder.find_element(By.CSS_SELECTOR, "li a.code")
    target = link.get_attribute("href").split("#", 1)[1]
    link.click()
    assert driver.current_url.endswith(f"#{target}")
    row = driver.find_element(By.ID, target)
    assert row.is_displayed() and row.get_attribute("data-code") == link.text
    top = driver.execute_script("return arguments[0].getBoundingClientRect().top", row)
    assert -2 <= top < driver.execute_script("return window.innerHeight")


def test_code_pages_open_from_the_report(driver: Any, demo_site: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _load(driver, f"{demo_site}/20260116T060000Z/report.html", 1280)
    row = driver.find_element(By.CSS_SELECTOR, 'tr.change[data-kind="renumbered"]')
    row.find_element(By.CSS_SELECTOR, "a.tl").click()
    assert driver.current_url == f"{demo_site}/codes/-4144.html"
    assert driver.find_element(By.ID, "code").text == "-4144"
    kinds = [
        e.get_attribute("data-kind") for e in driver.find_elements(By.CSS_SELECTOR, "li.event")
    ]
    assert "renumbered" in kinds and kinds[0] == "first_seen"
    assert "2026-01-16 06:00 UTC" in driver.find_element(By.ID, "events").text
    assert _severe(driver) == []
    # the renumbering links the code it came from, and back to the report of that run
    driver.find_element(By.CSS_SELECTOR, 'li.event[data-kind="renumbered"] .what a').click()
    assert driver.current_url == f"{demo_site}/codes/-4087.html"
    assert _severe(driver) == []
    for width in (1280, 390):
        _load(driver, f"{demo_site}/codes/-4087.html", width)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    _check_widths(
        driver,
        f"{demo_site}/codes/-4144.html",
        Path(SCREENSHOTS_ENV) if SCREENSHOTS_ENV else tmp_path,
        "code",
    )


def test_first_screen_shows_the_renumbering_first(driver: Any, demo_site: str) -> None:
    from selenium.webdriver.common.by import By

    for width in (1280, 390):
        _load(driver, f"{demo_site}/20260116T060000Z/report.html", width)
        first = driver.find_element(By.CSS_SELECTOR, "#headline li")
        assert first.get_attribute("data-kind") == "renumbered" and "INVALID_PAIR" in first.text
        assert "-4087" in first.text and "-4144" in first.text
        rect = driver.execute_script("return arguments[0].getBoundingClientRect()", first)
        assert rect["bottom"] <= driver.execute_script("return window.innerHeight"), width
        # nothing else that describes a change, a page or a collision stands above it
        above = driver.execute_script(
            "var top = arguments[0].getBoundingClientRect().top;"
            "return Array.from(document.querySelectorAll('[data-kind], [data-page], .card, .box'))"
            ".filter(e => e !== arguments[0] && e.offsetParent !== null"
            " && e.getBoundingClientRect().bottom <= top).length",
            first,
        )
        assert above == 0, width


def test_index_with_dates_and_feed_link(driver: Any, demo_site: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _load(driver, f"{demo_site}/index.html", 1280)
    run = driver.find_element(By.CSS_SELECTOR, 'tr.run[data-id="20260116T060000Z"]')
    assert "2026-01-16 06:00 UTC" in run.text
    feed = driver.find_element(By.ID, "feed-link")
    assert feed.is_displayed() and feed.get_attribute("href") == f"{demo_site}/feed.xml"
    alt = driver.find_element(By.CSS_SELECTOR, 'link[rel="alternate"][type="application/atom+xml"]')
    assert alt.get_attribute("href") == f"{demo_site}/feed.xml"
    assert _severe(driver) == []
    _check_widths(
        driver,
        f"{demo_site}/index.html",
        Path(SCREENSHOTS_ENV) if SCREENSHOTS_ENV else tmp_path,
        "index",
    )


def test_demo_report_in_the_browser(driver: Any, tmp_path: Path) -> None:
    """The report a newcomer sees first: `errwatch demo`, served and opened."""
    from selenium.webdriver.common.by import By

    from scraper.demo import run_demo

    assert run_demo(tmp_path, quiet=True) == 0
    reports = tmp_path / "reports"
    report = json.loads((reports / "20260116T060000Z" / "report.json").read_text("utf-8"))
    handler = functools.partial(_QuietHandler, directory=str(reports))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/20260116T060000Z/report.html"
        _load(driver, url, 1280)
        assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []
        shown = driver.find_element(By.ID, "sum-changes").get_attribute("data-value")
        assert shown == str(report["summary"]["changes"])
        assert "INVALID_PAIR" in driver.find_element(By.TAG_NAME, "body").text
        _check_widths(driver, url, Path(SCREENSHOTS_ENV) if SCREENSHOTS_ENV else tmp_path, "report")
    finally:
        server.shutdown()
        server.server_close()


def test_index_page_loads(driver: Any, served: tuple[str, dict[str, Any]]) -> None:
    from selenium.webdriver.common.by import By

    url, report = served
    _load(driver, url.rsplit("/", 2)[0] + "/index.html", 1280)
    row = driver.find_element(By.CSS_SELECTOR, f'tr.run[data-id="{report["id"]}"]')
    assert row.get_attribute("data-changes") == str(report["summary"]["changes"])
    row.find_element(By.TAG_NAME, "a").click()
    assert driver.current_url == url
    assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []
