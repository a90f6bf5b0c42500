"""The scheduler daemon: repeated runs, no overlap, errors survived, clean signal shutdown.

Six-field crons (seconds first) make the scheduler fire every second, so these tests
wait for conditions (a log line, a count) instead of sleeping; the timeouts below are
guards against a hang, not assertions about speed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT, LocalSite

from scraper.config import Config
from scraper.errors import ConfigError
from scraper.registry import default_pages
from scraper.schedule import build_trigger, crontab_weekdays, serve

pytestmark = pytest.mark.slow  # real scheduler ticks and child processes

GUARD = 60.0  # seconds before a hung test gives up
EVERY_SECOND = "* * * * * *"


def serve_in_thread(cfg: Config, job: Callable[[], int], max_runs: int) -> int:
    """serve() with a guard: a scheduler that never stops fails the test instead of hanging it."""
    stop = threading.Event()
    result: dict[str, int] = {}
    thread = threading.Thread(
        target=lambda: result.update(rc=serve(cfg, job, stop_event=stop, max_runs=max_runs))
    )
    thread.start()
    thread.join(GUARD)
    if thread.is_alive():
        stop.set()
        thread.join(GUARD)
        pytest.fail("serve() did not stop after max_runs")
    return result["rc"]


def heartbeats(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "errwatch.schedule" and r.getMessage().startswith("errwatch heartbeat:")
    ]


def test_short_cron_runs_the_job_repeatedly_with_a_heartbeat(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="errwatch.schedule")
    calls: list[int] = []

    def job() -> int:
        calls.append(1)
        return 0

    assert serve_in_thread(Config(cron=EVERY_SECOND, jitter=0), job, max_runs=2) == 0
    assert len(calls) == 2
    beats = heartbeats(caplog)
    assert len(beats) == 2
    assert beats[0].startswith("errwatch heartbeat: run finished exit=0 in ")
    assert "; next run at 20" in beats[0]
    assert beats[1].endswith("; stopping after 2 runs")


NEW_YEAR = "0 0 0 1 1 *"  # next run: New Year's midnight


class _LineWatcher(logging.Handler):
    """Sets ``seen`` when a record of logger errwatch.schedule starts with ``prefix``."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.INFO)
        self.prefix = prefix
        self.lines: list[str] = []
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.lines.append(message)
        if message.startswith(self.prefix):
            self.seen.set()


@pytest.fixture
def schedule_log() -> Iterator[_LineWatcher]:
    watcher = _LineWatcher("errwatch heartbeat:")
    logger = logging.getLogger("errwatch.schedule")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(watcher)
    try:
        yield watcher
    finally:
        logger.removeHandler(watcher)
        logger.setLevel(old_level)


def test_run_on_start_runs_at_once_then_follows_the_cron(schedule_log: _LineWatcher) -> None:
    calls: list[int] = []

    def job() -> int:
        calls.append(1)
        return 0

    stop = threading.Event()
    cfg = Config(cron=NEW_YEAR, jitter=300, run_on_start=True)
    thread = threading.Thread(target=serve, args=(cfg, job), kwargs={"stop_event": stop})
    thread.start()
    try:
        assert schedule_log.seen.wait(GUARD), schedule_log.lines
    finally:
        stop.set()
        thread.join(GUARD)
    assert not thread.is_alive()
    assert calls == [1]
    started = next(m for m in schedule_log.lines if m.startswith("errwatch schedule: started"))
    assert started.endswith("first run now (run_on_start)")
    beat = next(m for m in schedule_log.lines if m.startswith("errwatch heartbeat:"))
    year = datetime.now(ZoneInfo("UTC")).year + 1
    # after the first run the cron decides: next New Year, plus up to `jitter` seconds
    assert f"; next run at {year}-01-01T00:0" in beat, beat


def test_without_run_on_start_the_first_run_waits_for_the_cron(
    schedule_log: _LineWatcher,
) -> None:
    stop = threading.Event()
    stop.set()  # serve() returns once it has scheduled the first run and logged it
    assert serve(Config(cron=NEW_YEAR, jitter=0), lambda: 1, stop_event=stop) == 0
    year = datetime.now(ZoneInfo("UTC")).year + 1
    started = next(m for m in schedule_log.lines if m.startswith("errwatch schedule: started"))
    assert started.endswith(f"first run at {year}-01-01T00:00:00+00:00")
    assert "errwatch schedule: stopped after 0 run(s)" in schedule_log.lines


def test_cli_schedule_run_on_start_writes_reports_at_once(
    tmp_path: Path, site: LocalSite, spot_html: str
) -> None:
    """What docker-compose runs: reports/index.html exists long before the first cron time."""
    site.page("/docs/binance-spot-api-docs/errors", spot_html)
    others = [p for p in default_pages() if p != "spot"]
    config = tmp_path / "errwatch.toml"
    config.write_text(
        f'base_url = "{site.base_url}"\nlocales = ["en"]\ndrop_pages = {others!r}\n'
        f'[schedule]\ncron = "{NEW_YEAR}"\n'.replace("'", '"'),
        "utf-8",
    )
    c = Child(
        [sys.executable, "-m", "scraper", "schedule", "--config", str(config), "--run-on-start"],
        cwd=tmp_path,
    )
    try:
        c.wait_for("errwatch schedule: started")
        c.wait_for("errwatch heartbeat: run finished exit=0")
        assert (tmp_path / "reports" / "index.html").is_file()
        assert [p.name for p in (tmp_path / "snapshots").iterdir() if p.name[0].isdigit()]
        c.signal(signal.SIGTERM)
        assert c.exit_code() == 0, c.output()
    finally:
        c.kill()
    assert site.hits("/docs/binance-spot-api-docs/errors") == 1


def test_serve_in_the_main_thread_restores_signal_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    assert serve(Config(cron=EVERY_SECOND, jitter=0), lambda: 0, max_runs=1) == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_exception_in_the_job_is_logged_and_the_daemon_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="errwatch.schedule")
    calls: list[int] = []

    def job() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return 3

    assert serve_in_thread(Config(cron=EVERY_SECOND, jitter=0), job, max_runs=2) == 0
    assert len(calls) == 2
    raised = [
        r for r in caplog.records if r.getMessage() == "errwatch schedule: run raised RuntimeError"
    ]
    assert raised and raised[0].exc_info is not None
    beats = heartbeats(caplog)
    assert beats[0].startswith("errwatch heartbeat: run failed (RuntimeError: boom) in ")
    assert beats[1].startswith("errwatch heartbeat: run finished exit=3 in ")


class _SkipWatcher(logging.Handler):
    """Counts APScheduler's "skipped: maximum number of running instances" warnings."""

    def __init__(self, wanted: int) -> None:
        super().__init__(logging.WARNING)
        self.wanted = wanted
        self.count = 0
        self.reached = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "maximum number of running instances reached" in record.getMessage():
            self.count += 1
            if self.count >= self.wanted:
                self.reached.set()


@pytest.fixture
def skip_watcher() -> Iterator[_SkipWatcher]:
    watcher = _SkipWatcher(wanted=2)
    logger = logging.getLogger("apscheduler.scheduler")
    logger.addHandler(watcher)
    try:
        yield watcher
    finally:
        logger.removeHandler(watcher)


def test_a_run_longer_than_the_interval_never_overlaps(skip_watcher: _SkipWatcher) -> None:
    lock = threading.Lock()
    state = {"active": 0, "max_active": 0, "calls": 0}

    def job() -> int:
        with lock:
            state["active"] += 1
            state["calls"] += 1
            state["max_active"] = max(state["max_active"], state["active"])
            first = state["calls"] == 1
        try:
            if first:  # outlast two scheduled slots: the scheduler must skip them
                skip_watcher.reached.wait(GUARD)
            return 0
        finally:
            with lock:
                state["active"] -= 1

    assert serve_in_thread(Config(cron=EVERY_SECOND, jitter=0), job, max_runs=2) == 0
    assert skip_watcher.reached.is_set(), "the scheduler never tried to start an overlapping run"
    assert state["calls"] == 2
    assert state["max_active"] == 1


@pytest.mark.parametrize(
    ("cron", "timezone", "message"),
    [
        ("61 * * * *", "UTC", "invalid schedule.cron '61 * * * *'"),
        (
            "* * *",
            "UTC",
            "expected 5 fields (minute hour day month weekday) or 6 with seconds first, got 3",
        ),
        ("* * * * * * *", "UTC", "got 7"),
        ("0 6 * * funday", "UTC", "unknown weekday 'funday'"),
        ("0 6 * * 8", "UTC", "unknown weekday '8'"),
        ("0 6 * * 5-1", "UTC", "runs backwards"),
        ("0 6 * * */0", "UTC", "bad step"),
        ("0 6 30 2 *", "UTC", "never fires"),
        ("17 6 * * *", "Mars/Olympus_Mons", "not a known IANA time zone"),
    ],
    ids=[
        "minute-61",
        "3-fields",
        "7-fields",
        "bad-weekday-name",
        "weekday-8",
        "backwards-range",
        "zero-step",
        "feb-30",
        "bad-timezone",
    ],
)
def test_bad_cron_is_a_config_error(cron: str, timezone: str, message: str) -> None:
    def job() -> int:
        pytest.fail("the job must not run")

    with pytest.raises(ConfigError) as info:
        serve(Config(cron=cron, timezone=timezone), job)
    assert message in str(info.value)


def fire_times(cron: str, count: int, tz: str = "UTC") -> list[datetime]:
    trigger = build_trigger(cron, tz)
    now = datetime(2026, 11, 16, 0, 0, tzinfo=ZoneInfo(tz))  # a Monday
    out: list[datetime] = []
    prev = None
    for _ in range(count):
        nxt = trigger.get_next_fire_time(prev, now)
        assert nxt is not None
        out.append(nxt)
        prev, now = nxt, nxt + timedelta(seconds=1)
    return out


def test_weekdays_follow_crontab_not_apscheduler3() -> None:
    """crontab: 0/7 = Sunday, 1-5 = Monday-Friday (APScheduler 3 alone would shift them)."""
    assert [d.strftime("%a") for d in fire_times("0 6 * * 1-5", 7)] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Mon",
        "Tue",
    ]
    assert {d.strftime("%a") for d in fire_times("0 6 * * 0", 3)} == {"Sun"}
    assert {d.strftime("%a") for d in fire_times("0 6 * * 7", 3)} == {"Sun"}
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat"
    assert crontab_weekdays("mon-fri") == crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("5-7") == "sun,fri,sat"


def test_trigger_uses_timezone_seconds_and_jitter() -> None:
    assert [d.strftime("%H:%M:%S %Z") for d in fire_times("17 6 * * *", 1, "Asia/Shanghai")] == [
        "06:17:00 CST"
    ]
    assert fire_times("*/15 * * * * *", 2)[1] - fire_times("*/15 * * * * *", 2)[0] == timedelta(
        seconds=15
    )
    assert build_trigger("17 6 * * *", jitter=300).jitter == 300
    assert build_trigger("17 6 * * *", jitter=0).jitter is None


# --- signals, in a real child process -------------------------------------------------

CHILD = r"""
import logging, sys, threading
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(name)s: %(message)s")
from scraper.config import Config
from scraper.schedule import serve
mode, cron = sys.argv[1], sys.argv[2]
def job():
    logging.getLogger("child").info("job started")
    if mode == "wait-stdin":
        sys.stdin.readline()
    elif mode == "block":
        threading.Event().wait()
    return 0
raise SystemExit(serve(Config(cron=cron, jitter=0), job))
"""


class Child:
    """A `python -c …serve(…)` process whose output lines can be awaited."""

    def __init__(self, argv: list[str], cwd: Path = ROOT) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: list[str] = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.lines.append("<eof>")
            self.cv.notify_all()

    def wait_for(self, text: str) -> int:
        """Index of the first output line containing ``text``; fails on EOF or hang."""

        def found() -> int | None:
            for i, line in enumerate(self.lines):
                if text in line:
                    return i
            return -1 if "<eof>" in self.lines else None

        with self.cv:
            self.cv.wait_for(lambda: found() is not None, GUARD)
            index = found()
        assert index is not None and index >= 0, f"no line with {text!r} in:\n" + "\n".join(
            self.lines
        )
        return index

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def exit_code(self) -> int:
        rc = self.proc.wait(GUARD)
        self.reader.join(GUARD)
        return rc

    def output(self) -> str:
        with self.cv:
            return "\n".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(GUARD)
        self.reader.join(GUARD)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def child() -> Iterator[Callable[[str, str], Child]]:
    started: list[Child] = []

    def start(mode: str, cron: str) -> Child:
        c = Child([sys.executable, "-c", CHILD, mode, cron])
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_while_idle_exits_0_and_logs_shutdown(
    child: Callable[[str, str], Child], sig: signal.Signals
) -> None:
    c = child("quick", "0 0 0 1 1 *")  # next run: New Year's midnight
    c.wait_for("errwatch schedule: started")
    c.signal(sig)
    assert c.exit_code() == 0, c.output()
    c.wait_for(f"received {sig.name}, shutting down")
    c.wait_for("errwatch schedule: stopped after 0 run(s)")
    assert "Traceback" not in c.output()


def test_sigterm_during_a_run_lets_it_finish(child: Callable[[str, str], Child]) -> None:
    c = child("wait-stdin", EVERY_SECOND)
    c.wait_for("job started")
    c.signal(signal.SIGTERM)
    shutdown = c.wait_for("received SIGTERM, shutting down after the current run")
    assert c.proc.stdin is not None
    c.proc.stdin.write("go\n")
    c.proc.stdin.flush()
    assert c.exit_code() == 0, c.output()
    assert c.wait_for("errwatch heartbeat: run finished exit=0") > shutdown
    c.wait_for("errwatch schedule: stopped after 1 run(s)")
    assert c.output().count("job started") == 1


def test_second_sigterm_abandons_the_run(child: Callable[[str, str], Child]) -> None:
    c = child("block", EVERY_SECOND)
    c.wait_for("job started")
    c.signal(signal.SIGTERM)
    c.wait_for("shutting down after the current run")
    c.signal(signal.SIGTERM)
    assert c.exit_code() == 0, c.output()
    c.wait_for("received SIGTERM again, abandoning the current run")
    c.wait_for("errwatch heartbeat: run abandoned")
    assert "Traceback" not in c.output()
