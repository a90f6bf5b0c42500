"""The HTML report in a real browser: loads cleanly, shows report.json's numbers, never
runs page text, and looks right at desktop and phone widths.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver;
ERRWATCH_CHROMIUM / ERRWATCH_CHROMEDRIVER point elsewhere, e.g. a runner's own Chrome).
Without them these tests FAIL on purpose: CI installs them and a silent skip would hide
a broken report.  Screenshots go to docs/screenshots/ for the README.
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

pytestmark = pytest.mark.browser

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
            pages += [{"page": page, "locale": locale, "status": "ok", "record_count": n}
                      for s, n in pts if s == sid]
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
        yield f"http://127.0.0.1:{port}/{out.name}/report.html", json.loads((out / "report.json").read_text("utf-8"))
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
        pytest.fail(f"browser tests need {' and '.join(missing)}; install them with: {INSTALL}", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
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


def test_report_loads_without_console_errors(driver: Any, served: tuple[str, dict[str, Any]]) -> None:
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
    expected = {"sum-changes": s["changes"], "sum-breaking": s["breaking"],
                "sum-cross-page": len(report["cross_page"]), "sum-locale-gaps": len(report["locale_gaps"])}
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


def test_injected_markup_is_text_and_never_runs(driver: Any, served: tuple[str, dict[str, Any]]) -> None:
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


def test_screenshots_desktop_and_phone(driver: Any, served: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    url, _ = served
    _check_widths(driver, url, tmp_path, "scenario")


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
