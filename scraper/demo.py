"""``errwatch demo``: the whole pipeline, offline, on bundled pages.

A local HTTP server on 127.0.0.1 serves the pages built by tools/build_demo.py (package
data) at their real docs paths, with ETags so unchanged pages answer 304.  Two runs go
through the real fetch path: day 1 establishes the baselines, day 2 serves the edited
pages (a renumbering, a rename, added/removed codes, edited messages, a lagging zh-CN
page, a page that lost most codes and one wrong page).  The demo's snapshots live in
``<workdir>/.errwatch-demo/`` (rebuilt each time); the reports go to
``<workdir>/reports/`` like a real run's.  It ends by printing the commands that carry on
from there (the history of the renumbered code, the diff, the HTML), with the paths that
hold the demo's data.
"""

from __future__ import annotations

import gzip
import hashlib
import shlex
import shutil
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from scraper.config import Config
from scraper.files import doing
from scraper.models import LOCALES, Change
from scraper.registry import build_registry

DAYS = (
    ("before", datetime(2026, 1, 15, 6, 0, tzinfo=UTC)),
    ("after", datetime(2026, 1, 16, 6, 0, tzinfo=UTC)),
)


def load_pages() -> dict[str, dict[str, bytes]]:
    """day -> url path -> HTML; the after day falls back to the before day's page."""
    root = resources.files("scraper").joinpath("data/demo")
    refs = {p.id: p for p in build_registry()}
    days: dict[str, dict[str, bytes]] = {}
    for day, _ in DAYS:
        pages: dict[str, bytes] = dict(days.get("before", {}))
        for item in root.joinpath(day).iterdir():
            if not item.name.endswith(".html.gz"):
                continue
            page, locale = item.name[: -len(".html.gz")].rsplit(".", 1)
            pages[refs[page].url_path(locale)] = gzip.decompress(item.read_bytes())
        days[day] = pages
    return days


class DemoSite:
    """A tiny threaded web server for one day's pages at a time."""

    def __init__(self, days: dict[str, dict[str, bytes]]) -> None:
        self.days = days
        self.day = DAYS[0][0]
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = site.days[site.day].get(self.path.split("?", 1)[0])
                if body is None:
                    self._send(404, b"<html><head><title>Page Not Found</title></head></html>")
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, body, etag)

            def _send(self, status: int, body: bytes, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            request_queue_size = 64  # the default 5 stalls --concurrency > 5 by a SYN retry (~1 s)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> DemoSite:  # noqa: PYI034
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def next_commands(store_dir: Path, reports: Path, changes: tuple[Change, ...]) -> list[str]:
    """Shell commands that work on the demo's data, to print after it (and to test)."""
    snaps = shlex.quote(str(store_dir))
    out: list[str] = []
    moved = next((c for c in changes if c.kind == "renumbered" and c.old_code is not None), None)
    if moved is None:  # no renumbering in the data: follow any change with a code
        moved = next((c for c in changes if c.code is not None), None)
    if moved is not None:
        code = moved.old_code if moved.old_code is not None else moved.code
        out.append(f"errwatch history {code} --page {moved.page} --snapshots {snaps}")
    out.append(
        f"errwatch diff previous latest --snapshots {snaps} --reports {shlex.quote(str(reports))}"
    )
    return out


def _clear(folder: Path) -> None:
    with doing("clearing the demo's snapshot folder", folder):
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass
        except NotADirectoryError:
            raise FileExistsError(17, "File exists", str(folder)) from None


def run_demo(workdir: str | Path = ".", *, quiet: bool = False) -> int:
    """Two crawls (day 1, day 2) against the bundled pages; prints where the reports are.

    Ends with the commands that carry on from the demo's data (see ``next_commands``).
    """
    from scraper import pipeline

    work = Path(workdir)
    store_dir = work / ".errwatch-demo"
    _clear(store_dir)
    reports = work / "reports"
    days = load_pages()
    registry = build_registry()
    by_path = {ref.url_path(loc): (ref.id, loc) for ref in registry for loc in LOCALES}
    keys = {by_path[path] for path in days["before"]}
    pages = tuple(ref for ref in registry if any(k[0] == ref.id for k in keys))
    out = sys.stdout
    with DemoSite(days) as site:
        cfg = replace(
            Config(),
            base_url=site.url,
            snapshots=str(store_dir),
            reports=str(reports),
            retries=1,
            backoff=0.0,
            read_timeout=10.0,
        )
        result = None
        for day, at in DAYS:
            site.day = day
            with doing(
                f"running the demo's day {day} (snapshots in {store_dir}, reports in {reports})"
            ):
                result = pipeline.run(
                    cfg,
                    pages=pages,
                    locales=LOCALES,
                    at=at,
                    progress=not quiet,
                    only=frozenset(keys),
                    command=f"errwatch demo (day {day})",
                )
            if not quiet:
                out.write(f"day {day}: {pipeline.summary_line(result.report, result.report_dir)}\n")
    assert result is not None
    index = (reports / "index.html").resolve()
    if not quiet:
        out.writelines(line + "\n" for line in pipeline.failure_lines(result.failed))
        out.write(f"\nOpen {index}\n")
        out.write("\nNext, on the demo's data:\n")
        out.writelines(f"  {cmd}\n" for cmd in next_commands(store_dir, reports, result.changes))
    return 0
