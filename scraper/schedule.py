"""``errwatch schedule``: a long-running daemon that calls the same ``run`` job on a cron.

The scheduler is just another caller of the pipeline's ``run``; this module adds what a
daemon needs around it and nothing else:

* one heartbeat line per run on logger ``errwatch.schedule`` (``errwatch heartbeat: run
  finished exit=0 in 1.2s; next run at …``), so ``docker compose logs`` shows it is alive;
* at most one run at a time (``max_instances=1``, ``coalesce=True``): a run that takes
  longer than the interval makes the scheduler skip the missed slots, never overlap;
* a job that raises is logged and the daemon keeps going;
* with ``run_on_start`` (``[schedule] run_on_start = true`` or ``--run-on-start``, as the
  Docker image does) the first run starts at once instead of at the first cron time, so
  a fresh container has reports to serve right away; later runs follow the cron;
* SIGTERM/SIGINT stop scheduling and let the current run finish, then exit 0; a second
  signal abandons the current run (safe: snapshots are written under a temporary folder
  and renamed, and a lock of a dead process is recovered by the next run).

``cron`` is a standard 5-field crontab expression (minute hour day month weekday, with
weekday 0 or 7 = Sunday as in crontab) or, mainly for tests, 6 fields with seconds
first. APScheduler 3 counts weekdays from Monday = 0, so numeric weekdays are translated
to names before they reach it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from scraper.config import Config
from scraper.errors import ConfigError, ErrwatchError

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger("errwatch.schedule")

JOB_ID = "errwatch-run"
# A run whose slot was missed by up to an hour (suspended host, clock jump) still runs;
# later than that the next regular slot is the better time.
MISFIRE_GRACE_TIME = 3600

_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday(token: str) -> int:
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token in _DOW_NAMES:
        return _DOW_NAMES.index(token)
    raise ValueError(f"unknown weekday {token!r} (use 0-7 or sun-sat)")


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler 3 names ("1-5" -> "mon,tue,wed,thu,fri").

    Needed because APScheduler 3 reads numeric weekdays with Monday = 0 (its issue 286):
    passed through, "1-5" would silently mean Tuesday to Saturday.
    """
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, slash, step_text = part.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"bad step in weekday field {part!r}")
        step = int(step_text) if slash else 1
        if span == "*":
            lo, hi = 0, 6
        elif "-" in span:
            first, _, last = span.partition("-")
            lo, hi = _weekday(first), _weekday(last)
        else:
            lo = _weekday(span)
            hi = 6 if slash else lo
        if lo > hi:
            raise ValueError(f"weekday range {span!r} runs backwards")
        days.update(day % 7 for day in range(lo, hi + 1, step))
    return ",".join(_DOW_NAMES[day] for day in sorted(days))


def build_trigger(cron: str, timezone: str = "UTC", jitter: int = 0) -> CronTrigger:
    """Parse ``cron`` into an APScheduler trigger; any problem is a ``ConfigError``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ConfigError(
            f"invalid schedule.cron {cron!r}: expected 5 fields (minute hour day month "
            f"weekday) or 6 with seconds first, got {len(fields)}"
        )
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone {timezone!r} is not a known IANA time zone") from None
    second, minute, hour, day, month, weekday = fields
    try:
        trigger = CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=crontab_weekdays(weekday),
            timezone=tz,
            jitter=jitter or None,
        )
    except ValueError as exc:
        raise ConfigError(f"invalid schedule.cron {cron!r}: {exc}") from None
    if trigger.get_next_fire_time(None, datetime.now(tz)) is None:
        raise ConfigError(f"schedule.cron {cron!r} never fires")
    return trigger


class _Runner:
    """Runs the job, counts runs and concurrency, and coordinates shutdown.

    The job itself runs in a daemon thread that the scheduler's worker waits on, so a
    second signal can abandon it without the interpreter waiting for it at exit.
    """

    def __init__(self, job: Callable[[], int], stop: threading.Event, max_runs: int | None):
        self.job = job
        self.stop = stop
        self.max_runs = max_runs
        self.cv = threading.Condition()
        self.active = 0
        self.max_active = 0
        self.runs = 0
        self.closing = False
        self.abandoned = False
        self.signals = 0
        self.next_run: Callable[[], datetime | None] = lambda: None

    # -- called by the scheduler's worker thread
    def run(self) -> None:
        with self.cv:
            if self.closing or self.stop.is_set():
                log.info("errwatch schedule: shutting down, run not started")
                return
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        started = time.monotonic()
        outcome: dict[str, Any] = {}
        thread = threading.Thread(
            target=self._call, args=(outcome,), name="errwatch-run", daemon=True
        )
        try:
            thread.start()
            with self.cv:
                self.cv.wait_for(lambda: "done" in outcome or self.abandoned)
        finally:
            self._finish(outcome, time.monotonic() - started)

    def _call(self, outcome: dict[str, Any]) -> None:
        try:
            outcome["exit"] = self.job()
        except BaseException as exc:  # noqa: BLE001 - reported by _finish, daemon goes on
            outcome["error"] = exc
        with self.cv:
            outcome["done"] = True
            self.cv.notify_all()

    def _finish(self, outcome: dict[str, Any], elapsed: float) -> None:
        with self.cv:
            self.runs += 1
            last = self.max_runs is not None and self.runs >= self.max_runs
            stopping = last or self.closing or self.stop.is_set()
        if stopping:
            after = "stopping" + (f" after {self.runs} runs" if last else "")
        else:
            nxt = self.next_run()
            after = f"next run at {nxt.isoformat(timespec='seconds')}" if nxt else "no next run"
        error = outcome.get("error")
        if "done" not in outcome:
            log.warning("errwatch heartbeat: run abandoned after %.1fs; %s", elapsed, after)
        elif error is not None:
            if isinstance(error, ErrwatchError):
                log.error("errwatch schedule: run failed: %s", error)
            else:
                log.error("errwatch schedule: run raised %s", type(error).__name__, exc_info=error)
            log.info(
                "errwatch heartbeat: run failed (%s: %s) in %.1fs; %s",
                type(error).__name__,
                error,
                elapsed,
                after,
            )
        else:
            log.info(
                "errwatch heartbeat: run finished exit=%s in %.1fs; %s",
                outcome.get("exit"),
                elapsed,
                after,
            )
        if last:
            self.stop.set()
        with self.cv:
            self.active -= 1
            self.cv.notify_all()

    # -- called by the thread that serve() runs in
    def close_and_wait(self) -> None:
        """No new runs; wait for the current one unless it is abandoned."""
        with self.cv:
            self.closing = True
            if self.active and not self.abandoned:
                log.info("errwatch schedule: waiting for the current run to finish")
            self.cv.wait_for(lambda: self.active == 0 or self.abandoned)

    # -- called from a signal handler (via a helper thread, so no lock is taken inside it)
    def on_signal(self, name: str) -> None:
        with self.cv:
            self.signals += 1
            first = self.signals == 1
            busy = self.active > 0
            if not first:
                self.abandoned = True
                self.cv.notify_all()
        if first:
            if busy:
                log.info(
                    "errwatch schedule: received %s, shutting down after the current run "
                    "(send it again to abandon the run)",
                    name,
                )
            else:
                log.info("errwatch schedule: received %s, shutting down", name)
            self.stop.set()
        elif busy:
            log.warning("errwatch schedule: received %s again, abandoning the current run", name)


def _install_signal_handlers(runner: _Runner) -> Callable[[], None]:
    """SIGTERM/SIGINT -> graceful stop; returns a function that restores the old handlers.

    Signal handlers can only be installed from the main thread; elsewhere (tests that run
    serve() in a thread) the caller stops the daemon through ``stop_event``.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        # The handler interrupts the main thread, possibly inside a lock it holds:
        # do the work on a fresh thread instead of taking locks here.
        threading.Thread(target=runner.on_signal, args=(name,), daemon=True).start()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def serve(
    cfg: Config,
    job: Callable[[], int],
    *,
    stop_event: threading.Event | None = None,
    max_runs: int | None = None,
) -> int:
    """Call ``job`` on ``cfg.cron`` until stopped; return the daemon's exit code (0).

    Stops on SIGTERM/SIGINT (main thread only), when ``stop_event`` is set, or after
    ``max_runs`` runs. With ``cfg.run_on_start`` the first run starts immediately (no
    jitter), then the cron takes over. An invalid cron or time zone raises
    ``ConfigError`` before anything starts.
    """
    trigger = build_trigger(cfg.cron, cfg.timezone, cfg.jitter)

    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    stop = stop_event if stop_event is not None else threading.Event()
    runner = _Runner(job, stop, max_runs)
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        timezone=trigger.timezone,
    )
    restore = _install_signal_handlers(runner)
    try:
        scheduler.start()
        # APScheduler's "undefined" default lets the trigger pick the first time.
        first_time: dict[str, datetime] = (
            {"next_run_time": datetime.now(trigger.timezone)} if cfg.run_on_start else {}
        )
        scheduled = scheduler.add_job(
            runner.run,
            trigger,
            id=JOB_ID,
            name="errwatch run",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_TIME,
            **first_time,
        )

        def next_run() -> datetime | None:
            current = scheduler.get_job(JOB_ID)
            return current.next_run_time if current is not None else None

        runner.next_run = next_run
        first = scheduled.next_run_time
        log.info(
            "errwatch schedule: started; cron %r (%s), jitter up to %ss; first run %s",
            cfg.cron,
            cfg.timezone,
            cfg.jitter,
            "now (run_on_start)"
            if cfg.run_on_start
            else f"at {first.isoformat(timespec='seconds')}"
            if first
            else "never",
        )
        stop.wait()
    finally:
        with runner.cv:
            runner.closing = True
        if scheduler.running:
            scheduler.shutdown(wait=False)
        runner.close_and_wait()
        restore()
    log.info("errwatch schedule: stopped after %d run(s)", runner.runs)
    return 0
