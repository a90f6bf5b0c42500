"""The ``errwatch`` command line: parses options and calls the pipeline modules.

Kept thin and cheap to import: every heavy module is imported inside the command that
needs it, so ``errwatch --help`` starts fast.  Library errors (``ErrwatchError``) become
one line on stderr and exit 2; nothing prints a traceback unless ``-v -v`` is given.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Sequence
from typing import Any

from scraper import __version__
from scraper.errors import ErrwatchError, UsageError

FAIL_ON = ("never", "any", "breaking")
FORMATS = ("json", "html", "md", "github")
DEFAULT_FORMATS = ("json", "html", "md")


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one ``errwatch: error:`` line (no usage dump)."""

    def error(self, message: str) -> Any:
        _say(f"errwatch: error: {message} (see: {self.prog} --help)", sys.stderr)
        raise SystemExit(2)


def _formats(values: Sequence[str] | None) -> tuple[str, ...]:
    if not values:
        return DEFAULT_FORMATS
    out: list[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item not in FORMATS:
                raise UsageError(f"unknown format {item!r}; use: {', '.join(FORMATS)}")
            out.append(item)
    return tuple(dict.fromkeys(out))


def _add_snapshot_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="errwatch.toml (see docs/config.md)")
    p.add_argument("--snapshots", metavar="DIR", help="snapshot folder (default ./snapshots)")


def _add_store_options(p: argparse.ArgumentParser) -> None:
    _add_snapshot_options(p)
    p.add_argument("--reports", metavar="DIR", help="report folder (default ./reports)")


def _add_crawl_options(p: argparse.ArgumentParser) -> None:
    _add_store_options(p)
    p.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="ID",
        help="page id from the registry (repeatable; default: all)",
    )
    p.add_argument(
        "--locale",
        action="append",
        default=[],
        metavar="L",
        help="en or zh-CN (repeatable; default: both)",
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="replaces https://developers.binance.com in every page URL",
    )
    p.add_argument(
        "--at",
        metavar="TIMESTAMP",
        help="ISO 8601 time that stamps the snapshot instead of the clock",
    )
    p.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="PAGE[:LOCALE]",
        help="accept a page that would be quarantined for losing codes (repeatable)",
    )
    p.add_argument("--concurrency", type=int, metavar="N", help="parallel requests (default 4)")
    p.add_argument(
        "--backfill",
        action="store_true",
        help="allow --at earlier than the newest snapshot: insert it in time order "
        "(later drift is not reported again)",
    )


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default=None,
        help="exit 1 on drift at or above this level (default never)",
    )
    p.add_argument(
        "--format",
        action="append",
        metavar="FMT",
        help="json, html, md, github (repeatable or comma-separated; "
        "default json,html,md; github also prints annotation lines)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="errwatch",
        description="Monitor the error codes Binance publishes in its API docs.",
        epilog="Exit codes: 0 done, 1 drift at/above --fail-on, 2 usage or config error, "
        "3 pages failed or were quarantined.",
    )
    parser.add_argument("--version", action="version", version=f"errwatch {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    # -v/-q also work after the command ("errwatch run -q"); SUPPRESS keeps the global value.
    common = _Parser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="more logging (-vv: debug)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="only errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[common])

    p = add("parse", "parse one saved HTML page into records")
    p.add_argument("file", metavar="FILE", help="saved HTML page ('-' for stdin)")
    p.add_argument("--page", metavar="ID", help="page id to stamp on the output")
    p.add_argument("--locale", metavar="L", help="en or zh-CN (default: from <html lang>)")
    p.add_argument(
        "--format",
        choices=("json", "md"),
        default="json",
        help="json (default): page, locale and records; md: the article as Markdown",
    )

    p = add("crawl", "fetch, validate, parse and store one snapshot")
    _add_crawl_options(p)

    p = add("run", "crawl, diff against the newest good snapshot, report, notify")
    _add_crawl_options(p)
    _add_report_options(p)
    p.add_argument(
        "--against",
        metavar="FILE",
        help="compare with a pinned catalogue (errwatch export) instead of the "
        "newest good snapshot",
    )

    p = add("diff", "compare two stored snapshots")
    p.add_argument("old", metavar="OLD", help="snapshot id (or 'previous')")
    p.add_argument("new", metavar="NEW", help="snapshot id (or 'latest')")
    _add_store_options(p)
    _add_report_options(p)

    p = add("history", "every change of one code across all snapshots")
    p.add_argument("code", type=int, metavar="CODE", help="error code, e.g. -4087")
    p.add_argument("--page", metavar="ID", help="only this page id (default: every page)")
    p.add_argument("--locale", metavar="L", help="only en or zh-CN (default: both)")
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default): one line per event; json: the list of events",
    )
    _add_snapshot_options(p)

    p = add("verify", "check every stored manifest and object; --repair fixes what it can")
    p.add_argument(
        "--repair",
        action="store_true",
        help="re-link or rewrite bad files from good copies, move unreadable "
        "snapshots to <snapshots>/.broken/ (takes the snapshot lock)",
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default): one line per problem; json: the findings",
    )
    _add_snapshot_options(p)

    p = add("schedule", "run `errwatch run` on a cron expression (APScheduler)")
    p.add_argument(
        "--config",
        metavar="FILE",
        help="errwatch.toml: [schedule] cron, jitter, timezone (see docs/config.md)",
    )
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default=None,
        help="drift level that makes a run's heartbeat say exit=1 (default never)",
    )
    p.add_argument(
        "--run-on-start",
        action="store_true",
        default=None,
        help="run once at start, then on the cron ([schedule] run_on_start)",
    )

    p = add("check", "hold an SDK's own error-code table against the docs")
    p.description = (
        "Read error-code tables (JSON, CSV, TOML, YAML; Python, TypeScript/JavaScript, "
        "C#, Go, Java/Kotlin source read as text, never run) and report where they "
        "disagree with the docs. Exit 0: nothing at/above --fail-on; 1: findings "
        "at/above it; 2: usage (unreadable table, unknown page, no docs state)."
    )
    p.add_argument("tables", nargs="+", metavar="TABLE", help="table files to check")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="SECTION=PAGE[+PAGE…]",
        help="hold entries whose section path has this component against these pages "
        "(repeatable), e.g. --map linear=usds-futures --map inverse=coin-futures",
    )
    p.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="ID",
        help="pages for entries no --map binds (repeatable; default every page); "
        "also reports codes these pages list that the table lacks",
    )
    p.add_argument(
        "--locale",
        default="en",
        metavar="L",
        help="docs locale, en or zh-CN (default en; zh-CN names are translated)",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--snapshots",
        metavar="DIR",
        help="compare with the newest good snapshot of every page in DIR (default ./snapshots)",
    )
    src.add_argument(
        "--against", metavar="FILE", help="compare with a catalogue file (errwatch export)"
    )
    src.add_argument(
        "--crawl", action="store_true", help="compare with a fresh crawl (into a temporary folder)"
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="with --crawl: replaces https://developers.binance.com in every page URL",
    )
    p.add_argument("--config", metavar="FILE", help="errwatch.toml (page registry, base_url)")
    p.add_argument(
        "--allow",
        metavar="FILE",
        help="TOML [[allow]] entries (kind, code, page?, reason, expires?) that "
        "suppress accepted findings",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="text (grouped by file, most severe first), json, sarif (2.1.0) or "
        "github (annotations); default text",
    )
    p.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="exit 1 when a finding at or above this severity is not allowed (default error)",
    )

    p = add("demo", "the whole pipeline offline on bundled pages")
    p.add_argument(
        "--workdir",
        metavar="DIR",
        default=".",
        help="where snapshots/ and reports/ are written (default .)",
    )

    p = add("export", "the catalogue: the newest good state of every page, as a lockfile")
    _add_snapshot_options(p)
    p.add_argument("--snapshot", metavar="ID", help="as of this snapshot (default: the newest)")
    p.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="ID",
        help="page id (repeatable; default: every page the store holds)",
    )
    p.add_argument(
        "--locale",
        action="append",
        default=[],
        metavar="L",
        help="en or zh-CN (repeatable; default: both)",
    )
    p.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="json (default): the catalogue lockfile; csv: one row per record",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write here (atomically) instead of stdout; re-exporting over a "
        "catalogue keeps the dates of the records it holds unchanged",
    )

    p = add("schema", "print the JSON Schema of the catalogue or of report.json")
    p.add_argument(
        "name",
        choices=("catalogue", "report"),
        metavar="catalogue|report",
        help="which schema: the catalogue (errwatch export) or report.json",
    )
    return parser


def _say(text: str, stream: Any = None) -> None:
    """Print ``text`` line by line, each through textsafe.terminal (no control character,
    no workflow command, no secret can reach the terminal or a CI log)."""
    from scraper.textsafe import terminal

    out = sys.stdout if stream is None else stream
    out.write("".join(terminal(line) + "\n" for line in str(text).split("\n")))


def _safe_excepthook(kind: Any, value: Any, tb: Any) -> None:
    """-vv tracebacks: every line through textsafe (an exception may quote page text)."""
    import traceback

    _say("".join(traceback.format_exception(kind, value, tb)).rstrip("\n"), sys.stderr)


_OFF = logging.CRITICAL + 1
# Library loggers and the level they log at for -q, default, -v and -vv. errwatch prints its
# own one line per failed page, so urllib3's "Retrying (…)" warnings and header-parsing
# tracebacks and Apprise's complaints (which print whole URLs) only show with -v/-vv.
_LIBRARY_LEVELS = {
    "urllib3": (_OFF, _OFF, _OFF, logging.DEBUG),
    "apprise": (_OFF, _OFF, logging.WARNING, logging.DEBUG),
    "py.warnings": (_OFF, _OFF, logging.WARNING, logging.WARNING),  # library warnings.warn()
}


def _setup_logging(verbose: int, quiet: bool) -> None:
    """One stderr handler whose formatter makes every record safe (scraper.textsafe):
    no control character, no workflow command, no notification secret, at any -v."""
    from scraper.textsafe import SafeFormatter

    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose == 1 else logging.WARNING)
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_errwatch", False)]:
        root.removeHandler(old)  # main() called again in one process (tests, schedule)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._errwatch = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings (bs4, urllib3) through the same safe handler
    step = 0 if quiet else min(verbose, 2) + 1
    for name, levels in _LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(levels[step])
    if verbose > 1:
        sys.excepthook = _safe_excepthook


def _config(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from scraper.config import load_config

    cfg = load_config(getattr(args, "config", None))
    from scraper.textsafe import register_secrets

    register_secrets((*cfg.notify_urls, *cfg.failure_urls))  # redacted from every output
    overrides: dict[str, Any] = {}
    for attr, key in (
        ("snapshots", "snapshots"),
        ("reports", "reports"),
        ("base_url", "base_url"),
        ("fail_on", "fail_on"),
        ("concurrency", "concurrency"),
    ):
        value = getattr(args, attr, None)
        if value is not None:
            overrides[key] = value
    if overrides.get("concurrency", 1) < 1:
        raise UsageError("--concurrency must be at least 1")
    if "base_url" in overrides:
        from scraper.config import check_base_url

        check_base_url(overrides["base_url"], "--base-url")
    return replace(cfg, **overrides) if overrides else cfg


def cmd_parse(args: argparse.Namespace) -> int:
    import json

    from scraper.parse import parse_html
    from scraper.registry import build_registry, select

    # Stamped on the output, so only names errwatch itself would produce.
    select(build_registry(), [args.page] if args.page else [], [args.locale] if args.locale else [])
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    parsed = parse_html(data, page=args.page, locale=args.locale, with_markdown=args.format == "md")
    for warning in parsed.warnings:
        logging.getLogger("errwatch.parse").warning(warning)
    from scraper.textsafe import json_line

    if args.format == "md":
        _say(parsed.markdown.rstrip("\n"))
    else:
        sys.stdout.write(
            json_line(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2)) + "\n"
        )
    return 0


def _crawl_kwargs(args: argparse.Namespace, cfg: Any) -> dict[str, Any]:
    from scraper.pipeline import parse_accept, parse_at
    from scraper.registry import select

    pages, locales = select(cfg.pages, args.page, args.locale or cfg.locales)
    return {
        "pages": pages,
        "locales": locales,
        "at": parse_at(args.at),
        "accept": parse_accept(args.accept, pages, locales),
        "progress": not args.quiet,
        "backfill": args.backfill,
    }


def cmd_crawl(args: argparse.Namespace) -> int:
    from scraper import pipeline

    cfg = _config(args)
    result = pipeline.crawl(cfg, **_crawl_kwargs(args, cfg))
    if not args.quiet:
        _say(pipeline.crawl_summary(result))
    return 3 if result.failed else 0


def _command_line() -> str:
    return "errwatch " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def cmd_run(args: argparse.Namespace) -> int:
    from scraper import pipeline

    cfg = _config(args)
    formats = _formats(args.format)
    against = None
    if args.against:
        from scraper.catalogue import load_catalogue

        against = load_catalogue(args.against)
    outcome = pipeline.run(
        cfg, formats=formats, command=_command_line(), against=against, **_crawl_kwargs(args, cfg)
    )
    return pipeline.finish(outcome, cfg.fail_on, formats, quiet=args.quiet)


def cmd_diff(args: argparse.Namespace) -> int:
    from scraper import pipeline

    cfg = _config(args)
    formats = _formats(args.format)
    outcome = pipeline.diff_snapshots(
        cfg, args.old, args.new, formats=formats, command=_command_line()
    )
    return pipeline.finish(outcome, cfg.fail_on, formats, quiet=args.quiet, always_print=True)


def cmd_history(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from scraper.history import code_history, format_history
    from scraper.registry import build_registry, select
    from scraper.store import SnapshotStore

    cfg = _config(args)
    known = dict.fromkeys((*cfg.pages, *build_registry()))  # a dropped page keeps its history
    select(tuple(known), [args.page] if args.page else [], [args.locale] if args.locale else [])
    folder = Path(cfg.snapshots)
    if not folder.is_dir():
        raise UsageError(
            f"no snapshot folder at {folder}: run `errwatch run` first, or pass --snapshots DIR"
        )
    store = SnapshotStore(folder)
    if not store.snapshot_ids():
        raise UsageError(f"no snapshots in {folder}: run `errwatch run` first")
    events = code_history(
        store, args.code, page=args.page, locale=args.locale, generic_names=cfg.generic_names
    )
    from scraper.textsafe import json_line

    if args.format == "json":
        print(json_line(json.dumps(events, ensure_ascii=False, indent=2)))
    else:
        _say(
            format_history(events).rstrip("\n")
            if events
            else f"no snapshot mentions code {args.code}"
        )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from scraper.verify import verify

    cfg = _config(args)
    result = verify(cfg.snapshots, repair=args.repair)
    if args.format == "json":
        print(result.to_json())
    else:
        for finding in result.findings:
            _say(finding.line())
        if not args.quiet or result.findings:
            _say(result.summary())
    return result.exit_code


def cmd_schedule(args: argparse.Namespace) -> int:
    from scraper import pipeline
    from scraper.registry import select
    from scraper.schedule import serve

    cfg = _config(args)
    if args.run_on_start:
        from dataclasses import replace

        cfg = replace(cfg, run_on_start=True)
    pages, locales = select(cfg.pages, (), cfg.locales)
    if not args.quiet:  # the heartbeat and notification lines are the daemon's log
        for name in ("errwatch.schedule", "errwatch.notify"):
            logging.getLogger(name).setLevel(logging.INFO)

    def job() -> int:
        outcome = pipeline.run(
            cfg,
            pages=pages,
            locales=locales,
            formats=DEFAULT_FORMATS,
            command="errwatch schedule",
            progress=False,
        )
        return pipeline.finish(outcome, cfg.fail_on, DEFAULT_FORMATS, quiet=True)

    return serve(cfg, job)


def cmd_check(args: argparse.Namespace) -> int:
    from scraper.check import docs
    from scraper.check.output import failing, render
    from scraper.check.run import binding_for, check_tables, read_tables
    from scraper.models import LOCALES

    if args.locale not in LOCALES:
        raise UsageError(f"unknown locale {args.locale!r}; use one of: {', '.join(LOCALES)}")
    if args.base_url and not args.crawl:
        raise UsageError("--base-url needs --crawl")
    cfg = _config(argparse.Namespace(config=args.config, base_url=args.base_url))
    binding = binding_for(args.map, args.page, [p.id for p in cfg.pages])
    tables = read_tables(args.tables)
    if args.against:
        state = docs.from_file(args.against, args.locale)
    elif args.crawl:
        state = docs.from_crawl(cfg, args.locale)
    else:
        state = docs.from_store(
            args.snapshots or cfg.snapshots, args.locale, generic_names=cfg.generic_names
        )
    report = check_tables(tables, state, binding, args.allow)
    sys.stdout.write(render(args.format, report))
    return 1 if failing(report.findings, args.fail_on) else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from scraper.demo import run_demo

    return run_demo(args.workdir, quiet=args.quiet)


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scraper.catalogue import (
        build_catalogue,
        catalogue_csv,
        catalogue_json,
        is_catalogue_file,
        load_catalogue,
    )
    from scraper.store import SnapshotStore

    cfg = _config(args)
    for locale in args.locale:
        if locale not in ("en", "zh-CN"):
            raise UsageError(f"unknown locale {locale!r}; use en or zh-CN")
    store = SnapshotStore(Path(cfg.snapshots))
    previous = None
    if args.out and is_catalogue_file(args.out):  # re-exporting: unchanged records keep dates
        previous = load_catalogue(args.out)
    cat = build_catalogue(
        store,
        snapshot=args.snapshot,
        pages=args.page or None,
        locales=args.locale or None,
        generic_names=cfg.generic_names,
        previous=previous,
    )
    text = catalogue_csv(cat) if args.format == "csv" else catalogue_json(cat)
    if args.out:
        from scraper.files import atomic_write_text

        atomic_write_text(Path(args.out), text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from scraper.schemas import schema_text

    sys.stdout.write(schema_text(args.name))
    return 0


COMMANDS = {
    "parse": cmd_parse,
    "crawl": cmd_crawl,
    "run": cmd_run,
    "diff": cmd_diff,
    "history": cmd_history,
    "verify": cmd_verify,
    "schedule": cmd_schedule,
    "demo": cmd_demo,
    "check": cmd_check,
    "export": cmd_export,
    "schema": cmd_schema,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _setup_logging(args.verbose, args.quiet)
    previous = _terminate_as_interrupt()
    try:
        return COMMANDS[args.command](args)
    except ErrwatchError as exc:
        if args.verbose > 1:
            raise
        _say(f"errwatch: error: {exc}", sys.stderr)
        return exc.exit_code
    except OSError as exc:  # disk full, permissions, a path that is a file, …
        if args.verbose > 1:
            raise
        _say(f"errwatch: error: {_os_error_line(args, exc)}", sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line and exit 2, never 1 (1 means drift)
        if args.verbose > 1:
            raise
        logging.getLogger("errwatch").debug("internal error", exc_info=True)
        _say(
            f"errwatch: internal error: {type(exc).__name__}: {exc} "
            "(run again with -vv for the traceback)",
            sys.stderr,
        )
        return 2
    except KeyboardInterrupt as exc:
        if isinstance(exc, Terminated):
            sys.stderr.write("errwatch: terminated (SIGTERM)\n")
            return 143
        sys.stderr.write("errwatch: interrupted\n")
        return 130
    finally:
        _restore_terminate(previous)


def _os_error_line(args: argparse.Namespace, exc: OSError) -> str:
    """What errwatch was doing, on which path, and why (no errno number, no repr)."""
    from scraper.files import describe_os_error

    roles = {
        "using the snapshot folder": getattr(args, "snapshots", None) or "snapshots",
        "writing the reports": getattr(args, "reports", None) or "reports",
        "reading the config file": getattr(args, "config", None),
    }
    return describe_os_error(exc, f"running errwatch {args.command}", roles=roles)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C."""


def _terminate_as_interrupt() -> Any:
    """SIGTERM (``docker stop``, systemd) is handled like Ctrl-C: one line, lock released.

    The handler raises KeyboardInterrupt in the main thread, so every ``finally`` and
    context manager on the way out runs (the snapshot lock is released, temp folders
    removed); the exit code is 143 (128 + SIGTERM).  Only the main thread can set it.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover - embedded interpreters
        return None


def _restore_terminate(previous: Any) -> None:
    import signal

    if previous is not None:
        try:
            signal.signal(signal.SIGTERM, previous)
        except (ValueError, OSError):  # pragma: no cover
            pass
