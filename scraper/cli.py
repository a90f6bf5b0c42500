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
        sys.stderr.write(f"errwatch: error: {message} (see: {self.prog} --help)\n")
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


def _add_store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="errwatch.toml (see docs/config.md)")
    p.add_argument("--snapshots", metavar="DIR", help="snapshot folder (default ./snapshots)")
    p.add_argument("--reports", metavar="DIR", help="report folder (default ./reports)")


def _add_crawl_options(p: argparse.ArgumentParser) -> None:
    _add_store_options(p)
    p.add_argument("--page", action="append", default=[], metavar="ID",
                   help="page id from the registry (repeatable; default: all)")
    p.add_argument("--locale", action="append", default=[], metavar="L",
                   help="en or zh-CN (repeatable; default: both)")
    p.add_argument("--base-url", metavar="URL",
                   help="replaces https://developers.binance.com in every page URL")
    p.add_argument("--at", metavar="TIMESTAMP",
                   help="ISO 8601 time that stamps the snapshot instead of the clock")
    p.add_argument("--accept", action="append", default=[], metavar="PAGE[:LOCALE]",
                   help="accept a page that would be quarantined for losing codes (repeatable)")
    p.add_argument("--concurrency", type=int, metavar="N", help="parallel requests (default 4)")


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fail-on", choices=FAIL_ON, default=None,
                   help="exit 1 on drift at or above this level (default never)")
    p.add_argument("--format", action="append", metavar="FMT",
                   help="json, html, md, github (repeatable or comma-separated; "
                        "default json,html,md; github also prints annotation lines)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="errwatch",
        description="Monitor the error codes Binance publishes in its API docs.",
        epilog="Exit codes: 0 done, 1 drift at/above --fail-on, 2 usage or config error, "
               "3 pages failed or were quarantined.",
    )
    parser.add_argument("--version", action="version", version=f"errwatch {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")
    # -v/-q also work after the command ("errwatch run -q"); SUPPRESS keeps the global value.
    common = _Parser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="more logging (-vv: debug)")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[common])

    p = add("parse", "parse one saved HTML page into records")
    p.add_argument("file", metavar="FILE", help="saved HTML page ('-' for stdin)")
    p.add_argument("--page", metavar="ID", help="page id to stamp on the output")
    p.add_argument("--locale", metavar="L", help="en or zh-CN (default: from <html lang>)")
    p.add_argument("--format", choices=("json", "md"), default="json")

    p = add("crawl", "fetch, validate, parse and store one snapshot")
    _add_crawl_options(p)

    p = add("run", "crawl, diff against the newest good snapshot, report, notify")
    _add_crawl_options(p)
    _add_report_options(p)

    p = add("diff", "compare two stored snapshots")
    p.add_argument("old", metavar="OLD", help="snapshot id (or 'previous')")
    p.add_argument("new", metavar="NEW", help="snapshot id (or 'latest')")
    _add_store_options(p)
    _add_report_options(p)

    p = add("history", "every change of one code across all snapshots")
    p.add_argument("code", type=int, metavar="CODE", help="error code, e.g. -4087")
    p.add_argument("--page", metavar="ID")
    p.add_argument("--locale", metavar="L")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--snapshots", metavar="DIR")

    p = add("schedule", "run `errwatch run` on a cron expression (APScheduler)")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--fail-on", choices=FAIL_ON, default=None)

    p = add("demo", "the whole pipeline offline on bundled pages")
    p.add_argument("--workdir", metavar="DIR", default=".",
                   help="where snapshots/ and reports/ are written (default .)")
    return parser


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else
                                         logging.INFO if verbose == 1 else logging.WARNING)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


def _config(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from scraper.config import load_config

    cfg = load_config(getattr(args, "config", None))
    overrides: dict[str, Any] = {}
    for attr, key in (("snapshots", "snapshots"), ("reports", "reports"),
                      ("base_url", "base_url"), ("fail_on", "fail_on"),
                      ("concurrency", "concurrency")):
        value = getattr(args, attr, None)
        if value is not None:
            overrides[key] = value
    if overrides.get("concurrency", 1) < 1:
        raise UsageError("--concurrency must be at least 1")
    return replace(cfg, **overrides) if overrides else cfg


def cmd_parse(args: argparse.Namespace) -> int:
    import json

    from scraper.parse import parse_html

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
    if args.format == "md":
        sys.stdout.write(parsed.markdown)
    else:
        sys.stdout.write(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2) + "\n")
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
    }


def cmd_crawl(args: argparse.Namespace) -> int:
    from scraper import pipeline

    cfg = _config(args)
    result = pipeline.crawl(cfg, **_crawl_kwargs(args, cfg))
    if not args.quiet:
        print(pipeline.crawl_summary(result))
    return 3 if result.failed else 0


def _command_line() -> str:
    return "errwatch " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def cmd_run(args: argparse.Namespace) -> int:
    from scraper import pipeline

    cfg = _config(args)
    formats = _formats(args.format)
    outcome = pipeline.run(cfg, formats=formats, command=_command_line(), **_crawl_kwargs(args, cfg))
    return pipeline.finish(outcome, cfg.fail_on, formats, quiet=args.quiet)


def cmd_diff(args: argparse.Namespace) -> int:
    from scraper import pipeline

    cfg = _config(args)
    formats = _formats(args.format)
    outcome = pipeline.diff_snapshots(cfg, args.old, args.new, formats=formats,
                                      command=_command_line())
    return pipeline.finish(outcome, cfg.fail_on, formats, quiet=args.quiet, always_print=True)


def cmd_history(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from scraper.history import code_history, format_history
    from scraper.store import SnapshotStore

    cfg = _config(args)
    if args.locale and args.locale not in ("en", "zh-CN"):
        raise UsageError(f"unknown locale {args.locale!r}; use en or zh-CN")
    store = SnapshotStore(Path(cfg.snapshots))
    events = code_history(store, args.code, page=args.page, locale=args.locale)
    if args.format == "json":
        print(json.dumps(events, ensure_ascii=False, indent=2))
    else:
        print(format_history(events) if events else f"no snapshot mentions code {args.code}")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from scraper import pipeline
    from scraper.registry import select
    from scraper.schedule import serve

    cfg = _config(args)
    pages, locales = select(cfg.pages, (), cfg.locales)
    if not args.quiet:  # the heartbeat and notification lines are the daemon's log
        for name in ("errwatch.schedule", "errwatch.notify"):
            logging.getLogger(name).setLevel(logging.INFO)

    def job() -> int:
        outcome = pipeline.run(cfg, pages=pages, locales=locales, formats=DEFAULT_FORMATS,
                               command="errwatch schedule", progress=False)
        return pipeline.finish(outcome, cfg.fail_on, DEFAULT_FORMATS, quiet=True)

    return serve(cfg, job)


def cmd_demo(args: argparse.Namespace) -> int:
    from scraper.demo import run_demo

    return run_demo(args.workdir, quiet=args.quiet)


COMMANDS = {
    "parse": cmd_parse,
    "crawl": cmd_crawl,
    "run": cmd_run,
    "diff": cmd_diff,
    "history": cmd_history,
    "schedule": cmd_schedule,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _setup_logging(args.verbose, args.quiet)
    try:
        return COMMANDS[args.command](args)
    except ErrwatchError as exc:
        if args.verbose > 1:
            raise
        sys.stderr.write(f"errwatch: error: {exc}\n")
        return exc.exit_code
    except OSError as exc:  # disk full, permissions, a path that is a file, …
        if args.verbose > 1:
            raise
        sys.stderr.write(f"errwatch: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("errwatch: interrupted\n")
        return 130
