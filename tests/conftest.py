"""Shared fixtures: a real HTTP server on 127.0.0.1 that serves scripted responses.

Tests script each path with a list of ``Reply`` objects served in order (the last one
repeats), so "500 once then OK" or "429 with Retry-After then OK" are two-item lists.
Every request is recorded (path and headers) so tests can assert on conditional GETs,
User-Agent and concurrency.  The same server doubles as a webhook receiver: POST bodies
are recorded too (``site.posts()``), answered 200 unless the path is scripted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scraper.models import PageOutcome, Record
from scraper.store import SnapshotStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent
    truncate_to: int | None = None  # send only this many bytes of the body, then close
    etag: str | None = None  # answer 304 when If-None-Match matches
    last_modified: str | None = None  # sent as Last-Modified; 304 when If-Modified-Since matches
    drip: float = 0.0  # seconds between single body bytes (a slow-drip server)

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    at: float
    body: bytes = b""  # request body (POST)


class LocalSite:
    """Routes and a request log for one test's server."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self.base_url = ""
        self._lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    def set(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def page(self, path: str, html: str | bytes, **kw: object) -> None:
        """Serve ``html`` at ``path`` with status 200 (keyword args go to Reply)."""
        self.set(path, Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"}, **kw))  # type: ignore[arg-type]

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def posts(self, path: str | None = None) -> list[Seen]:
        """POST requests received (at ``path``, or all), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and path in (None, r.path)]

    def _next(self, path: str) -> Reply | None:
        with self._lock:
            replies = self.routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]


def _handler(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with site._lock:
                site.requests.append(
                    Seen("GET", path, dict(self.headers.items()), time.monotonic())
                )
                site.active += 1
                site.max_active = max(site.max_active, site.active)
            try:
                self._serve(path)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (e.g. its read timeout fired during ``delay``).
                self.close_connection = True
            finally:
                with site._lock:
                    site.active -= 1

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with site._lock:
                seen = Seen("POST", path, dict(self.headers.items()), time.monotonic(), body)
                site.requests.append(seen)
            if path in site.routes:
                self._serve(path)
                return
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _serve(self, path: str) -> None:
            reply = site._next(path)
            if reply is None:
                reply = Reply(404, "<html><body><h1>Page Not Found</h1></body></html>")
            if reply.delay:
                time.sleep(reply.delay)
            etag_hit = bool(reply.etag) and self.headers.get("If-None-Match") == reply.etag
            date_hit = (
                bool(reply.last_modified)
                and self.headers.get("If-Modified-Since") == reply.last_modified
            )
            if etag_hit or date_hit:
                self.send_response(304)
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                if reply.last_modified:
                    self.send_header("Last-Modified", reply.last_modified)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = reply.payload()
            self.send_response(reply.status)
            headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
            if reply.etag:
                headers["ETag"] = reply.etag
            if reply.last_modified:
                headers["Last-Modified"] = reply.last_modified
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            if reply.truncate_to is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if reply.truncate_to is not None:
                self.wfile.write(body[: reply.truncate_to])
                self.wfile.flush()
                self.close_connection = True
                return
            if reply.drip:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(reply.drip)
                return
            self.wfile.write(body)

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # the default 5 stalls more than 5 parallel connects (~1 s)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A live HTTP server on 127.0.0.1 (free port); ``site.base_url`` is its root."""
    s = LocalSite()
    server = _Server(("127.0.0.1", 0), _handler(s))
    server.daemon_threads = True
    s.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), daemon=True
    )  # quick shutdown
    thread.start()
    try:
        yield s
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def spot_html() -> str:
    """The real spot error page (English) as served by developers.binance.com."""
    bundled = FIXTURES / "pages" / "spot.en.html"
    path = bundled if bundled.exists() else SHARED / "real-pages" / "spot.en.html"
    return path.read_text("utf-8")


# --- checking documented commands against the real CLI parser -------------------------

_SHELL_OPERATORS = {
    ";",
    "&&",
    "||",
    "|",
    "&",
    "(",
    ")",
    "<",
    ">",
    ">>",
    ">&",
    "<&",
    "&>",
    "|&",
    ";;",
}


def errwatch_invocations(script: str) -> list[list[str]]:
    """The argument lists of every `errwatch …` command in a shell snippet.

    ``docker compose run [--opts] monitor ARGS`` counts too (the image's ENTRYPOINT is
    errwatch). Redirections, pipes and ``$(…)`` end a command; prompts (``$ ``) and
    comments are ignored. Used to check docs, workflows and the Dockerfile against
    ``scraper.cli.build_parser()``.
    """
    import shlex

    found: list[list[str]] = []
    text = script.replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        line = line.removeprefix("$ ")
        if not line or line.startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            at_command = i == 0 or tokens[i - 1] in _SHELL_OPERATORS or tokens[i - 1].endswith("=$")
            if not at_command:
                continue
            if token == "errwatch":
                start = i + 1
            elif tokens[i : i + 3] == ["docker", "compose", "run"]:
                j = i + 3
                while j < len(tokens) and tokens[j].startswith("-"):
                    j += 1
                if j >= len(tokens) or tokens[j] != "monitor":
                    continue
                start = j + 1
            else:
                continue
            args: list[str] = []
            for k in range(start, len(tokens)):
                if tokens[k] in _SHELL_OPERATORS:
                    break
                if (
                    tokens[k].isdigit()
                    and k + 1 < len(tokens)
                    and tokens[k + 1] in {">", ">>", ">&", "<"}
                ):
                    break  # "2>>log": the 2 is a file descriptor, not an argument
                args.append(tokens[k])
            found.append(args)
    return found


def cli_problem(args: list[str]) -> str | None:
    """Why ``errwatch ARGS`` would be rejected by scraper.cli's parser, or None if it parses."""
    import contextlib
    import io

    from scraper.cli import build_parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return f"errwatch {' '.join(args)}: {err.getvalue().strip() or f'exit {exc.code}'}"
    return None


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``cli.main`` sets the root and library logger levels for its process (``-q`` makes
    the root ERROR); in one test process that must not leak into the next test's caplog."""
    import logging

    names = ["", "errwatch", "urllib3", "apprise", "py.warnings", *logging.root.manager.loggerDict]
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    for h in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(h)


# ------------------------------------------------------------------ stored-history builders


def code_record(
    code: int | None,
    name: str | None,
    msgs: tuple[str, ...] = ("m",),
    section: str = "40xx - Filters",
) -> Record:
    """A record as the parser makes it (English messages, anchor from code and name)."""
    return Record(
        code, name, section, msgs, ("en",) * len(msgs), None, f"{code}-{(name or '').lower()}"
    )


def ok_outcome(page: str, records: list[Record], locale: str = "en") -> PageOutcome:
    """A page fetched and parsed fine, as the gate hands it to the store."""
    return PageOutcome(
        page,
        locale,
        f"https://example.test/{page}/{locale}",
        "ok",
        http_status=200,
        records=tuple(records),
        markdown="md",
    )


def put_snapshot(store: SnapshotStore, sid: str, *outcomes: PageOutcome) -> None:
    """Store a snapshot stamped with the time its id names."""
    at = datetime.strptime(sid, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    store.write_snapshot(sid, at, list(outcomes))
