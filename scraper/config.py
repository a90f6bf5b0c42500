"""errwatch.toml: one strict, documented configuration file.

Unknown keys are rejected with the key's name, so a typo never silently falls back to a
default.  Every key is documented in docs/config.md and in ``KEYS`` below.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scraper.errors import ConfigError
from scraper.models import LOCALES, PageRef
from scraper.registry import DEFAULT_BASE_URL, build_registry

DEFAULT_USER_AGENT = (
    "errwatch/{version} (+https://github.com/errwatch/errwatch; "
    "monitors Binance API error-code docs)"
)


@dataclass(frozen=True)
class Config:
    base_url: str = DEFAULT_BASE_URL
    snapshots: str = "snapshots"
    reports: str = "reports"
    locales: tuple[str, ...] = LOCALES
    fail_on: str = "never"
    concurrency: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 120.0
    page_timeout: float = 120.0
    run_timeout: float = 1800.0
    user_agent: str = DEFAULT_USER_AGENT
    loss_threshold: float = 0.5
    pages: tuple[PageRef, ...] = field(default_factory=build_registry)
    generic_names: tuple[str, ...] = ()
    # [schedule]
    cron: str = "17 6 * * *"
    jitter: int = 300
    timezone: str = "UTC"
    run_on_start: bool = False
    # [notify]
    notify_urls: tuple[str, ...] = ()
    failure_urls: tuple[str, ...] = ()
    report_url: str | None = None


# key -> (type or tuple of types, description); section "" is the top level.
KEYS: dict[str, dict[str, tuple[Any, str]]] = {
    "": {
        "base_url": (str, "replaces https://developers.binance.com in every page URL"),
        "snapshots": (str, "snapshot folder (default ./snapshots)"),
        "reports": (str, "report folder (default ./reports)"),
        "locales": (list, "locales to crawl: en, zh-CN"),
        "fail_on": (str, "never | any | breaking: drift level that makes `run` exit 1"),
        "concurrency": (int, "at most this many requests at once (default 4)"),
        "connect_timeout": ((int, float), "seconds to connect (default 10)"),
        "read_timeout": ((int, float), "seconds to wait for data (default 30)"),
        "retries": (int, "retries on connection errors, 5xx and 429 (default 3)"),
        "backoff": ((int, float), "exponential backoff factor in seconds (default 0.5)"),
        "max_retry_after": ((int, float), "cap on a server's Retry-After, seconds (default 120)"),
        "page_timeout": (
            (int, float),
            "seconds one page may take, whole body and retries included; then it fails (default 120)",
        ),
        "run_timeout": (
            (int, float),
            "seconds all pages of a run may take; pages left then fail (default 1800)",
        ),
        "user_agent": (str, "User-Agent header; {version} is replaced"),
        "loss_threshold": (
            (int, float),
            "quarantine a page that loses more than this share of its codes (default 0.5)",
        ),
        "drop_pages": (list, "page ids of the default registry to skip"),
        "generic_names": (
            list,
            "names that collide across products by design (shown apart in cross_page)",
        ),
    },
    "pages": {},  # free-form: page id -> docs path
    "schedule": {
        "cron": (
            str,
            "crontab expression for `errwatch schedule` (default '17 6 * * *'): minute hour day month weekday, weekday 0 or 7 = Sunday; a 6th leading field gives seconds",
        ),
        "jitter": (int, "random delay of up to this many seconds per run (default 300)"),
        "timezone": (str, "IANA time zone of the cron expression (default UTC)"),
        "run_on_start": (
            bool,
            "also run once as soon as `errwatch schedule` starts (default false; `schedule --run-on-start` sets it)",
        ),
    },
    "notify": {
        "urls": (list, "Apprise URLs that receive drift (and failures if failure_urls is empty)"),
        "failure_urls": (list, "Apprise URLs that receive fetch failures and recoveries"),
        "report_url": (str, "public URL of the reports/ folder, linked from notifications"),
    },
}


_EXPECTED = {
    str: "a string",
    int: "an integer",
    (int, float): "a number",
    list: "a list of strings",
    bool: "true or false",
}


def _toml_type(value: object) -> str:
    """What a TOML value is, in words ("a string", "a table", ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _check(section: str, data: dict[str, Any]) -> None:
    allowed = KEYS[section]
    for key, value in data.items():
        where = f"{section}.{key}" if section else key
        if key not in allowed:
            raise ConfigError(f"unknown key {where!r} in config; allowed: {', '.join(allowed)}")
        typ, _ = allowed[key]
        wrong = not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool)
        if wrong:
            raise ConfigError(
                f"config key {where!r} must be {_EXPECTED[typ]}, not {_toml_type(value)}"
            )
        if typ is list and not all(isinstance(v, str) for v in value):
            bad = next(v for v in value if not isinstance(v, str))
            raise ConfigError(
                f"config key {where!r} must be a list of strings, not a list with {_toml_type(bad)}"
            )


def check_base_url(url: str, where: str = "base_url") -> str:
    """``url`` if it is an absolute http(s) URL with a host, else a ``ConfigError``.

    Caught when the config (or ``--base-url``) is read, so a typo is one error line and
    exit 2 instead of every page failing. ``where`` names the setting in the message.
    """
    from urllib.parse import urlsplit

    hint = "an http:// or https:// URL such as https://developers.binance.com"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{where} {url!r} is not a valid URL ({exc}); use {hint}") from None
    if parts.scheme.lower() not in ("http", "https"):
        got = f"the scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ConfigError(f"{where} {url!r} has {got}; use {hint}")
    if not parts.hostname or any(c.isspace() for c in url):
        raise ConfigError(f"{where} {url!r} has no valid host; use {hint}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{where} {url!r} must not have a query or fragment; use {hint}")
    return url


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextmanager
def _apprise_silenced() -> Iterator[None]:
    """Apprise logs a rejected URL in full (tokens and passwords included): mute it."""
    logger = logging.getLogger("apprise")
    drop = _DropAll()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def check_notify_urls(urls: tuple[str, ...], where: str) -> None:
    """Each URL must be one Apprise can load; the message shows the scheme only."""
    if not urls:
        return
    import apprise  # lazily: only configs with notifications pay for the import

    from scraper.textsafe import redact_url

    with _apprise_silenced():
        for i, url in enumerate(urls):
            if not apprise.Apprise().add(url):
                raise ConfigError(
                    f"config key {where!r}: entry {i + 1} ({redact_url(url)}) is not a valid "
                    "Apprise URL (see https://github.com/caronc/apprise/wiki)"
                )


def _check_schedule(schedule: dict[str, Any]) -> None:
    """Cheap checks here so `errwatch run` need not import APScheduler; the cron fields
    themselves are validated by scraper.schedule.build_trigger when the daemon starts."""
    cron = schedule.get("cron")
    if cron is not None and len(cron.split()) not in (5, 6):
        raise ConfigError(
            f"schedule.cron {cron!r} must have 5 fields (minute hour day month weekday) "
            "or 6 with seconds first"
        )
    if schedule.get("jitter", 0) < 0:
        raise ConfigError("schedule.jitter must be 0 or more seconds")
    tz = schedule.get("timezone")
    if tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"schedule.timezone {tz!r} is not a known IANA time zone") from None


def load_config(path: str | Path | None) -> Config:
    """Read and validate ``path``; ``None`` gives the defaults."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {p}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {p}: {exc}") from None
    return config_from_dict(data)


def config_from_dict(data: dict[str, Any]) -> Config:
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for key, value in data.items():
        if isinstance(value, dict) and key not in KEYS:
            raise ConfigError(
                f"unknown section [{key}] in config; allowed: pages, schedule, notify"
            )
    _check("", top)
    schedule = data.get("schedule", {})
    notify = data.get("notify", {})
    _check("schedule", schedule)
    _check("notify", notify)
    pages = data.get("pages", {})
    for page_id, path in pages.items():
        if not isinstance(path, str):
            raise ConfigError(f"[pages] {page_id!r} must be a docs path string")
    cfg = Config(pages=build_registry(pages, top.get("drop_pages", ())))
    values: dict[str, Any] = {k: v for k, v in top.items() if k != "drop_pages"}
    for key in ("locales", "generic_names"):
        if key in values:
            values[key] = tuple(values[key])
    for loc in values.get("locales", ()):
        if loc not in LOCALES:
            raise ConfigError(f"unknown locale {loc!r} in config; use: {', '.join(LOCALES)}")
    if values.get("fail_on", "never") not in ("never", "any", "breaking"):
        raise ConfigError("fail_on must be one of: never, any, breaking")
    if not 0 < float(values.get("loss_threshold", 0.5)) <= 1:
        raise ConfigError("loss_threshold must be in (0, 1]")
    if int(values.get("concurrency", 4)) < 1:
        raise ConfigError("concurrency must be at least 1")
    for key in ("page_timeout", "run_timeout"):
        if key in values and not float(values[key]) > 0:
            raise ConfigError(f"{key} must be more than 0 seconds")
    if "base_url" in values:
        check_base_url(values["base_url"])
    _check_schedule(schedule)
    values.update({k: v for k, v in schedule.items()})
    if "urls" in notify:
        values["notify_urls"] = tuple(notify["urls"])
        check_notify_urls(values["notify_urls"], "notify.urls")
    if "failure_urls" in notify:
        values["failure_urls"] = tuple(notify["failure_urls"])
        check_notify_urls(values["failure_urls"], "notify.failure_urls")
    if "report_url" in notify:
        values["report_url"] = notify["report_url"]
    return replace(cfg, **values)
