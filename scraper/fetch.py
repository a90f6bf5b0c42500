"""HTTP for errwatch: polite, retried, conditional GETs that never raise per page.

Every page becomes a ``models.FetchResult``; a transport failure is a short human
reason in ``FetchResult.error`` ("timeout after 30s", "connection refused", "truncated
body: got 1000 of 90877 bytes"), never an exception, so one bad page cannot stop a run.
Whether the body is the page we asked for is ``validate``'s job, not ours.

Retries live in two layers:

* urllib3 ``Retry`` on the adapter retries connect errors, read timeouts before the
  headers, and 429/5xx (honouring ``Retry-After``, capped at ``max_retry_after``);
* a body-phase loop here retries a body that broke off mid-transfer (truncation,
  reset, read timeout while streaming), which urllib3 cannot see because the body is
  read after ``urlopen`` returned.

Deadlines: ``read_timeout`` bounds one socket read, so a body dripping a byte every few
seconds would never trip it.  Each page therefore has ``page_timeout`` for everything
(connect, headers, body, every retry and backoff), and the run has ``run_timeout``.
The calling thread watches both: at a deadline it shuts down the page's sockets (the
blocked read returns at once), fails the page ("no complete answer within 120 s") and,
should a worker still be stuck (DNS, a TLS handshake), leaves it behind and starts
another.  Workers are daemon threads and every wait between tries is cut short by a
cancel, so Ctrl-C (or SIGTERM, turned into the same exception by the CLI) ends a fetch
at once instead of after the slowest socket timeout.

``requests`` and ``urllib3`` are imported inside functions so ``errwatch --help`` and
commands that never fetch don't pay for them.
"""

from __future__ import annotations

import logging
import queue
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TextIO

from scraper import __version__
from scraper.config import DEFAULT_USER_AGENT
from scraper.models import FetchResult

if TYPE_CHECKING:  # pragma: no cover
    import requests
    from urllib3.util.retry import Retry

    from scraper.config import Config

__all__ = [
    "RETRY_STATUSES",
    "FetchRequest",
    "FetchSettings",
    "accept_language",
    "describe_error",
    "fetch_all",
    "make_retry",
    "progress_printer",
]

log = logging.getLogger("errwatch.fetch")

#: Statuses worth another try: rate limiting and transient server/CDN errors.
RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})
#: A real error-code page is ~0.1-0.5 MB; anything this big is not one.
MAX_BODY_BYTES = 20 * 1024 * 1024
_MAX_REDIRECTS = 10
_CHUNK = 64 * 1024
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


def _default_user_agent() -> str:
    return DEFAULT_USER_AGENT.replace("{version}", __version__)


@dataclass(frozen=True)
class FetchSettings:
    """Knobs of the HTTP layer; defaults are polite for a public docs site."""

    concurrency: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5  # urllib3 backoff_factor; jitter of backoff/2 is added
    max_retry_after: float = 120.0  # a server asking for longer gets this much
    user_agent: str = _default_user_agent()
    page_timeout: float = 120.0  # one page, whole body, retries included
    run_timeout: float = 1800.0  # the whole fetch_all

    @classmethod
    def from_config(cls, cfg: Config) -> FetchSettings:
        """Settings from errwatch.toml; ``{version}`` in user_agent is filled in."""
        return cls(
            concurrency=max(1, int(cfg.concurrency)),
            connect_timeout=float(cfg.connect_timeout),
            read_timeout=float(cfg.read_timeout),
            retries=max(0, int(cfg.retries)),
            backoff=max(0.0, float(cfg.backoff)),
            max_retry_after=max(0.0, float(cfg.max_retry_after)),
            user_agent=cfg.user_agent.replace("{version}", __version__),
            page_timeout=float(cfg.page_timeout),
            run_timeout=float(cfg.run_timeout),
        )


@dataclass(frozen=True)
class FetchRequest:
    """One page and locale to GET; etag/last_modified come from the last good snapshot."""

    page: str
    locale: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


def accept_language(locale: str) -> str:
    """Accept-Language for a locale, so a content-negotiating CDN serves the same language."""
    if locale == "en":
        return "en"
    primary = locale.split("-", 1)[0]
    return f"{locale},{primary};q=0.9" if primary != locale else locale


@lru_cache(maxsize=1)
def _capped_retry_class() -> type[Retry]:
    """A urllib3 Retry whose Retry-After is capped (urllib3 < 2.6 has no such option)."""
    from urllib3.exceptions import InvalidHeader
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """Retry that never sleeps longer than ``max_retry_after`` for a Retry-After."""

        def __init__(self, *args: Any, max_retry_after: float = 120.0, **kw: Any) -> None:
            super().__init__(*args, **kw)
            self.max_retry_after = max_retry_after

        def new(self, **kw: Any) -> CappedRetry:
            kw.setdefault("max_retry_after", self.max_retry_after)
            return super().new(**kw)

        def sleep(self, response: Any = None) -> None:
            """Wait before the next try, within the page's deadline and cut short by a cancel."""
            seconds: float = 0.0
            asked = False
            if self.respect_retry_after_header and response is not None:
                retry_after = self.get_retry_after(response)
                if retry_after:
                    seconds, asked = retry_after, True
            if not asked:
                seconds = self.get_backoff_time()
            call: _Call | None = getattr(_local, "call", None)
            if call is not None:
                call.pause(seconds, asked_by_server=asked)
            elif seconds > 0:
                time.sleep(seconds)

        def parse_retry_after(self, retry_after: str) -> float:
            try:
                seconds = super().parse_retry_after(retry_after)
            except InvalidHeader:
                # An unreadable Retry-After: fall back to our own backoff (0 = "none").
                log.debug("ignoring invalid Retry-After %r", retry_after)
                return 0.0
            return min(seconds, self.max_retry_after)

    return CappedRetry


def make_retry(settings: FetchSettings) -> Retry:
    """The adapter's retry policy: GET only, 429/5xx and transport errors, no raising on status."""
    cls = _capped_retry_class()
    return cls(  # type: ignore[call-arg]
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        backoff_factor=settings.backoff,
        backoff_jitter=settings.backoff / 2,
        status_forcelist=sorted(RETRY_STATUSES),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        max_retry_after=settings.max_retry_after,
    )


@lru_cache(maxsize=1)
def _tracking_adapter_class() -> type[Any]:
    """An HTTPAdapter whose connections tell the current page's ``_Call`` they are in use,
    so a deadline or Ctrl-C can shut their sockets down from the calling thread."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class TrackedHTTPConnection(HTTPConnection):
        def connect(self) -> None:
            _track(self)
            super().connect()
            _track(self)  # a cancel while connecting saw no socket yet: it raises now

        def request(self, *args: Any, **kw: Any) -> None:
            _track(self)
            super().request(*args, **kw)

    class TrackedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            _track(self)
            super().connect()
            _track(self)  # a cancel while connecting saw no socket yet: it raises now

        def request(self, *args: Any, **kw: Any) -> None:
            _track(self)
            super().request(*args, **kw)

    class TrackedHTTPPool(HTTPConnectionPool):
        ConnectionCls = TrackedHTTPConnection

    class TrackedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = TrackedHTTPSConnection

    class TrackingAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kw: Any) -> None:
            super().init_poolmanager(*args, **kw)
            self.poolmanager.pool_classes_by_scheme = {
                "http": TrackedHTTPPool,
                "https": TrackedHTTPSPool,
            }

    return TrackingAdapter


def _session(settings: FetchSettings) -> requests.Session:
    import requests

    session = requests.Session()
    adapter = _tracking_adapter_class()(
        pool_connections=4,
        pool_maxsize=max(1, settings.concurrency),
        max_retries=make_retry(settings),
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = _MAX_REDIRECTS
    session.headers.update({"User-Agent": settings.user_agent, "Accept": _ACCEPT})
    return session


def fetch_all(
    reqs: Sequence[FetchRequest],
    settings: FetchSettings | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """GET every request concurrently; results come back in the order of ``reqs``.

    ``on_result`` is called once per finished page, in the calling thread (in
    completion order), e.g. with ``progress_printer(len(reqs))``.  A page over
    ``page_timeout`` and every page left at ``run_timeout`` come back failed.  An
    exception in the calling thread (KeyboardInterrupt) cancels every page at once.
    """
    settings = settings or FetchSettings()
    if not reqs:
        return []
    results: list[FetchResult | None] = [None] * len(reqs)
    session = _session(settings)
    crawl = _Crawl(session, reqs, settings)
    try:
        for index, result in crawl.results():
            results[index] = result
            if on_result is not None:
                on_result(result)
    finally:
        crawl.stop("interrupted")  # no-op when every page is done
        session.close()  # also closes idle keep-alive connections the server is holding
    return [r for r in results if r is not None]


_local = threading.local()  # .call: the _Call a worker thread is fetching


class _Aborted(Exception):
    """The page's call was cancelled or ran out of time (raised out of urllib3 too)."""


def _track(conn: Any) -> None:
    call: _Call | None = getattr(_local, "call", None)
    if call is not None:
        call.register(conn)


class _Call:
    """One page being fetched by a worker: its deadline and the connections it uses."""

    def __init__(self, req: FetchRequest, page_timeout: float) -> None:
        self.req = req
        self.started = time.monotonic()
        self.deadline = self.started + page_timeout
        self.timeout_reason = f"no complete answer within {page_timeout:g} s"
        self.reason: str | None = None  # set once cancelled
        self.finished = False  # the worker has its result
        self.abandoned = False  # the calling thread gave up waiting for it
        self.lock = threading.Lock()
        self._wake = threading.Event()
        self._conns: list[Any] = []

    def register(self, conn: Any) -> None:
        with self.lock:
            if self.reason is not None:
                raise _Aborted(self.reason)
            if not any(c is conn for c in self._conns):
                self._conns.append(conn)

    def cancel(self, reason: str) -> None:
        """Fail the call: wake its waits and shut its sockets so blocked reads return."""
        with self.lock:
            if self.reason is None:
                self.reason = reason
            conns = list(self._conns)
        self._wake.set()
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is None:
                continue
            try:  # the plain socket's shutdown, also under TLS: wakes a recv() elsewhere
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except (OSError, TypeError, ValueError):
                pass

    def check(self) -> None:
        """Raise _Aborted if cancelled or past the deadline."""
        if self.reason is None and time.monotonic() >= self.deadline:
            self.cancel(self.timeout_reason)
        if self.reason is not None:
            raise _Aborted(self.reason)

    def pause(self, seconds: float, *, asked_by_server: bool = False) -> None:
        """Sleep between tries; a wait past the deadline fails the page now."""
        self.check()
        if time.monotonic() + seconds >= self.deadline:
            why = f" (the server asked to retry after {seconds:g} s)" if asked_by_server else ""
            self.cancel(self.timeout_reason + why)
            self.check()
        if seconds > 0 and self._wake.wait(seconds):
            self.check()

    def abandon(self, reason: str) -> bool:
        """Cancel; True when the worker has no result yet (the caller reports the failure)."""
        self.cancel(reason)
        with self.lock:
            if self.finished:
                return False
            self.abandoned = True
            return True


class _Crawl:
    """Daemon worker threads fed from a queue; the calling thread keeps the deadlines."""

    _TICK = 0.25  # longest wait of the calling thread, so signals are handled promptly

    def __init__(
        self, session: requests.Session, reqs: Sequence[FetchRequest], settings: FetchSettings
    ) -> None:
        self.session = session
        self.reqs = reqs
        self.settings = settings
        self.todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(reqs)):
            self.todo.put(index)
        self.done: queue.SimpleQueue[tuple[int, FetchResult]] = queue.SimpleQueue()
        self.live: dict[int, _Call] = {}
        self.lock = threading.Lock()
        self.stopping = False
        self.started = time.monotonic()
        self._workers = 0

    def _spawn(self) -> None:
        self._workers += 1
        threading.Thread(
            target=self._work, name=f"errwatch-fetch-{self._workers}", daemon=True
        ).start()

    def _work(self) -> None:
        while True:
            with self.lock:
                if self.stopping:
                    return
                try:
                    index = self.todo.get_nowait()
                except queue.Empty:
                    return
                call = _Call(self.reqs[index], self.settings.page_timeout)
                self.live[index] = call
            _local.call = call
            try:
                result = _fetch_one(self.session, call, self.settings)
            except Exception as exc:  # a worker must always answer
                log.debug("%s/%s: fetch raised", call.req.page, call.req.locale, exc_info=True)
                result = _done(call.req, call.started, error=f"internal error: {_short(exc)}")
            finally:
                _local.call = None
            with call.lock:
                call.finished = True
                if call.abandoned:
                    return  # its failure is reported; a replacement worker took its place
            self.done.put((index, result))

    def results(self) -> Iterator[tuple[int, FetchResult]]:
        """(index, result) in completion order, deadlines included."""
        for _ in range(min(max(1, self.settings.concurrency), len(self.reqs))):
            self._spawn()
        pending = set(range(len(self.reqs)))
        run_deadline = self.started + self.settings.run_timeout
        while pending:
            now = time.monotonic()
            if now >= run_deadline:
                yield from self._run_over(pending)
                return
            with self.lock:
                running = [(i, c) for i, c in self.live.items() if i in pending]
            for index, call in running:
                if now >= call.deadline and call.abandon(call.timeout_reason):
                    pending.discard(index)
                    self._forget(index)
                    if not self.todo.empty():
                        self._spawn()
                    yield index, _done(call.req, call.started, error=call.reason)
            due = min([run_deadline] + [c.deadline for i, c in running if i in pending])
            try:
                index, result = self.done.get(timeout=min(max(due - now, 0.01), self._TICK))
            except queue.Empty:
                continue
            if index in pending:
                pending.discard(index)
                self._forget(index)
                yield index, result

    def _forget(self, index: int) -> None:
        with self.lock:
            self.live.pop(index, None)

    def _run_over(self, pending: set[int]) -> Iterator[tuple[int, FetchResult]]:
        """The run's deadline: fail what is running and what never started."""
        limit = f"{self.settings.run_timeout:g} s"
        with self.lock:
            self.stopping = True
            running = dict(self.live)
        late: list[int] = []
        for index in sorted(pending):
            call = running.get(index)
            if call is None:
                req = self.reqs[index]
                yield (
                    index,
                    _done(
                        req,
                        time.monotonic(),
                        error=f"not fetched: the run's deadline of {limit} passed",
                    ),
                )
            elif call.abandon(f"no complete answer within the run's deadline of {limit}"):
                yield index, _done(call.req, call.started, error=call.reason)
            else:
                late.append(index)  # finished just now: its result is on the queue
        give_up = time.monotonic() + 1.0
        while late and time.monotonic() < give_up:
            try:
                index, result = self.done.get(timeout=self._TICK)
            except queue.Empty:
                continue
            if index in late:
                late.remove(index)
                yield index, result
        for index in late:  # every request gets a result, whatever a worker does
            call = running[index]
            yield index, _done(call.req, call.started, error=call.reason or "no complete answer")

    def stop(self, reason: str) -> None:
        """Cancel every running page and start no other (Ctrl-C, an error in on_result)."""
        with self.lock:
            self.stopping = True
            calls = list(self.live.values())
        for call in calls:
            call.cancel(reason)


def _fetch_one(session: requests.Session, call: _Call, settings: FetchSettings) -> FetchResult:
    """One page: header phase retried by urllib3, body phase retried here."""
    try:
        return _fetch_tries(session, call, settings)
    except _Aborted as exc:
        return _done(call.req, call.started, error=str(exc))


def _fetch_tries(session: requests.Session, call: _Call, settings: FetchSettings) -> FetchResult:
    import requests
    import urllib3.exceptions

    req, start = call.req, call.started
    transport_errors = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
    headers = {"Accept-Language": accept_language(req.locale)}
    if req.etag:
        headers["If-None-Match"] = req.etag
    if req.last_modified:
        headers["If-Modified-Since"] = req.last_modified
    log.debug(
        "GET %s (%s/%s)%s",
        req.url,
        req.page,
        req.locale,
        " conditional" if req.etag or req.last_modified else "",
    )
    attempt = 0
    while True:
        call.check()
        try:
            resp = session.get(
                req.url,
                headers=headers,
                timeout=(settings.connect_timeout, settings.read_timeout),
                stream=True,
                allow_redirects=True,
            )
        except transport_errors as exc:
            return _done(req, start, error=call.reason or describe_error(exc, settings))
        try:
            result = _read(resp, req, start, settings, call)
        except transport_errors as exc:
            if call.reason is not None:
                raise _Aborted(call.reason) from None
            reason = describe_error(exc, settings)
            if attempt < settings.retries:
                attempt += 1
                pause = settings.backoff * (2 ** (attempt - 1))
                log.debug(
                    "%s/%s: %s; body retry %d in %.1fs",
                    req.page,
                    req.locale,
                    reason,
                    attempt,
                    pause,
                )
                call.pause(pause)
                continue
            if attempt:
                reason = f"{reason} (retried {attempt} times)"
            return _done(
                req,
                start,
                final_url=resp.url,
                http_status=resp.status_code,
                error=reason,
                content_type=resp.headers.get("Content-Type"),
            )
        finally:
            resp.close()
        return result


def _read(
    resp: requests.Response, req: FetchRequest, start: float, settings: FetchSettings, call: _Call
) -> FetchResult:
    """Turn a response into a FetchResult; body-phase transport errors propagate (to be retried)."""
    status = resp.status_code
    content_type = resp.headers.get("Content-Type")
    etag = resp.headers.get("ETag")
    last_modified = resp.headers.get("Last-Modified")
    if status == 304 and (req.etag or req.last_modified):
        return _done(
            req,
            start,
            final_url=resp.url,
            http_status=304,
            not_modified=True,
            etag=etag or req.etag,
            last_modified=last_modified or req.last_modified,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(_CHUNK):
        call.check()
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return _done(
                req,
                start,
                final_url=resp.url,
                http_status=status,
                error=f"body larger than {MAX_BODY_BYTES // (1024 * 1024)} MB",
            )
    call.check()  # a body cut short by a cancel must not pass for a whole one
    body = b"".join(chunks)
    error = _length_mismatch(resp, len(body))
    if error is None and status in RETRY_STATUSES:
        retries = getattr(resp.raw, "retries", None)
        used = len(retries.history) if retries is not None else 0
        if used:
            error = f"HTTP {status} after {used} retries"
    return _done(
        req,
        start,
        final_url=resp.url,
        http_status=status,
        body=body,
        etag=etag,
        last_modified=last_modified,
        error=error,
        content_type=content_type,
    )


def _length_mismatch(resp: requests.Response, received: int) -> str | None:
    """Belt and braces: urllib3 2 raises IncompleteRead itself, but only if enforcing."""
    declared = resp.headers.get("Content-Length")
    encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
    if declared is None or encoding not in ("", "identity"):
        return None  # a compressed body's length is the encoded length
    try:
        expected = int(declared)
    except ValueError:
        return None
    if received < expected:
        return f"truncated body: got {received} of {expected} bytes"
    return None


def _done(req: FetchRequest, start: float, **kw: Any) -> FetchResult:
    result = FetchResult(
        page=req.page, locale=req.locale, url=req.url, elapsed=time.monotonic() - start, **kw
    )
    if result.error:
        log.info("%s/%s: failed: %s (%.1fs)", req.page, req.locale, result.error, result.elapsed)
    elif result.not_modified:
        log.info("%s/%s: not modified (%.1fs)", req.page, req.locale, result.elapsed)
    else:
        log.info(
            "%s/%s: HTTP %s, %d bytes (%.1fs)",
            req.page,
            req.locale,
            result.http_status,
            len(result.body or b""),
            result.elapsed,
        )
    return result


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (requests and urllib3 nest 2-4 deep)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo.append(
            getattr(e, "reason", None)
            if isinstance(getattr(e, "reason", None), BaseException)
            else None
        )
        todo.extend(a for a in e.args if isinstance(a, BaseException))
        todo.extend((e.__cause__, e.__context__))
    return seen


def describe_error(exc: BaseException, settings: FetchSettings) -> str:
    """A short, human reason for a transport failure ("timeout after 30s")."""
    import http.client

    import requests
    import urllib3.exceptions as u3

    chain = _exception_chain(exc)

    def find(*types: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, types)), None)

    gave_up = find(u3.MaxRetryError) is not None and settings.retries > 0
    suffix = f" (retried {settings.retries} times)" if gave_up else ""

    incomplete = find(u3.IncompleteRead, http.client.IncompleteRead)
    if incomplete is not None:
        partial = getattr(incomplete, "partial", 0)
        got = len(partial) if isinstance(partial, bytes) else int(partial or 0)
        more = getattr(incomplete, "expected", None)
        if isinstance(more, int):
            return f"truncated body: got {got} of {got + more} bytes"
        return f"truncated body: got {got} bytes"
    if find(requests.TooManyRedirects):
        return f"too many redirects (more than {_MAX_REDIRECTS})"
    if find(u3.NameResolutionError):
        host = getattr(find(u3.NameResolutionError), "conn", None)
        return f"DNS lookup failed for {getattr(host, 'host', 'the host')}"
    if find(ConnectionRefusedError) or any("connection refused" in str(e).lower() for e in chain):
        return "connection refused" + suffix
    connect_timeout = find(u3.ConnectTimeoutError, requests.ConnectTimeout)
    if connect_timeout is not None and not isinstance(connect_timeout, u3.NewConnectionError):
        return f"connect timeout after {settings.connect_timeout:g}s{suffix}"
    if find(u3.ReadTimeoutError, requests.ReadTimeout, TimeoutError):
        return f"timeout after {settings.read_timeout:g}s{suffix}"
    if find(u3.SSLError, requests.exceptions.SSLError):
        return f"TLS error: {_short(find(u3.SSLError, requests.exceptions.SSLError))}"
    if find(ConnectionResetError):
        return "connection reset by the server" + suffix
    if find(http.client.RemoteDisconnected):
        return "server closed the connection without a response" + suffix
    if find(requests.exceptions.ContentDecodingError, u3.DecodeError):
        return "could not decode the body (bad compression)"
    if find(requests.exceptions.ChunkedEncodingError, u3.ProtocolError):
        return "connection broken while reading the body" + suffix
    if find(
        requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, u3.LocationParseError
    ):
        return f"invalid URL: {_short(exc)}"
    if find(u3.NewConnectionError):
        return f"cannot connect: {_short(find(u3.NewConnectionError))}{suffix}"
    return f"request failed: {_short(exc)}"


def _short(exc: BaseException | None, limit: int = 120) -> str:
    text = " ".join(str(exc).split()) if exc is not None else ""
    text = text or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status_word(result: FetchResult) -> str:
    if result.error:
        return f"failed: {result.error}"
    if result.not_modified:
        return "not modified"
    if result.http_status != 200:
        return f"HTTP {result.http_status}"
    return "ok"


def progress_printer(total: int, stream: TextIO | None = None) -> Callable[[FetchResult], None]:
    """An ``on_result`` callback drawing one updating line on a terminal, nothing otherwise.

    Cron mail and CI logs must not fill with carriage returns, hence the TTY check.
    ``stream`` defaults to sys.stderr at call time.
    """
    out = sys.stderr if stream is None else stream
    isatty = getattr(out, "isatty", None)
    if not (callable(isatty) and isatty()):
        return _ignore
    width = len(str(total))
    done = 0
    lock = threading.Lock()

    def show(result: FetchResult) -> None:
        nonlocal done
        with lock:
            done += 1
            from scraper.textsafe import terminal

            line = terminal(  # the status word may quote a server's error text
                f"[{done:>{width}}/{total}] {result.page} {result.locale} "
                f"{_status_word(result)} {result.elapsed:.1f}s"
            )
            columns = shutil.get_terminal_size((100, 20)).columns - 1
            out.write("\r\x1b[K" + line[: max(20, columns)])
            if done >= total:
                out.write("\n")
            out.flush()

    return show


def _ignore(result: FetchResult) -> None:
    """The non-TTY progress callback."""
