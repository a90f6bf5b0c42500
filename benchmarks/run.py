#!/usr/bin/env python
"""errwatch benchmarks: every figure measured on this machine, next to its target and floor.

    python benchmarks/run.py                    # all groups, full repetitions
    python benchmarks/run.py --quick            # fewer repetitions / days (under a minute)
    python benchmarks/run.py --only parse,diff  # some groups (see --list)
    python benchmarks/run.py --json out.json    # every row, environment and diagnostics
    python benchmarks/run.py --markdown         # the table as Markdown (docs/benchmarks.md)

Each figure is the median of a few repetitions (the minimum is shown too; cold start is
"best of N", so its minimum is the figure).  A *target* is what errwatch promises; a
*floor* is what the same work costs with nothing but the underlying library (or the
physics: 7 rounds of 300 ms), so "value / floor" says how much errwatch adds.

Everything runs against 127.0.0.1 (the offline demo's server, ``scraper.demo.DemoSite``)
in temporary folders that are removed at the end.  A benchmark whose run did not do
what it claims (pages not ``ok``, changes not found, not all 304) stops with an error
rather than printing a flattering number.  See benchmarks/README.md for each figure.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import hashlib
import io
import json
import math
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` from a checkout
    sys.path.insert(0, str(ROOT))

from scraper import __version__
from scraper.models import LOCALES, PageOutcome, PageRef, Record
from scraper.registry import build_registry

PAGES_DIR = ROOT / "tests" / "fixtures" / "pages"
SPOT = PAGES_DIR / "spot.en.html"
DAY0 = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
DELAY = 0.3  # seconds per response in the latency-bound crawl
GROUPS = ("parse", "synthetic", "diff", "run", "notmodified", "redeploy", "latency", "startup",
          "storage", "index", "memory", "check")


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ------------------------------------------------------------------------------ rows


@dataclass
class Row:
    """One figure: ``value`` (median, or min for best-of-N rows) against target/floor."""

    group: str
    key: str
    label: str
    unit: str
    median: float
    min: float
    reps: int
    target: float | None = None  # the figure must be <= target
    floor: float | None = None
    floor_label: str = ""
    use_min: bool = False  # best of N: compare the minimum
    note: str = ""
    ratio_target: float | None = None  # value / floor must be <= ratio_target

    @property
    def value(self) -> float:
        return self.min if self.use_min else self.median

    @property
    def ratio(self) -> float | None:
        """value ÷ floor: what errwatch adds to the bare work (None without a floor)."""
        return self.value / self.floor if self.floor else None

    @property
    def met(self) -> bool | None:
        checks = []
        if self.target is not None:
            checks.append(self.value <= self.target)
        if self.ratio_target is not None and self.ratio is not None:
            checks.append(self.ratio <= self.ratio_target)
        return all(checks) if checks else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = self.value
        d["ratio"] = self.ratio
        d["met"] = self.met
        return d


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    diagnostics: dict[str, str] = field(default_factory=dict)  # key -> text (profiles…)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        shown = _fmt(row.value, row.unit)
        if row.ratio is not None:
            shown += f" ({row.ratio:.1f}× floor)"
        mark = {True: "met", False: "MISSED", None: ""}[row.met]
        log(f"  {row.label}: {shown} {mark}")
        return row


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("x",):
        return f"{value:.2f}×"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f} {unit}"


# ------------------------------------------------------------------------------ timing


@dataclass(frozen=True)
class Reps:
    fast: int  # sub-10 ms work
    medium: int  # 10 ms - 0.5 s
    slow: int  # whole runs, subprocesses
    startup: int  # best-of-N cold starts
    days: int  # storage benchmark
    reports: int  # index benchmark


FULL = Reps(fast=30, medium=7, slow=5, startup=15, days=365, reports=365)
QUICK = Reps(fast=5, medium=3, slow=2, startup=5, days=60, reports=120)


def timed(fn: Callable[[], object], reps: int, *, warmup: int = 1,
          setup: Callable[[], object] | None = None) -> list[float]:
    """Seconds per call, ``reps`` calls after ``warmup`` untimed ones (GC off while timed)."""
    for _ in range(warmup):
        if setup:
            setup()
        fn()
    out = []
    for _ in range(reps):
        if setup:
            setup()
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return out


def ms(samples: Sequence[float]) -> tuple[float, float]:
    return statistics.median(samples) * 1000, min(samples) * 1000


def secs(samples: Sequence[float]) -> tuple[float, float]:
    return statistics.median(samples), min(samples)


def profile_top(fn: Callable[[], object], limit: int = 14) -> str:
    """cProfile of one call (main thread only): errwatch's own functions by cumulative
    time, then the hottest functions overall by own time.  Profiling inflates Python-heavy
    code (bs4, markdownify, Jinja) more than C code (lxml, gzip), so read it as shares."""
    import cProfile

    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    try:
        fn()
    finally:
        prof.disable()
    wall = time.perf_counter() - start
    parts = [f"({wall:.2f} s under the profiler)"]
    for order, restrict, title in (("cumulative", r"scraper[/\\]", "errwatch functions by cumulative time"),
                                   ("tottime", "", "all functions by own time")):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats(order)
        if restrict:
            stats.print_stats(restrict, limit)
        else:
            stats.print_stats(limit)
        text = buf.getvalue()
        at = text.find("   ncalls")
        body = text[at:].rstrip() if at >= 0 else text.rstrip()
        body = body.replace(str(ROOT) + os.sep, "").replace(sys.prefix + os.sep, "")
        parts.append(f"{title}:\n{body}")
    return "\n\n".join(parts)


# ------------------------------------------------------------------------------ pages


def fixture_pages() -> dict[tuple[str, str], bytes]:
    """(page, locale) -> HTML of every page in tests/fixtures/pages/."""
    out = {}
    for path in sorted(PAGES_DIR.glob("*.html")):
        page, locale = path.name[: -len(".html")].rsplit(".", 1)
        out[(page, locale)] = path.read_bytes()
    return out


def restamp(html: bytes, source: PageRef, source_locale: str, target: PageRef, target_locale: str) -> bytes:
    """A fixture page moved to ``target``'s URL in ``target_locale`` (canonical, og:url and
    the hreflang alternates all swap together, so validate.py accepts it there)."""
    other = {LOCALES[0]: LOCALES[1], LOCALES[1]: LOCALES[0]}
    mapping = {
        source.url_path(source_locale).encode(): target.url_path(target_locale).encode(),
        source.url_path(other[source_locale]).encode(): target.url_path(other[target_locale]).encode(),
    }
    if all(k == v for k, v in mapping.items()):
        return html
    pattern = re.compile(b"|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))
                         + rb"(?=[\"'#?/<\s])")
    return pattern.sub(lambda m: mapping[m.group(0)], html)


_ARTICLE_RE = re.compile(rb"theme-doc-markdown")
_CODE_HEADING_RE = re.compile(rb"<h[2-4]\b[^>]*>\s*[-\xe2\x88\x92]?\d{3,7}\b")
_LI_RE = re.compile(rb"<li\b[^>]*>")


def edit_message(html: bytes, version: int) -> bytes:
    """Version 0 as is; version N alters the first message under the first code heading."""
    if version == 0:
        return html
    start = _ARTICLE_RE.search(html)
    heading = _CODE_HEADING_RE.search(html, start.end() if start else 0)
    if heading is None:
        raise RuntimeError("no code heading to edit in a fixture page")
    li = _LI_RE.search(html, heading.end())
    if li is None:
        raise RuntimeError("no message bullet to edit in a fixture page")
    return html[: li.end()] + f"[rev {version}] ".encode() + html[li.end():]


_ASSET_RE = re.compile(rb"(<(?:script|link)\b[^>]*?(?:src|href)=\"[^\"]*?\.)([0-9a-f]{8})(\.(?:js|css)\")")
_HEAD_RE = re.compile(rb"<head>")


def redeploy(html: bytes, build: int) -> bytes:
    """Build 0 as is; build N is a new Docusaurus deploy of the same article: every asset
    hash in ``<script src>``/``<link href>`` is new and the head carries a new build id."""
    if build == 0:
        return html

    def new_hash(m: re.Match[bytes]) -> bytes:
        digest = hashlib.sha256(m.group(2) + str(build).encode()).hexdigest()[:8]
        return m.group(1) + digest.encode() + m.group(3)

    out, n = _ASSET_RE.subn(new_hash, html)
    out, heads = _HEAD_RE.subn(f'<head><meta name="build-id" content="build-{build}">'.encode(),
                               out, count=1)
    if not n or not heads:
        raise RuntimeError("a fixture page has no asset hashes or <head> to redeploy")
    return out


# Pages without a fixture borrow one from a product that publishes a similar list (the
# wallet family really does share one list).  en and zh-CN of a product then hold the
# same codes, as on the real site, so the cross-page/locale views stay realistic in size.
SOURCES = {
    "spot-testnet": "spot", "margin": "spot", "options": "usds-futures",
    "portfolio-margin": "usds-futures", "portfolio-margin-pro": "portfolio-margin",
    "sub-account": "wallet", "algo": "wallet", "convert": "institutional-loan",
    "copy-trading": "institutional-loan",
}


def _source(page: str, locale: str, fixtures: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """The fixture that stands for (page, locale): its own, else along SOURCES in the same
    locale, else (for zh-CN) an English page served untranslated; else any of the locale."""
    chain = [page]
    while chain[-1] in SOURCES and SOURCES[chain[-1]] not in chain:
        chain.append(SOURCES[chain[-1]])
    for loc in (locale, "en"):
        for product in chain:
            if (product, loc) in fixtures:
                return product, loc
    return next(k for k in sorted(fixtures) if k[1] == locale)


def site_pages() -> tuple[tuple[PageRef, ...], list[tuple[str, str]], dict[str, bytes]]:
    """(registry, [(page, locale)], url path -> HTML) of the 28 pages the benchmarks serve.

    Each (page, locale) is a fixture page (see ``_source``) re-stamped at the page's
    URL: validate.py checks canonical/og:url against the requested path, and
    mark_duplicates fails byte-identical bodies, so all 28 are distinct and valid.
    """
    refs = build_registry()
    by_id = {r.id: r for r in refs}
    fixtures = fixture_pages()
    base: dict[str, bytes] = {}
    keys: list[tuple[str, str]] = []
    for locale in LOCALES:
        for ref in refs:
            src = _source(ref.id, locale, list(fixtures))
            base[ref.url_path(locale)] = restamp(fixtures[src], by_id[src[0]], src[1], ref, locale)
            keys.append((ref.id, locale))
    if len(set(base.values())) != len(base):
        raise RuntimeError("two benchmark pages are byte-identical (mark_duplicates would fail them)")
    return refs, keys, base


class Site:
    """The 28 pages of ``site_pages()`` on a DemoSite at 127.0.0.1.  ``show(version)`` serves version N of every page:
    version N differs from N-1 by one edited message on each page.
    """

    def __init__(self) -> None:
        from scraper.demo import DemoSite

        self.refs, self.keys, self.base = site_pages()
        self.delay = 0.0
        self.demo = DemoSite({"v0": dict(self.base)})
        handler = self.demo.server.RequestHandlerClass
        site = self

        class Delayed(handler):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                if site.delay:
                    time.sleep(site.delay)
                super().do_GET()

        self.demo.server.RequestHandlerClass = Delayed
        self.url = self.demo.url

    def pages(self, version: int, build: int = 0) -> dict[str, bytes]:
        return {path: redeploy(edit_message(body, version), build)
                for path, body in self.base.items()}

    def show(self, version: int, build: int = 0) -> None:
        """Serve version ``version`` of every article in the shell of deploy ``build``."""
        name = f"v{version}" + (f"b{build}" if build else "")
        if name not in self.demo.days:
            self.demo.days[name] = self.pages(version, build)
        self.demo.day = name

    def __enter__(self) -> Self:
        self.demo.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.demo.__exit__(*exc)


def bench_config(site: Site, work: Path, **kw: Any) -> Any:
    from scraper.config import Config

    return replace(Config(), base_url=site.url, snapshots=str(work / "snapshots"),
                   reports=str(work / "reports"), retries=1, backoff=0.0, **kw)


def check_run(report: dict[str, Any], *, expect: str, pages: int) -> str:
    """Stop unless the run did what the benchmark claims; a short note otherwise."""
    s = report["summary"]
    counts = s["pages"]
    if expect == "redeploy":
        if counts.get("ok") != pages or s["changes"]:
            raise RuntimeError(f"redeploy run: expected {pages} ok pages, no changes, got {s}")
    elif expect == "changed":
        if counts.get("ok") != pages or s["changes"] < pages:
            raise RuntimeError(f"changed run: expected {pages} ok pages with >= {pages} changes, got {s}")
    elif expect == "not_modified":
        if counts.get("not_modified") != pages:
            raise RuntimeError(f"304 run: expected {pages} not_modified pages, got {s}")
    elif expect == "new" and counts.get("ok") != pages:
        raise RuntimeError(f"first run: expected {pages} ok pages, got {s}")
    return f"{pages} pages {expect}, {s['changes']} changes"


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "errwatch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scraper"]


class Bytecode:
    """Where subprocesses keep compiled bytecode.

    An installed errwatch has .pyc files (pip compiles them; a checkout writes them on
    first use), but a sandbox with PYTHONDONTWRITEBYTECODE=1 and an editable checkout
    recompiles every errwatch module in every process (tens of ms per start).  So by
    default subprocesses get a private PYTHONPYCACHEPREFIX in a temporary folder, primed
    once, and never write into the checkout; ``--no-pycache`` keeps the environment as
    it is, to see that cost.
    """

    enabled = True
    _dir: tempfile.TemporaryDirectory[str] | None = None
    _primed = False

    @classmethod
    def env(cls, env: dict[str, str]) -> dict[str, str]:
        if cls.enabled:
            if cls._dir is None:
                cls._dir = tempfile.TemporaryDirectory(prefix="errwatch-bench-pyc-")
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = cls._dir.name
        return env

    @classmethod
    def prime(cls) -> None:
        """Compile everything a run imports once (untimed), so no sample pays for it."""
        if cls._primed:
            return
        cls._primed = True
        modules = ("scraper.cli scraper.pipeline scraper.fetch scraper.validate scraper.parse "
                   "scraper.store scraper.diff scraper.report scraper.views scraper.demo requests "
                   "urllib3 bs4 lxml.html markdownify jinja2 concurrent.futures.thread")
        subprocess.run([sys.executable, "-c", f"import {', '.join(modules.split())}"], check=True,
                       cwd=tempfile.gettempdir(), env=cli_env(), capture_output=True, timeout=300)

    @classmethod
    def cleanup(cls) -> None:
        if cls._dir is not None:
            cls._dir.cleanup()
            cls._dir = None


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return Bytecode.env(env)


def run_cli(args: Sequence[str], cwd: Path, *, prefix: Sequence[str] | None = None,
            timeout: float = 300) -> tuple[float, subprocess.CompletedProcess[str]]:
    Bytecode.prime()
    cmd = [*(prefix if prefix is not None else cli_command()), *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=cwd, env=cli_env(), capture_output=True, text=True,
                          timeout=timeout)
    return time.perf_counter() - start, proc


def cli_run_args(site: Site, work: Path, day: int) -> list[str]:
    at = (DAY0 + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ["run", "--base-url", site.url, "--snapshots", str(work / "snapshots"),
            "--reports", str(work / "reports"), "--at", at]


def cli_report(work: Path, day: int) -> dict[str, Any]:
    sid = (DAY0 + timedelta(days=day)).strftime("%Y%m%dT%H%M%SZ")
    data: dict[str, Any] = json.loads((work / "reports" / sid / "report.json").read_text("utf-8"))
    return data


# A small parent for the measured process: ru_maxrss of a child counts the pages it
# shared with its parent right after fork, so the child must not fork from this (big)
# benchmark process, or every figure would read as this process's own size.
_RSS_HELPER = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "sys.stderr.buffer.write(p.stderr[-4000:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
)


def peak_rss_mb(cmd: Sequence[str], cwd: Path) -> tuple[float, int, str]:
    """Run ``cmd`` and return (its peak RSS in MB, its exit status, its stderr tail)."""
    Bytecode.prime()
    proc = subprocess.run([sys.executable, "-c", _RSS_HELPER, *cmd], check=False, cwd=cwd,
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    maxrss_kib, code = proc.stdout.split()
    return int(maxrss_kib) * 1024 / 1e6, int(code), proc.stderr  # Linux: ru_maxrss is KiB


def importtime_top(code: str, cwd: Path, limit: int = 12) -> str:
    """``python -X importtime`` of ``code``: the slowest imports by cumulative time."""
    Bytecode.prime()
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], check=False,
                          cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=120)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), int(m.group(1)), len(m.group(3)) // 2, m.group(4)))
    top_level = sorted((r for r in rows if r[2] <= 1), reverse=True)[:limit]
    lines = [f"{'cumulative':>11} {'self':>9}  module (first-level imports, -X importtime)"]
    lines += [f"{c / 1000:9.1f}ms {s / 1000:7.1f}ms  {name}" for c, s, _, name in top_level]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ the floor

# The floor of a run: a bare script that GETs the same 28 pages from the same local
# server (as many at once as errwatch) and counts their code headings with lxml.  No
# gate, no store, no markdown, no report: what any monitor of these pages must pay.
# One source, run two ways: as a subprocess (interpreter start and imports included,
# the floor of the CLI rows) and in this process (the floor of the in-process rows).
FLOOR_SOURCE = """
import re
from concurrent.futures import ThreadPoolExecutor

import lxml.html
import requests

CODE = re.compile(r"^\\s*[-\\u2212]?\\d{3,7}\\b")


def floor(urls, workers):
    session = requests.Session()

    def get(url):
        reply = session.get(url, timeout=30)
        reply.raise_for_status()
        return reply.content

    found = 0
    with ThreadPoolExecutor(workers) as pool:
        for body in pool.map(get, urls):
            root = lxml.html.document_fromstring(body)
            found += sum(1 for h in root.iter("h2", "h3", "h4") if CODE.match(h.text_content()))
    session.close()
    return found
"""
FLOOR_MAIN = "\nimport sys\nprint(floor(sys.argv[2:], int(sys.argv[1])))\n"


class Floor:
    """The floor against one group's server.  Rows take their floor from samples taken
    right before each of their own (``cli()``/``inprocess()``), so a machine that gets
    busier or quieter during the run moves both sides of the ratio alike."""

    added = False  # the two floor rows are added once per benchmark run

    def __init__(self, site: Site, workers: int) -> None:
        site.show(0)
        self.urls = [ref.url(loc, site.url) for ref in site.refs for loc in LOCALES]
        self.workers = workers
        scope: dict[str, Any] = {}
        exec(compile(FLOOR_SOURCE, "<floor>", "exec"), scope)  # noqa: S102 - our own source
        self._fn: Callable[[list[str], int], int] = scope["floor"]
        self.headings = self._fn(self.urls, workers)
        if self.headings < len(self.urls):
            raise RuntimeError(f"floor: only {self.headings} code headings in {len(self.urls)} pages")
        self._tmp = tempfile.mkdtemp(prefix="errwatch-bench-")
        self.cli()  # warms the page cache and .pyc files

    def cli(self) -> float:
        """One run of the bare script as a subprocess (wall seconds)."""
        elapsed, proc = run_cli(["-c", FLOOR_SOURCE + FLOOR_MAIN, str(self.workers), *self.urls],
                                Path(self._tmp), prefix=[sys.executable])
        if proc.returncode != 0 or proc.stdout.strip() != str(self.headings):
            raise RuntimeError(f"floor script failed: {proc.stderr.strip()[-300:]}")
        return elapsed

    def inprocess(self) -> float:
        return timed(lambda: self._fn(self.urls, self.workers), 1, warmup=0)[0]

    def close(self) -> None:
        import shutil

        shutil.rmtree(self._tmp, ignore_errors=True)


@contextlib.contextmanager
def run_floor(res: Results, group: str, site: Site, reps: Reps, workers: int) -> Iterator[Floor]:
    """The floor of this group's runs; the first group of a benchmark run also adds it as
    two rows of its own."""
    floor = Floor(site, workers)
    try:
        if not Floor.added:
            Floor.added = True
            r = max(3, reps.slow)
            cli = [floor.cli() for _ in range(r)]
            inproc = [floor.inprocess() for _ in range(r)]
            n = len(floor.urls)
            res.add(Row(group, "floor.cli",
                        f"floor: bare script, GET {n} pages + lxml code headings (subprocess)",
                        "s", *secs(cli), r,
                        note=f"{floor.headings} code headings; requests + lxml, {workers} at "
                             "once; interpreter start included"))
            res.add(Row(group, "floor.inprocess", "floor: the same, in-process (warm imports)",
                        "s", *secs(inproc), r))
        yield floor
    finally:
        floor.close()


# ------------------------------------------------------------------------------ groups


def bench_parse(res: Results, reps: Reps, full: bool) -> None:
    import lxml.etree
    import lxml.html
    from bs4 import BeautifulSoup
    from markdownify import ATX, MarkdownConverter, markdownify

    from scraper.parse import find_article, parse_html

    html = SPOT.read_bytes()
    lx = ms(timed(lambda: lxml.etree.fromstring(html, lxml.etree.HTMLParser()), reps.fast))
    bs = ms(timed(lambda: BeautifulSoup(html, "lxml"), reps.medium))
    parsed = parse_html(html, with_markdown=False)
    p = ms(timed(lambda: parse_html(html, with_markdown=False), reps.fast))
    row = res.add(Row("parse", "parse.spot", "parse + records, spot.en (real page)", "ms", *p,
                reps.fast, target=10.0, floor=lx[0], floor_label="lxml.etree parse",
                note=f"tests/fixtures/pages/spot.en.html, {len(parsed.records)} records; BeautifulSoup+lxml parse alone {bs[0]:.1f} ms"))
    if not row.met:
        res.diagnostics["parse.spot profile (10 calls)"] = profile_top(
            lambda: [parse_html(html, with_markdown=False) for _ in range(10)])
    res.add(Row("parse", "parse.lxml", "floor: lxml.etree parse, spot.en", "ms", *lx, reps.fast))
    res.add(Row("parse", "parse.bs4", "floor: BeautifulSoup(lxml) parse, spot.en", "ms", *bs, reps.medium))

    article_html = lxml.html.tostring(find_article(lxml.html.document_fromstring(html)),
                                      encoding="unicode")
    soup = BeautifulSoup(article_html, "lxml")
    conv = MarkdownConverter(heading_style=ATX, bullets="*", escape_underscores=False)
    md_str = ms(timed(lambda: markdownify(article_html, heading_style=ATX, bullets="*",
                                          escape_underscores=False), reps.medium))
    md_tree = ms(timed(lambda: conv.convert_soup(soup), reps.medium))
    with_md = ms(timed(lambda: parse_html(html, with_markdown=True), reps.medium))
    res.add(Row("parse", "parse.spot_md", "parse + records + markdown, spot.en", "ms", *with_md,
                reps.medium, floor=p[0] + md_tree[0],
                floor_label="parse + markdownify of a parsed tree"))
    res.add(Row("parse", "parse.markdownify_str", "markdownify alone, article HTML string", "ms",
                *md_str, reps.medium, note="parses the string again (html.parser)"))
    res.add(Row("parse", "parse.markdownify_tree", "markdownify alone, pre-parsed article tree",
                "ms", *md_tree, reps.medium))

    for (page, locale), body in fixture_pages().items():
        if SPOT.name == f"{page}.{locale}.html":
            continue  # the first row
        n = len(parse_html(body, with_markdown=False).records)
        floor = ms(timed(functools.partial(lxml.etree.fromstring, body, lxml.etree.HTMLParser()),
                         reps.fast))
        t = ms(timed(functools.partial(parse_html, body, with_markdown=False), reps.fast))
        res.add(Row("parse", f"parse.fixture.{page}.{locale}", f"parse + records, {page}.{locale}",
                    "ms", *t, reps.fast, floor=floor[0], floor_label="lxml.etree parse",
                    note=f"{len(body) // 1000} KB, {n} records"))


ZWSP = "\u200b"


def synthetic_page(n: int) -> str:
    """A Docusaurus-shaped page with ``n`` code headings, one bullet each (as tests do)."""
    from html import escape

    def heading(text: str, anchor: str) -> str:
        return (f'<h3 class="anchor anchorWithStickyNavbar_fMI7" id="{escape(anchor)}">{escape(text)}'
                f'<a class="hash-link" aria-label="Direct link to {escape(text)}" '
                f'href="/docs/x/error-code#{escape(anchor)}">{ZWSP}</a></h3>')

    body = '<h2 id="big">Big</h2>' + "".join(
        heading(f"-{100000 + i} CODE_{i}", f"-{100000 + i}-code_{i}") + f"<ul><li>Message {i}.</li></ul>"
        for i in range(n))
    return ('<!doctype html><html lang="en"><head><meta charset="UTF-8"><title>Error Codes</title>'
            '<link rel="canonical" href="https://developers.binance.com/docs/x/error-code"></head>'
            '<body><nav class="navbar">menu</nav><main><article>'
            '<nav class="theme-doc-breadcrumbs"><ul><li>Home</li></ul></nav>'
            f'<div class="theme-doc-markdown markdown"><h1>Error Codes</h1>{body}</div></article>'
            '</main></body></html>')


def bench_synthetic(res: Results, reps: Reps, full: bool) -> None:
    from scraper.parse import parse_html

    per_k: dict[int, float] = {}
    sizes = (1000, 2000, 5000, 10000)
    for n in sizes:
        html = synthetic_page(n)
        count = len(parse_html(html, with_markdown=False).records)
        if count != n:
            raise RuntimeError(f"synthetic page of {n} codes parsed into {count} records")
        r = reps.medium if n < 10000 else max(3, reps.slow)
        med, low = ms(timed(functools.partial(parse_html, html, with_markdown=False), r))
        per_k[n] = med / (n / 1000)
        res.add(Row("synthetic", f"synthetic.{n}", f"synthetic page, {n:,} codes: parse + records",
                    "ms", med, low, r, target=1000.0 if n == 10000 else None,
                    note=f"{per_k[n]:.1f} ms per 1k codes"))
    ratio = per_k[10000] / per_k[1000]
    res.add(Row("synthetic", "synthetic.linearity",
                "growth: ms per 1k codes at 10k ÷ at 1k (1.00 = linear)", "x", ratio, ratio, 1,
                target=1.5, floor=1.0, floor_label="linear",
                note=", ".join(f"{n // 1000}k: {v:.1f} ms/1k" for n, v in per_k.items())))
    html = synthetic_page(10000)
    r = max(2, reps.slow - 1)
    med, low = ms(timed(lambda: parse_html(html, with_markdown=True), r, warmup=0))
    res.add(Row("synthetic", "synthetic.10000_md",
                "synthetic page, 10,000 codes: parse + records + markdown", "ms", med, low, r,
                note="what a run does per page (validate parses with markdown)"))


def diff_inputs(n: int = 3000, seed: int = 42) -> tuple[list[Record], list[Record], dict[str, int]]:
    """``n`` records and an edited copy: messages edited, renames, renumbers, adds, removes."""
    rng = random.Random(seed)
    old = [Record(code=-(10000 + i), name=f"ERROR_{i}", section=f"{10 + i // 100}xx - Section",
                  messages=(f"Message number {i}.", f"Second line {i}."), message_langs=("en", "en"),
                  anchor=f"-{10000 + i}-error_{i}") for i in range(n)]
    new = list(old)
    idx = rng.sample(range(n), 60)
    edited, renamed, renumbered, removed = idx[:30], idx[30:40], idx[40:50], set(idx[50:60])
    for i in edited:
        new[i] = replace(old[i], messages=(f"Message number {i}, edited.", old[i].messages[1]))
    for i in renamed:
        new[i] = replace(old[i], name=f"RENAMED_{i}")
    for i in renumbered:
        new[i] = replace(old[i], code=-(50000 + i))
    new = [r for i, r in enumerate(new) if i not in removed]
    new += [Record(code=-(90000 + i), name=f"NEW_{i}", section="90xx - New", messages=("n",),
                   message_langs=("en",)) for i in range(10)]
    return old, new, {"messages_changed": 30, "renamed": 10, "renumbered": 10, "removed": 10, "added": 10}


def bench_diff(res: Results, reps: Reps, full: bool) -> None:
    from collections import Counter

    from scraper.diff import diff_records

    old, new, expected = diff_inputs()
    got = Counter(c.kind for c in diff_records("p", "en", old, new))
    if dict(got) != expected:
        raise RuntimeError(f"diff of the 3,000-record set: expected {expected}, got {dict(got)}")

    def plain() -> tuple[list[int | None], set[int | None], set[int | None]]:
        o = {r.code: r for r in old}
        n = {r.code: r for r in new}
        return [k for k in o.keys() & n.keys() if o[k] != n[k]], n.keys() - o.keys(), o.keys() - n.keys()

    floor = ms(timed(plain, reps.fast))
    t = ms(timed(lambda: diff_records("p", "en", old, new), reps.fast))
    row = res.add(Row("diff", "diff.3000", "diff_records, 3,000 records (60 edits)", "ms", *t,
                      reps.fast, target=None, floor=floor[0], floor_label="dict-by-code comparison",
                      note=", ".join(f"{v} {k}" for k, v in sorted(got.items()))))
    if row.met is False:
        res.diagnostics["diff.3000 profile (20 calls)"] = profile_top(
            lambda: [diff_records("p", "en", old, new) for _ in range(20)])
    res.add(Row("diff", "diff.plain", "floor: plain dict comparison, 3,000 records", "ms", *floor,
                reps.fast))
    if full:
        from deepdiff import DeepDiff

        a = [r.to_dict() for r in old]
        b = [r.to_dict() for r in new]
        dd = secs(timed(lambda: DeepDiff(a, b, ignore_order=True), 1, warmup=0))
        res.add(Row("diff", "diff.deepdiff", "contrast: DeepDiff(ignore_order=True), 3,000 records",
                    "s", *dd, 1, note="what not to do (STYLE.md, Traps measured)"))


CLI_FLOOR = "bare fetch + lxml script, paired"
INPROCESS_FLOOR = "bare fetch + lxml, in-process, paired"


def bench_run(res: Results, reps: Reps, full: bool) -> None:
    from scraper import pipeline
    from scraper.parse import parse_html

    with (Site() as site, tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp,
          run_floor(res, "run", site, reps, bench_config(site, Path(tmp)).concurrency) as floor):
        work = Path(tmp)
        cfg = bench_config(site, work)
        n = len(site.keys)
        day = 0

        def one(version: int, expect: str) -> dict[str, Any]:
            nonlocal day
            site.show(version)
            out = pipeline.run(cfg, pages=cfg.pages, locales=LOCALES, progress=False,
                               at=DAY0 + timedelta(days=day), command="benchmark")
            day += 1
            check_run(out.report, expect=expect, pages=n)
            return out.report

        start = time.perf_counter()
        one(0, "new")
        first = time.perf_counter() - start
        version = 0
        samples: list[float] = []
        floors: list[float] = []
        note = ""
        for _ in range(reps.slow):
            version += 1
            floors.append(floor.inprocess())
            start = time.perf_counter()
            rep = one(version, "changed")
            samples.append(time.perf_counter() - start)
            note = check_run(rep, expect="changed", pages=n)

        bodies = list(site.pages(0).values())
        parse_all = secs(timed(lambda: [parse_html(b) for b in bodies], max(2, reps.slow - 1),
                               warmup=0))
        res.add(Row("run", "run.changed.inprocess",
                    "errwatch run, 28 pages changed: pipeline.run() in-process", "s",
                    *secs(samples), reps.slow, floor=statistics.median(floors),
                    floor_label=INPROCESS_FLOOR,
                    note=f"{note}; first run (28 new) {first:.2f} s; parsing the 28 pages "
                         f"(records + markdown, 1 core) alone {parse_all[0]:.2f} s"))
        samples, floors = [], []
        for _ in range(reps.slow):
            version += 1
            site.show(version)
            floors.append(floor.cli())
            elapsed, proc = run_cli(cli_run_args(site, work, day), work)
            if proc.returncode != 0:
                raise RuntimeError(f"errwatch run exited {proc.returncode}: {proc.stderr.strip()}")
            note = check_run(cli_report(work, day), expect="changed", pages=n)
            day += 1
            samples.append(elapsed)
        cli_row = res.add(Row("run", "run.changed.cli",
                              "errwatch run, 28 pages changed: CLI subprocess (wall)", "s",
                              *secs(samples), reps.slow, ratio_target=5.0,
                              floor=statistics.median(floors), floor_label=CLI_FLOOR, note=note))
        if cli_row.met is False:
            def again() -> None:
                nonlocal version
                version += 1
                one(version, "changed")
            res.diagnostics["run.changed.inprocess profile"] = profile_top(again)
            version += 1
            site.show(version)
            code = ("import sys; from scraper.cli import main; "
                    f"sys.exit(main({cli_run_args(site, work, day)!r}))")
            res.diagnostics["run.changed.cli importtime"] = importtime_top(code, work)


def bench_notmodified(res: Results, reps: Reps, full: bool) -> None:
    from scraper import pipeline

    with (Site() as site, tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp,
          run_floor(res, "notmodified", site, reps,
                    bench_config(site, Path(tmp)).concurrency) as floor):
        work = Path(tmp)
        cfg = bench_config(site, work)
        n = len(site.keys)
        site.show(0)
        pipeline.run(cfg, pages=cfg.pages, locales=LOCALES, progress=False, at=DAY0,
                     command="benchmark")
        day = 1
        samples: list[float] = []
        floors: list[float] = []
        r = reps.medium
        note = ""
        for i in range(r + 1):  # the first one warms the page cache and .pyc files
            if i:
                floors.append(floor.cli())
            elapsed, proc = run_cli(cli_run_args(site, work, day), work)
            if proc.returncode != 0:
                raise RuntimeError(f"errwatch run exited {proc.returncode}: {proc.stderr.strip()}")
            note = check_run(cli_report(work, day), expect="not_modified", pages=n)
            day += 1
            if i:
                samples.append(elapsed)
        inproc: list[float] = []
        in_floors: list[float] = []
        for _ in range(r):
            in_floors.append(floor.inprocess())
            start = time.perf_counter()
            out = pipeline.run(cfg, pages=cfg.pages, locales=LOCALES, progress=False,
                               at=DAY0 + timedelta(days=day), command="benchmark")
            inproc.append(time.perf_counter() - start)
            check_run(out.report, expect="not_modified", pages=n)
            day += 1
        help_floor = min(run_cli(["--help"], work)[0] for _ in range(5))
        row = res.add(Row("notmodified", "run.304.cli",
                          "errwatch run, 28 pages 304 Not Modified: CLI subprocess (wall)", "s",
                          *secs(samples), r, ratio_target=2.0, floor=statistics.median(floors),
                          floor_label=CLI_FLOOR,
                          note=f"{note}; `errwatch --help` cold start {help_floor:.3f} s"))
        res.add(Row("notmodified", "run.304.inprocess",
                    "errwatch run, 28 pages 304: pipeline.run() in-process", "s", *secs(inproc), r,
                    floor=statistics.median(in_floors), floor_label=INPROCESS_FLOOR))
        if row.met is False:
            code = ("import sys; from scraper.cli import main; "
                    f"sys.exit(main({cli_run_args(site, work, day)!r}))")
            res.diagnostics["run.304.cli importtime"] = importtime_top(code, work)
            day += 1

            def again() -> None:
                nonlocal day
                pipeline.run(cfg, pages=cfg.pages, locales=LOCALES, progress=False,
                             at=DAY0 + timedelta(days=day), command="benchmark")
                day += 1
            res.diagnostics["run.304.inprocess profile"] = profile_top(again)


def check_reused(work: Path, pages: int) -> str:
    """Stop unless the newest snapshot stored every page's new HTML while it linked the
    records and markdown objects of the one before (article-level reuse)."""
    from scraper.store import SnapshotStore

    store = SnapshotStore(work / "snapshots")
    old_id, new_id = store.snapshot_ids()[-2:]
    old = {(e["page"], e["locale"]): e for e in store.manifest(old_id)["pages"]}
    reused = 0
    for e in store.manifest(new_id)["pages"]:
        before = old[(e["page"], e["locale"])]
        if e["html"] == before["html"]:
            raise RuntimeError(f"redeploy run: {e['page']}/{e['locale']} kept the old HTML")
        if (e["records"], e["markdown"]) == (before["records"], before["markdown"]):
            reused += 1
    if reused != pages:
        raise RuntimeError(f"redeploy run: only {reused} of {pages} pages reused their objects")
    return f"{pages} pages ok with a new shell, 0 changes, {reused} reused"


def bench_redeploy(res: Results, reps: Reps, full: bool) -> None:
    """Every page answers 200 with a new Docusaurus shell while no article changed."""
    from scraper import pipeline

    with (Site() as site, tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp,
          run_floor(res, "redeploy", site, reps,
                    bench_config(site, Path(tmp)).concurrency) as floor):
        work = Path(tmp)
        cfg = bench_config(site, work)
        n = len(site.keys)
        site.show(0)
        pipeline.run(cfg, pages=cfg.pages, locales=LOCALES, progress=False, at=DAY0,
                     command="benchmark")
        day = build = 1
        r = reps.slow
        samples: list[float] = []
        floors: list[float] = []
        note = ""
        for i in range(r + 1):  # the first one warms the page cache and .pyc files
            site.show(0, build)
            build += 1
            if i:
                floors.append(floor.cli())
            elapsed, proc = run_cli(cli_run_args(site, work, day), work)
            if proc.returncode != 0:
                raise RuntimeError(f"errwatch run exited {proc.returncode}: {proc.stderr.strip()}")
            check_run(cli_report(work, day), expect="redeploy", pages=n)
            note = check_reused(work, n)
            day += 1
            if i:
                samples.append(elapsed)

        def again() -> dict[str, Any]:
            nonlocal day, build
            site.show(0, build)
            build += 1
            out = pipeline.run(cfg, pages=cfg.pages, locales=LOCALES, progress=False,
                               at=DAY0 + timedelta(days=day), command="benchmark")
            day += 1
            return out.report

        inproc: list[float] = []
        in_floors: list[float] = []
        for _ in range(r):
            in_floors.append(floor.inprocess())
            start = time.perf_counter()
            rep = again()
            inproc.append(time.perf_counter() - start)
            check_run(rep, expect="redeploy", pages=n)
            check_reused(work, n)
        row = res.add(Row("redeploy", "run.redeploy.cli",
                          "errwatch run, 28 pages redeployed (new shell, same article): CLI "
                          "subprocess (wall)", "s", *secs(samples), r, ratio_target=3.0,
                          floor=statistics.median(floors), floor_label=CLI_FLOOR, note=note))
        res.add(Row("redeploy", "run.redeploy.inprocess",
                    "errwatch run, 28 pages redeployed: pipeline.run() in-process", "s",
                    *secs(inproc), r, floor=statistics.median(in_floors),
                    floor_label=INPROCESS_FLOOR))
        if row.met is False:
            res.diagnostics["run.redeploy.inprocess profile"] = profile_top(again)
            site.show(0, build)
            build += 1
            code = ("import sys; from scraper.cli import main; "
                    f"sys.exit(main({cli_run_args(site, work, day)!r}))")
            res.diagnostics["run.redeploy.cli importtime"] = importtime_top(code, work)


def bench_latency(res: Results, reps: Reps, full: bool) -> None:
    from scraper import pipeline
    from scraper.fetch import FetchRequest, FetchSettings, fetch_all

    with Site() as site, tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp:
        work = Path(tmp)
        cfg = bench_config(site, work, concurrency=4)
        n = len(site.keys)
        site.show(0)
        pipeline.run(cfg, pages=cfg.pages, locales=LOCALES, progress=False, at=DAY0,
                     command="benchmark")
        site.delay = DELAY
        rounds = math.ceil(n / cfg.concurrency)
        floor = rounds * DELAY
        samples = []
        version = 0
        for day in range(1, reps.slow + 1):
            version += 1
            site.show(version)
            start = time.perf_counter()
            crawled = pipeline.crawl(cfg, pages=cfg.pages, locales=LOCALES, progress=False,
                                     at=DAY0 + timedelta(days=day))
            samples.append(time.perf_counter() - start)
            bad = [o for o in crawled.outcomes if o.status != "ok"]
            if bad or len(crawled.outcomes) != n:
                raise RuntimeError(f"latency crawl: {len(bad)} pages not ok: {bad[:1]}")
        reqs = [FetchRequest(ref.id, loc, ref.url(loc, site.url)) for ref in cfg.pages for loc in LOCALES]
        settings = FetchSettings.from_config(cfg)
        fetch = secs(timed(lambda: fetch_all(reqs, settings), reps.slow, warmup=0))
        row = res.add(Row("latency", "latency.crawl",
                          f"crawl, every response +{int(DELAY * 1000)} ms, concurrency 4, 28 changed",
                          "s", *secs(samples), reps.slow, target=2.5, floor=floor,
                          floor_label=f"{rounds} rounds × {DELAY:g} s",
                          note=f"fetch_all alone {fetch[0]:.2f} s"))
        res.add(Row("latency", "latency.fetch", "fetch_all alone, same delay (no parse/store)", "s",
                    *fetch, reps.slow, floor=floor, floor_label=f"{rounds} rounds × {DELAY:g} s"))
        if not row.met:
            def again() -> None:
                nonlocal version
                version += 1
                site.show(version)
                pipeline.crawl(cfg, pages=cfg.pages, locales=LOCALES, progress=False,
                               at=DAY0 + timedelta(days=100 + version))
            res.diagnostics["latency.crawl"] = profile_top(again)


def bench_startup(res: Results, reps: Reps, full: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp:
        work = Path(tmp)
        run_cli(["--help"], work)  # .pyc files, page cache
        samples = []
        for _ in range(reps.startup):
            elapsed, proc = run_cli(["--help"], work)
            if proc.returncode != 0 or "usage: errwatch" not in proc.stdout:
                raise RuntimeError(f"errwatch --help failed: {proc.stderr.strip()}")
            samples.append(elapsed)
        bare = [run_cli(["-c", "pass"], work, prefix=[sys.executable])[0] for _ in range(reps.startup)]
        med, low = ms(samples)
        row = res.add(Row("startup", "startup.help", f"`errwatch --help` cold start (best of {reps.startup})",
                          "ms", med, low, reps.startup, target=150.0, floor=min(bare) * 1000,
                          floor_label="`python -c pass`", use_min=True))
        if not row.met:
            res.diagnostics["startup.help importtime"] = importtime_top(
                "from scraper.cli import main; main(['--help'])", work)


def bench_storage(res: Results, reps: Reps, full: bool) -> None:
    from scraper.parse import parse_html
    from scraper.store import SnapshotStore

    registry, keys, pages = site_pages()
    refs = {r.id: r for r in registry}
    base = {(page, locale): (refs[page].url_path(locale), pages[refs[page].url_path(locale)])
            for page, locale in keys}

    def ok(key: tuple[str, str], body: bytes) -> PageOutcome:
        parsed = parse_html(body, page=key[0], locale=key[1])
        return PageOutcome(page=key[0], locale=key[1], url="https://developers.binance.com" + base[key][0],
                           status="ok", http_status=200, etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
                           records=parsed.records, markdown=parsed.markdown, raw_html=body)

    current = {key: ok(key, body) for key, (_, body) in base.items()}
    days = reps.days
    change_days = {round(days * (i + 1) / 6) for i in range(5)}  # 5 real changes, spread out
    keys = sorted(keys)

    with tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp:
        store = SnapshotStore(Path(tmp) / "snapshots", durable=False)
        seen: set[tuple[int, int]] = set()
        unchanged_apparent: list[int] = []
        unchanged_du: list[int] = []
        change_apparent: list[int] = []
        write_times: list[float] = []
        previous: dict[tuple[str, str], str | None] = dict.fromkeys(keys)
        for day in range(days):
            at = DAY0 + timedelta(days=day)
            if day == 0:
                outcomes = list(current.values())
            else:
                changed = keys[(day * 7) % len(keys)] if day in change_days else None
                outcomes = []
                for key in keys:
                    if key == changed:
                        current[key] = ok(key, edit_message(base[key][1], day))
                        outcomes.append(current[key])
                    else:
                        o = current[key]
                        outcomes.append(PageOutcome(page=o.page, locale=o.locale, url=o.url,
                                                    status="not_modified", http_status=304, etag=o.etag))
            with store.lock():
                sid = store.new_id(at)
                start = time.perf_counter()
                folder = store.write_snapshot(sid, at, outcomes, previous)
                elapsed = time.perf_counter() - start
                store.mark_reported(sid, sid)  # a whole run: the .reported marker counts too
            previous = dict.fromkeys(keys, sid)
            apparent = du = 0
            dstat = folder.stat()
            apparent += dstat.st_blocks * 512  # the folder itself: `du` of the new snapshot dir
            du += dstat.st_blocks * 512
            for root in (folder, store.objects_dir):
                for dirpath, _, files in os.walk(root):
                    for name in files:
                        st = os.stat(os.path.join(dirpath, name))
                        if (st.st_dev, st.st_ino) in seen:
                            continue
                        seen.add((st.st_dev, st.st_ino))
                        apparent += st.st_size
                        du += st.st_blocks * 512
            if day == 0:
                continue
            if day in change_days:
                change_apparent.append(apparent)
            else:
                unchanged_apparent.append(apparent)
                unchanged_du.append(du)
                write_times.append(elapsed)
        total = 0
        inodes: set[tuple[int, int]] = set()
        for dirpath, dirs, files in os.walk(store.root):
            for name in [*dirs, *files]:
                st = os.lstat(os.path.join(dirpath, name))
                if (st.st_dev, st.st_ino) not in inodes:
                    inodes.add((st.st_dev, st.st_ino))
                    total += st.st_blocks * 512

    kb = 1000.0
    res.add(Row("storage", "storage.unchanged_day",
                f"snapshots/ growth per unchanged day (new files + dir `du`), {days} days",
                "KB", statistics.median(unchanged_apparent) / kb, min(unchanged_apparent) / kb,
                len(unchanged_apparent), target=10.0,
                note=f"max {max(unchanged_apparent) / kb:.1f} KB; 5 change days: median "
                     f"{statistics.median(change_apparent) / kb:.0f} KB"))
    res.add(Row("storage", "storage.unchanged_day_du", "snapshots/ `du` growth per unchanged day",
                "KB", statistics.median(unchanged_du) / kb, min(unchanged_du) / kb, len(unchanged_du)))
    res.add(Row("storage", "storage.total", f"snapshots/ `du` after {days} days (5 changes)", "MB",
                total / 1e6, total / 1e6, 1))
    res.add(Row("storage", "storage.write", "write_snapshot, unchanged day (durable=False)", "ms",
                *ms(write_times), len(write_times)))


def bench_index(res: Results, reps: Reps, full: bool) -> None:
    from scraper.models import Change
    from scraper.report import SUMMARY_CACHE, build_report, report_json, write_index

    refs = build_registry()
    outcomes = [PageOutcome(page=r.id, locale=loc, url=r.url(loc), status="not_modified",
                            http_status=304) for r in refs for loc in LOCALES]
    quiet = report_json(build_report(snapshot_id="X", old_snapshot=None, per_page_baselines={},
                                     outcomes=outcomes, changes=[], effective={}))
    n = reps.reports
    change_every = max(1, n // 5)
    with tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp:
        root = Path(tmp) / "reports"
        for day in range(n):
            sid = (DAY0 + timedelta(days=day)).strftime("%Y%m%dT%H%M%SZ")
            folder = root / sid
            folder.mkdir(parents=True)
            if day % change_every == change_every - 1:
                change = Change("messages_changed", "spot", "en", code=-1000, name="UNKNOWN",
                                added_messages=("An unknown error occurred.",))
                text = report_json(build_report(snapshot_id=sid, old_snapshot=None,
                                                per_page_baselines={}, outcomes=outcomes,
                                                changes=[change], effective={}))
            else:
                text = quiet.replace('"X"', f'"{sid}"')
            (folder / "report.json").write_text(text, "utf-8")
            (folder / "report.html").write_text("<!doctype html><title>r</title>", "utf-8")

        def drop_caches() -> None:
            for cache in root.glob(f"*/{SUMMARY_CACHE}"):
                cache.unlink()

        r = reps.medium
        ms_cold = ms(timed(lambda: write_index(root), r, setup=drop_caches))
        ms_warm = ms(timed(lambda: write_index(root), r))
        size = (root / "index.html").stat().st_size
    res.add(Row("index", "index.warm", f"reports/index.html over {n} reports (summaries cached)",
                "ms", *ms_warm, r, note=f"index.html {size // 1000} KB"))
    res.add(Row("index", "index.cold", f"reports/index.html over {n} reports (no summary cache)",
                "ms", *ms_cold, r))


def bench_memory(res: Results, reps: Reps, full: bool) -> None:
    with Site() as site, tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp:
        work = Path(tmp)
        n = len(site.keys)
        help_mb, _, _ = peak_rss_mb([*cli_command(), "--help"], work)
        site.show(0)
        first_mb, code, err = peak_rss_mb([*cli_command(), *cli_run_args(site, work, 0)], work)
        if code != 0:
            raise RuntimeError(f"errwatch run exited {code}: {err.strip()}")
        check_run(cli_report(work, 0), expect="new", pages=n)
        site.show(1)
        mb, code, err = peak_rss_mb([*cli_command(), *cli_run_args(site, work, 1)], work)
        if code != 0:
            raise RuntimeError(f"errwatch run exited {code}: {err.strip()}")
        note = check_run(cli_report(work, 1), expect="changed", pages=n)
        site.show(1, build=1)  # the same articles in a new shell: nothing is parsed
        redeploy_mb, code, err = peak_rss_mb([*cli_command(), *cli_run_args(site, work, 2)], work)
        if code != 0:
            raise RuntimeError(f"errwatch run exited {code}: {err.strip()}")
        check_run(cli_report(work, 2), expect="redeploy", pages=n)
        check_reused(work, n)
    res.add(Row("memory", "memory.run", "peak RSS, `errwatch run` of 28 changed pages (subprocess)",
                "MB", mb, mb, 1, target=150.0, floor=help_mb, floor_label="`errwatch --help`",
                note=f"{note}; first run (28 new) {first_mb:.0f} MB; redeploy run (28 new "
                     f"shells, nothing parsed) {redeploy_mb:.0f} MB"))


def check_inputs(work: Path, entries: int = 1000) -> tuple[Path, Path, list[str]]:
    """A 28-page catalogue (14 pages x 2 locales, 200 codes each) and a ccxt-style table of
    ``entries`` codes in 14 sections, one mapped to each page, with a few defects."""
    pages = [p.id for p in build_registry()]
    doc: dict[str, Any] = {"tool": "errwatch", "schema": 1, "snapshot": "20261121T060000Z", "pages": []}
    for i, page in enumerate(pages):
        for locale in LOCALES:
            records = [{"code": -(10000 + i * 1000 + j), "name": f"ERROR_{i}_{j}", "section": "s",
                        "messages": [f"Message {j} of page {i}: %s."], "message_langs": ["en"],
                        "description": None, "anchor": f"-{10000 + i * 1000 + j}-error_{i}_{j}",
                        "first_seen": "20250301T060000Z", "last_changed": "20250301T060000Z"}
                       for j in range(200)]
            doc["pages"].append({"page": page, "locale": locale, "url": f"https://x/{page}",
                                 "fetched_at": None, "records": records})
    cat = work / "catalogue.json"
    cat.write_text(json.dumps(doc), "utf-8")
    per = entries // len(pages) + 1
    lines = ["class exchange:", "    def describe(self):", "        return {'exceptions': {"]
    n = 0
    for i, page in enumerate(pages):
        lines.append(f"            'sec{i}': {{'exact': {{")
        for j in range(per):
            if n == entries:
                break
            code = -(10000 + i * 1000 + j) if j % 50 else (10000 + i * 1000 + j)  # some sign typos
            lines.append(f"                '{code}': BadRequest,  # "
                         f'{{"code":{code},"msg":"Message {j} of page {i}: 7."}}')
            n += 1
        lines.append("            }},")
    lines.append("        }}")
    table = work / "table.py"
    table.write_text("\n".join(lines) + "\n", "utf-8")
    maps = [f"--map=sec{i}={page}" for i, page in enumerate(pages)]
    return cat, table, maps


def bench_check(res: Results, reps: Reps, full: bool) -> None:
    from scraper.cli import main

    with tempfile.TemporaryDirectory(prefix="errwatch-bench-") as tmp:
        cat, table, maps = check_inputs(Path(tmp))
        out = io.StringIO()

        def once() -> int:
            out.seek(0)
            out.truncate()
            with contextlib.redirect_stdout(out):
                return main(["check", str(table), "--against", str(cat), *maps, "--format", "json"])

        if once() != 1:
            raise RuntimeError("errwatch check: the benchmark table's sign typos were not found")
        doc = json.loads(out.getvalue())
        if doc["summary"]["sign"] < 14 or doc["summary"]["message_mismatch"]:
            raise RuntimeError(f"errwatch check: expected sign findings, got {doc['summary']}")
        t = secs(timed(once, reps.medium))
        res.add(Row("check", "check.1000", "errwatch check: 1,000-entry table against 28 pages",
                    "s", *t, reps.medium, target=0.5,
                    note=f"{sum(doc['summary'].values())} findings (json)"))


BENCHES: dict[str, Callable[[Results, Reps, bool], None]] = {
    "parse": bench_parse,
    "synthetic": bench_synthetic,
    "diff": bench_diff,
    "run": bench_run,
    "notmodified": bench_notmodified,
    "redeploy": bench_redeploy,
    "latency": bench_latency,
    "startup": bench_startup,
    "storage": bench_storage,
    "index": bench_index,
    "memory": bench_memory,
    "check": bench_check,
}


# ------------------------------------------------------------------------------ output


def environment(quick: bool) -> dict[str, Any]:
    import lxml.etree

    def version(mod: str) -> str:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as v
        try:
            return v(mod)
        except PackageNotFoundError:
            return "?"

    commit = "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        def git(*args: str) -> str:
            return subprocess.run(["git", *args], check=False, cwd=ROOT, capture_output=True,
                                  text=True, timeout=10).stdout.strip()

        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
        commit = (head + ("+dirty" if dirty else "")) or "?"
    return {
        "errwatch": __version__,
        "commit": commit,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION[:3])),
        "beautifulsoup4": version("beautifulsoup4"),
        "markdownify": version("markdownify"),
        "mode": "quick" if quick else "full",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "tmp": tempfile.gettempdir(),
        "subprocess_bytecode": ("private PYTHONPYCACHEPREFIX, primed" if Bytecode.enabled else
                                "as the environment has it (PYTHONDONTWRITEBYTECODE="
                                f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})"),
    }


def _met(row: Row) -> str:
    return {True: "yes", False: "**no**", None: "—"}[row.met]


def _floor(row: Row) -> str:
    if row.floor is None:
        return "—"
    return f"{_fmt(row.floor, row.unit)} ({row.floor_label})" if row.floor_label else _fmt(row.floor, row.unit)


def _target(row: Row) -> str:
    parts = []
    if row.target is not None:
        parts.append(f"≤ {_fmt(row.target, row.unit)}")
    if row.ratio_target is not None:
        parts.append(f"≤ {row.ratio_target:g}× floor")
    return ", ".join(parts) or "—"


def _ratio(row: Row) -> str:
    return "—" if row.ratio is None else f"{row.ratio:.2f}×"


def markdown_table(rows: Sequence[Row], env: dict[str, Any]) -> str:
    quick = " --quick" if env["mode"] == "quick" else ""
    lines = [
        (f"Measured {env['date']} by `python benchmarks/run.py{quick}` on {env['cpus']} CPUs, "
         f"Python {env['python']}, {env['platform']} (errwatch {env['errwatch']}, commit "
         f"{env['commit']}; lxml {env['lxml']}, beautifulsoup4 {env['beautifulsoup4']}, "
         f"markdownify {env['markdownify']}); subprocess bytecode: "
         f"{env['subprocess_bytecode']}."),
        "",
        "| figure | median | min | target | floor | ÷ floor | met |",
        "|---|---:|---:|---:|---|---:|:---:|",
    ]
    for r in rows:
        med = _fmt(r.median, r.unit)
        low = _fmt(r.min, r.unit)
        if r.use_min:
            low = f"**{low}**"
        label = r.label.replace("|", "\\|")
        lines.append(f"| {label} | {med} | {low} | {_target(r)} | {_floor(r)} | {_ratio(r)} "
                     f"| {_met(r)} |")
    return "\n".join(lines) + "\n"


def text_table(rows: Sequence[Row]) -> str:
    head = ("figure", "median", "min", "target", "floor", "÷ floor", "met")
    body = [(r.label, _fmt(r.median, r.unit), _fmt(r.min, r.unit), _target(r), _floor(r),
             _ratio(r), {True: "yes", False: "NO", None: ""}[r.met]) for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for line in body:
        out.append("  ".join(c.ljust(w) if i in (0, 4) else c.rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))).rstrip())
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions, 60 storage days, no DeepDiff contrast")
    p.add_argument("--only", metavar="GROUPS",
                   help=f"comma-separated groups to run (default all): {', '.join(GROUPS)}")
    p.add_argument("--json", metavar="FILE", help="write rows, environment and diagnostics as JSON")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--fail-on-miss", action="store_true",
                   help="exit 1 when a figure misses its target (default: exit 0)")
    p.add_argument("--no-pycache", action="store_true",
                   help="subprocesses use the environment's bytecode settings as they are "
                        "(default: a private, primed PYTHONPYCACHEPREFIX)")
    p.add_argument("--list", action="store_true", help="list the groups and exit")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        print("\n".join(GROUPS))
        return 0
    groups = list(GROUPS)
    if args.only:
        groups = [g.strip() for g in args.only.split(",") if g.strip()]
        unknown = [g for g in groups if g not in BENCHES]
        if unknown:
            sys.stderr.write(f"benchmarks/run.py: unknown group {unknown[0]!r}; use: {', '.join(GROUPS)}\n")
            return 2
    reps = QUICK if args.quick else FULL
    Bytecode.enabled = not args.no_pycache
    env = environment(args.quick)
    res = Results()
    try:
        for group in groups:
            log(f"[{group}]")
            BENCHES[group](res, reps, not args.quick)
    finally:
        Bytecode.cleanup()

    if args.markdown:
        sys.stdout.write(markdown_table(res.rows, env))
    else:
        print(f"errwatch {env['errwatch']} ({env['commit']}), Python {env['python']}, "
              f"{env['cpus']} CPUs, {env['mode']} mode")
        print(text_table(res.rows))
        for r in res.rows:
            if r.note:
                print(f"  {r.key}: {r.note}")
    for key, text in res.diagnostics.items():
        out = sys.stderr if args.markdown else sys.stdout
        out.write(f"\n--- {key} ---\n{text}\n")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"environment": env, "rows": [r.to_dict() for r in res.rows],
             "diagnostics": res.diagnostics}, ensure_ascii=False, indent=1) + "\n", "utf-8")
    missed = [r for r in res.rows if r.met is False]
    if missed:
        log(f"{len(missed)} figure(s) missed their target: {', '.join(r.key for r in missed)}")
    return 1 if (missed and args.fail_on_miss) else 0


if __name__ == "__main__":
    sys.exit(main())
