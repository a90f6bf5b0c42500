"""report.py: report.json / report.md goldens on one scenario, HTML sections, escaping.

The scenario is the product's own example: INVALID_PAIR renumbered -4087 -> -4144 on
USDⓈ-M, a rename, a removed and an added code, an edited message (carrying HTML that must
stay text), a zh-CN gap and one failed page.  Goldens live in tests/fixtures/golden/;
regenerate them with ``ERRWATCH_UPDATE_GOLDEN=1 pytest tests/test_report.py`` and review
the diff.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from scraper import __version__
from scraper.models import Change, PageOutcome, Record
from scraper.report import (
    SUMMARY_CACHE,
    build_report,
    render_github,
    render_html,
    render_markdown,
    report_json,
    word_diff,
    write_index,
    write_reports,
)

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
OLD, NEW = "20260101T060000Z", "20260201T060000Z"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
# Payloads the browser test watches for: they would set a flag if they ever ran.
PWN_SCRIPT = "<script>window.__pwned=1;document.title='pwned'</script>"
PWN_IMG = "<img src=x onerror=\"window.__pwned=1;document.title='pwned'\">"
COMMAND = "errwatch run --fail-on breaking"


def R(
    code: int | None,
    name: str | None,
    section: str = "10xx - General",
    msgs: tuple[str, ...] = ("m",),
    langs: tuple[str, ...] | None = None,
    anchor: str | None = None,
) -> Record:
    return Record(
        code, name, section, tuple(msgs), tuple(langs or ("en",) * len(msgs)), None, anchor
    )


def scenario() -> dict[str, Any]:
    """Keyword arguments for build_report (changes built directly, as diff.py would)."""
    coin_en = [
        R(-1000, "UNKNOWN"),
        R(
            -1008,
            "Request Throttled",
            msgs=(
                "Server is currently overloaded.",
                "Request throttled by system-level protection.",
            ),
        ),
        R(-1010, "ERROR_MSG_RECEIVED", section="11xx - Request issues"),
        R(-4087, "INVALID_PAIR", section="40xx - Filters"),
    ]
    coin_zh = [
        R(-1000, "UNKNOWN"),
        R(
            -1008,
            "Request Throttled",
            msgs=(
                "Server is currently overloaded.",
                "服务器当前请求过多。",
                "Request throttled by system-level protection.",
            ),
            langs=("en", "zh", "en"),
        ),
        R(-4087, "INVALID_PAIR", section="40xx - Filters"),
    ]
    usds = [
        R(-1000, "UNKNOWN"),
        R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", section="40xx - Filters"),
        R(-4144, "INVALID_PAIR", section="40xx - Filters"),
    ]
    spot = [
        R(-1000, "UNKNOWN"),
        R(
            -1013,
            "INVALID_MESSAGE",
            msgs=("Filter failure: LOT_SIZE or MIN_NOTIONAL " + SCRIPT, IMG, PWN_SCRIPT, PWN_IMG),
        ),
        R(-1200, "NEW_LIMIT"),
        R(-2013, "ORDER_DOES_NOT_EXIST", section="20xx - Processing Issues"),
    ]
    options_baseline = [R(-1001, "UNKNOWN")]  # the page failed: its baseline stays effective
    effective = {
        ("coin-futures", "en"): coin_en,
        ("coin-futures", "zh-CN"): coin_zh,
        ("usds-futures", "en"): usds,
        ("usds-futures", "zh-CN"): usds,
        ("portfolio-margin", "en"): usds,
        ("spot", "en"): spot,
        ("options", "en"): options_baseline,
    }
    base = "https://developers.binance.com/docs/"
    paths = {
        "coin-futures": "derivatives/coin-margined-futures/error-code",
        "usds-futures": "derivatives/usds-margined-futures/error-code",
        "portfolio-margin": "derivatives/portfolio-margin/error-code",
        "spot": "binance-spot-api-docs/errors",
        "options": "derivatives/options-trading/error-code",
    }
    outcomes = []
    for (page, locale), recs in effective.items():
        url = base + ("" if locale == "en" else "zh-CN/") + paths[page]
        if page == "options":
            outcomes.append(
                PageOutcome(
                    page, locale, url, "failed", reason="HTTP 503 after 3 retries " + PWN_SCRIPT
                )
            )
        elif page == "portfolio-margin":
            outcomes.append(PageOutcome(page, locale, url, "not_modified", http_status=304))
        else:
            outcomes.append(
                PageOutcome(page, locale, url, "ok", http_status=200, records=tuple(recs))
            )
    changes = [
        Change(
            "added",
            "spot",
            "en",
            code=-1200,
            name="NEW_LIMIT",
            section="10xx - General",
            anchor="-1200-new_limit",
        ),
        Change(
            "messages_changed",
            "spot",
            "en",
            code=-1013,
            name="INVALID_MESSAGE",
            added_messages=(
                "Filter failure: LOT_SIZE or MIN_NOTIONAL " + SCRIPT,
                IMG,
                PWN_SCRIPT,
                PWN_IMG,
            ),
            removed_messages=("Filter failure: LOT_SIZE",),
            anchor="-1013-invalid_message",
        ),
        Change("removed", "spot", "en", code=-1099, name="NOT_FOUND", section="10xx - General"),
        Change(
            "renamed",
            "spot",
            "en",
            code=-2013,
            old_name="NO_SUCH_ORDER",
            new_name="ORDER_DOES_NOT_EXIST",
            anchor="-2013-order_does_not_exist",
        ),
        Change(
            "renamed",
            "usds-futures",
            "en",
            code=-4087,
            old_name="INVALID_PAIR",
            new_name="REDUCE_ONLY_ORDER_PERMISSION",
            anchor="-4087-reduce_only_order_permission",
        ),
        Change(
            "renumbered",
            "usds-futures",
            "en",
            name="INVALID_PAIR",
            old_code=-4087,
            new_code=-4144,
            anchor="-4144-invalid_pair",
        ),
        Change(
            "section_changed",
            "coin-futures",
            "en",
            code=-1010,
            name="ERROR_MSG_RECEIVED",
            old_section="10xx - General",
            new_section="11xx - Request issues",
            anchor="-1010-error_msg_received",
        ),
    ]
    per_page = {f"{p}/{loc}": OLD for (p, loc) in effective if p != "options"}
    per_page["options/en"] = "20251201T060000Z"
    return {
        "snapshot_id": NEW,
        "old_snapshot": OLD,
        "per_page_baselines": per_page,
        "outcomes": outcomes,
        "changes": changes,
        "effective": effective,
        "generic_names": ("UNKNOWN",),
        "command": COMMAND,
    }


def scenario_report() -> dict[str, Any]:
    return build_report(**scenario())


HISTORY = {
    "spot/en": [("20251101T060000Z", 101), ("20251201T060000Z", 102), (OLD, 103), (NEW, 104)],
    "usds-futures/en": [(OLD, 3), (NEW, 3)],
}


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ERRWATCH_UPDATE_GOLDEN"):
        path.write_text(text, "utf-8")
    assert path.exists(), f"golden {path} missing: run with ERRWATCH_UPDATE_GOLDEN=1"
    assert text == path.read_text("utf-8"), (
        f"{name} differs from the golden (ERRWATCH_UPDATE_GOLDEN=1 to accept)"
    )


# ---------------------------------------------------------------------------- report.json


def test_report_json_golden() -> None:
    _golden("report.json", report_json(scenario_report()).replace(__version__, "<version>"))


def test_report_json_shape_follows_architecture() -> None:
    r = scenario_report()
    assert list(r) == [
        "tool",
        "id",
        "old",
        "new",
        "summary",
        "pages",
        "changes",
        "section_moves",
        "cross_page",
        "shared_list_pages",
        "locale_gaps",
    ]
    assert r["tool"] == {"name": "errwatch", "version": __version__, "command": COMMAND}
    s = r["summary"]
    assert s["changes"] == 7 and s["breaking"] == 4 and s["drift"] == "breaking"
    assert (
        s["by_kind"]["renumbered"] == 1
        and s["by_kind"]["renamed"] == 2
        and s["by_kind"]["description_changed"] == 0
    )
    assert s["pages"] == {"ok": 5, "not_modified": 1, "failed": 1, "quarantined": 0}
    assert list(r["pages"][0]) == [
        "page",
        "locale",
        "url",
        "status",
        "reason",
        "record_count",
        "baseline",
    ]
    pm = next(p for p in r["pages"] if p["page"] == "portfolio-margin")
    assert pm["record_count"] == 3  # not_modified without records: counted from the effective state
    failed = next(p for p in r["pages"] if p["status"] == "failed")
    assert failed["record_count"] is None and failed["baseline"] == "20251201T060000Z"
    order = [(c["page"], c["locale"], c["kind"]) for c in r["changes"]]
    assert order == [
        ("coin-futures", "en", "section_changed"),
        ("spot", "en", "renamed"),
        ("spot", "en", "removed"),
        ("spot", "en", "added"),
        ("spot", "en", "messages_changed"),
        ("usds-futures", "en", "renumbered"),
        ("usds-futures", "en", "renamed"),
    ]
    pair = next(
        e
        for e in r["cross_page"]
        if e["kind"] == "same_name_different_code" and e["name"] == "INVALID_PAIR"
    )
    assert pair["codes"] == {
        "coin-futures": -4087,
        "portfolio-margin": -4144,
        "usds-futures": -4144,
    }
    assert {
        "page": "coin-futures",
        "code": -1010,
        "name": "ERROR_MSG_RECEIVED",
        "kind": "missing",
        "missing_in": "zh-CN",
    } in r["locale_gaps"]


def test_report_json_is_stable_and_utf8(tmp_path: Path) -> None:
    out = write_reports(scenario_report(), tmp_path, formats=("json",))
    first = (out / "report.json").read_bytes()
    write_reports(scenario_report(), tmp_path, formats=("json",))
    assert (out / "report.json").read_bytes() == first
    assert "服务器" not in first.decode() and "\\u" not in first.decode()
    assert json.loads(first) == scenario_report()


def test_no_changes_means_no_drift() -> None:
    kw = scenario()
    kw["changes"] = []
    r = build_report(**kw)
    assert r["summary"]["drift"] == "none" and r["summary"]["changes"] == 0
    kw["changes"] = [Change("added", "spot", "en", code=-1, name="X")]
    assert build_report(**kw)["summary"]["drift"] == "any"


# ---------------------------------------------------------------------------- markdown / github


def test_report_md_golden() -> None:
    _golden("report.md", render_markdown(scenario_report()))


def test_markdown_breaking_first_and_truncated() -> None:
    kw = scenario()
    kw["changes"] = list(kw["changes"]) + [
        Change("added", "wallet", "en", code=-9000 - i, name=f"NEW_{i}") for i in range(40)
    ]
    md = render_markdown(build_report(**kw), report_link="https://example.test/r/report.html")
    assert (
        md.index("**Breaking**") < md.index("**Other changes**") < md.index("**Pages not checked**")
    )
    assert "… and 13 more" in md  # 43 other changes, 30 shown
    assert md.rstrip().endswith("Full report: https://example.test/r/report.html")
    assert len(md.splitlines()) < 70


def test_markdown_escapes_page_text() -> None:
    md = render_markdown(scenario_report())
    assert "<script>" not in md and "<img" not in md
    assert "HTTP 503 after 3 retries \\<script\\>" in md


def test_github_annotations() -> None:
    lines = render_github(scenario_report()).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == 4 and len(warnings) == 3 + 1
    assert (
        "::error title=errwatch%3A renumbered on usds-futures (en)::INVALID_PAIR: -4087 → -4144"
        in lines
    )
    assert any("options en failed: HTTP 503" in w for w in warnings)


def test_github_escapes_workflow_command_data() -> None:
    r = scenario_report()
    r["changes"] = [Change("added", "spot", "en", code=-1, name="A%B:C,D").to_dict()]
    r["pages"] = [
        {"page": "spot", "locale": "en", "status": "quarantined", "reason": "lost 90%\r\nof codes"}
    ]
    lines = render_github(r).splitlines()
    assert lines == [
        "::warning title=errwatch%3A added on spot (en)::-1 A%25B:C,D",
        "::warning title=errwatch%3A spot (en) quarantined::spot en quarantined: lost 90%25%0D%0Aof codes",
    ]


# ---------------------------------------------------------------------------- html


class _Sections(HTMLParser):
    """Collect (data-kind, data-code, enclosing data-group, enclosing page id) of each change."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.found: list[tuple[str | None, str | None, str | None, str | None]] = []
        self.scripts = 0
        self.imgs = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.scripts += tag == "script"
        self.imgs += tag == "img"
        self.handlers += [k for k in a if k.startswith("on")]
        if tag in ("section", "tr", "li"):
            self.stack.append({"tag": tag, **a})
            if "change" in (a.get("class") or "").split():
                group = next(
                    (s.get("data-group") for s in reversed(self.stack) if s.get("data-group")), None
                )
                page = next(
                    (
                        s.get("id")
                        for s in reversed(self.stack)
                        if "page" in (s.get("class") or "").split()
                    ),
                    None,
                )
                self.found.append((a.get("data-kind"), a.get("data-code"), group, page))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("section", "tr", "li"):
            while self.stack:
                if self.stack.pop()["tag"] == tag:
                    break


def test_html_puts_each_change_in_its_section() -> None:
    html = render_html(scenario_report(), HISTORY)
    p = _Sections()
    p.feed(html)
    assert sorted(p.found, key=str) == sorted(
        [
            ("section_changed", "-1010", "sections", "p-coin-futures-en"),
            ("renamed", "-2013", "renumbered-renamed", "p-spot-en"),
            ("removed", "-1099", "added-removed", "p-spot-en"),
            ("added", "-1200", "added-removed", "p-spot-en"),
            ("messages_changed", "-1013", "messages", "p-spot-en"),
            ("renumbered", "-4144", "renumbered-renamed", "p-usds-futures-en"),
            ("renamed", "-4087", "renumbered-renamed", "p-usds-futures-en"),
        ],
        key=str,
    )


def test_html_escapes_everything_from_pages() -> None:
    r = scenario_report()
    r["changes"].append(
        Change(
            "renamed",
            "spot",
            "en",
            code=-1,
            old_name="A_" + SCRIPT,
            new_name=IMG + "_B",
            anchor='x"><script>',
        ).to_dict()
    )
    r["cross_page"].append(
        {
            "kind": "same_name_different_code",
            "locale": "en",
            "name": "N_" + IMG,
            "codes": {"spot": -1, "wallet": [-2, -3]},
            "generic": False,
        }
    )
    html = render_html(r, HISTORY)
    p = _Sections()
    p.feed(html)
    assert p.scripts == 1 and p.imgs == 0 and p.handlers == []  # the one: errwatch's own filter
    assert _own_script_only(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert SCRIPT not in html and IMG not in html and PWN_IMG not in html
    assert "A_<wbr>&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'errors#x&#34;&gt;&lt;script&gt;" rel=' in html  # an anchor cannot leave its attribute


def _own_script_only(html: str) -> bool:
    """Exactly one <script>, byte-identical to scraper/templates/_filter.js, whose SHA-256
    is the only script source the page's CSP allows (and the style sheet likewise)."""
    import base64
    import hashlib

    templates = Path(__file__).parent.parent / "scraper" / "templates"
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    styles = re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    [policy] = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    policy = policy.replace("&#39;", "'")

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    return (
        scripts == [(templates / "_filter.js").read_text("utf-8")]
        and len(styles) == 1
        and f"script-src {sha(scripts[0])};" in policy
        and f"style-src {sha(styles[0])};" in policy
        and "default-src 'none'" in policy
        and "unsafe-inline" not in policy
    )


def test_html_summary_links_and_stamp() -> None:
    r = scenario_report()
    html = render_html(r, HISTORY)
    for key, value in (
        ("sum-changes", 7),
        ("sum-breaking", 4),
        ("sum-kind-renamed", 2),
        ("sum-pages-failed", 1),
        ("sum-locale-gaps", len(r["locale_gaps"])),
    ):
        assert re.search(rf'id="{key}" data-value="{value}"', html), key
    assert 'id="sum-drift" data-value="breaking"' in html
    assert 'id="page-problems"' in html and "HTTP 503 after 3 retries" in html
    assert f"errwatch {__version__}" in html
    assert (
        'errwatch run <span class="opt">--fail-on breaking</span>' in html
    )  # one unbreakable option
    assert NEW in html and OLD in html
    assert (
        'href="https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code'
        '#-4144-invalid_pair"'
    ) in html
    # cross-page codes and zh-CN gaps link to live anchors too
    assert (
        'href="https://developers.binance.com/docs/derivatives/coin-margined-futures/error-code#-4087-invalid_pair"'
        in html
    )
    assert (
        'href="https://developers.binance.com/docs/derivatives/coin-margined-futures/error-code#-1010-error_msg_received"'
        in html
    )
    # no external assets; the only script is errwatch's filter, allowed by its CSP hash
    assert _own_script_only(html) and "@import" not in html and "url(" not in html
    assert re.findall(r"<link[^>]*>", html) == [
        '<link rel="icon" href="data:,">'
    ]  # no favicon request
    assert "@media print" in html and "@media (max-width" in html


def test_html_word_level_diff() -> None:
    html = render_html(scenario_report())
    assert (
        "Filter failure: LOT_SIZE<ins> or MIN_NOTIONAL &lt;script&gt;alert(1)&lt;/script&gt;</ins>"
        in html
    )
    assert word_diff("Invalid pair now", "Invalid symbol now") == [
        ("eq", "Invalid "),
        ("del", "pair"),
        ("ins", "symbol"),
        ("eq", " now"),
    ]
    # Chinese is diffed per character, not as one "word"
    assert word_diff("服务器当前请求过多", "服务器请求过多") == [
        ("eq", "服务器"),
        ("del", "当前"),
        ("eq", "请求过多"),
    ]


def test_html_generic_cross_page_apart() -> None:
    html = render_html(scenario_report())
    specific, _, generic = html.partition('id="cross-generic-h"')
    assert "INVALID_PAIR" in specific.split('id="cross-h"')[1]
    assert 'data-generic="true"' in generic and 'data-generic="true"' not in specific
    assert "name UNKNOWN" in generic


def test_html_sparkline_from_history() -> None:
    html = render_html(scenario_report(), HISTORY)
    assert (
        html.count('<svg class="spark"') == 2 * 2
    )  # spot/en and usds-futures/en: page section + table
    assert "<title>2025-11-01 06:00 UTC: 101 codes</title>" in html
    assert 'class="cur"' in html
    assert "<svg" not in render_html(scenario_report())


def test_html_without_changes() -> None:
    kw = scenario()
    kw["changes"] = []
    html = render_html(build_report(**kw))
    assert "No changes since the baseline." in html and 'data-value="none"' in html


# ---------------------------------------------------------------------------- files and index


def test_write_reports_and_index(tmp_path: Path) -> None:
    r = scenario_report()
    out = write_reports(r, tmp_path)
    assert out == tmp_path / NEW
    assert {p.name for p in out.iterdir()} == {
        "report.json",
        "report.html",
        "report.md",
        SUMMARY_CACHE,
    }
    assert (out / "report.md").read_text("utf-8").rstrip().endswith(f"{out / 'report.html'}")
    quiet = dict(
        r,
        id="20260202T060000Z",
        new={"snapshot": "20260202T060000Z"},
        changes=[],
        pages=[],
        summary=dict(
            r["summary"],
            changes=0,
            breaking=0,
            drift="none",
            pages={"ok": 5, "not_modified": 0, "failed": 0, "quarantined": 0},
        ),
    )
    write_reports(quiet, tmp_path)
    write_reports(
        dict(quiet, id="20260203T060000Z", new={"snapshot": "20260203T060000Z"}), tmp_path
    )
    index = (tmp_path / "index.html").read_text("utf-8")
    assert index.index("20260203T060000Z") < index.index("20260202T060000Z") < index.index(NEW)
    assert index.count('<tr class="quiet" data-runs="2">') == 1  # two quiet runs, one row
    assert f'<tr class="run" data-id="{NEW}" data-changes="7" data-breaking="4">' in index
    assert f'href="{NEW}/report.html"' in index


def test_write_index_uses_cache_and_notices_rewrites(tmp_path: Path) -> None:
    r = scenario_report()
    out = write_reports(r, tmp_path, formats=("json",))
    cache = json.loads((out / SUMMARY_CACHE).read_text("utf-8"))
    assert cache["summary"] == r["summary"]
    (out / SUMMARY_CACHE).unlink()  # e.g. reports copied without dot files
    write_index(tmp_path)
    assert (out / SUMMARY_CACHE).exists()
    assert 'href="20260201T060000Z/report.json"' in (tmp_path / "index.html").read_text("utf-8")
    # a report.json rewritten by hand: the stale cache is not trusted
    r2 = dict(r, summary=dict(r["summary"], changes=99))
    (out / "report.json").write_text(report_json(r2), "utf-8")
    os.utime(out / "report.json", ns=(1, 1))
    write_index(tmp_path)
    assert 'data-changes="99"' in (tmp_path / "index.html").read_text("utf-8")


def test_write_index_many_reports_is_fast(tmp_path: Path) -> None:
    import time

    r = scenario_report()
    text = report_json(r)
    for day in range(365):
        d = tmp_path / f"2025{day:04d}T060000Z"
        d.mkdir()
        (d / "report.json").write_text(text, "utf-8")
    write_index(tmp_path)  # builds the caches
    start = time.perf_counter()
    write_index(tmp_path)
    assert time.perf_counter() - start < 2.0


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    from scraper.errors import UsageError

    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        write_reports(scenario_report(), tmp_path, formats=("pdf",))


def test_history_counts_from_manifests(tmp_path: Path) -> None:
    from scraper.report import history_counts

    class Store:
        def snapshot_ids(self) -> list[str]:
            return [A, B, C]

        def manifest(self, sid: str) -> dict[str, Any]:
            status = "failed" if sid == B else "ok"
            return {
                "id": sid,
                "pages": [
                    {
                        "page": "spot",
                        "locale": "en",
                        "status": status,
                        "record_count": {A: 1, B: 0, C: 3}[sid],
                    }
                ],
            }

    A, B, C = "20260101T000000Z", "20260101T000000Z-2", "20260101T000000Z-10"
    assert history_counts(Store()) == {"spot/en": [(A, 1), (C, 3)]}
    assert history_counts(Store(), until=B) == {"spot/en": [(A, 1)]}


# ---------------------------------------------------------------- issue 15 / issue 9 item 1


def _moved(
    n: int, old: str = "-9xxx Filter failures", new: str = "Filter failures"
) -> list[Change]:
    return [
        Change(
            "section_changed",
            "spot",
            "en",
            code=-9000 - i,
            name=f"F_{i}",
            old_section=old,
            new_section=new,
        )
        for i in range(n)
    ]


def test_section_renames_fold_into_one_line() -> None:
    kw = scenario()
    kw["changes"] = [*kw["changes"], *_moved(40), *_moved(2, "A", "B")]
    r = build_report(**kw)
    assert r["section_moves"] == [
        {
            "page": "spot",
            "locale": "en",
            "old_section": "-9xxx Filter failures",
            "new_section": "Filter failures",
            "rows": 40,
        }
    ]
    assert sum(1 for c in r["changes"] if c["kind"] == "section_changed") == 43  # all kept
    html = render_html(r)
    folds = re.findall(
        r"<details class=\"fold move\"[^>]*data-rows=\"(\d+)\">\s*<summary>([^<]*)</summary>", html
    )
    assert folds == [
        ("40", "section “-9xxx Filter failures” renamed to “Filter failures”: 40 rows")
    ]
    # the 2 rows A -> B and the scenario's own move stay a plain before/now table
    assert html.count("<th>Section before</th>") == 2
    assert len(re.findall(r'data-kind="section_changed"', html)) == 43


def test_dates_are_readable_with_the_id_beside() -> None:
    from scraper.report.html import when, when_iso

    assert when("20260116T060000Z") == "2026-01-16 06:00 UTC"
    assert when("20260116T060005Z-2") == "2026-01-16 06:00:05 UTC #2"
    assert when(f"{NEW}-vs-{OLD}") == "2026-02-01 06:00 UTC vs 2026-01-01 06:00 UTC"
    assert when("not-an-id") == "not-an-id" and when_iso("x") is None
    html = render_html(scenario_report())
    stamp = (
        '<time datetime="2026-02-01T06:00:00Z">2026-02-01 06:00 UTC</time> '
        '<span class="sid">20260201T060000Z</span>'
    )
    assert stamp in html and "<title>errwatch 2026-02-01 06:00 UTC:" in html
    assert '<time datetime="2025-12-01T06:00:00Z">2025-12-01 06:00 UTC</time>' in html  # a baseline


def test_index_dates_and_feed_link(tmp_path: Path) -> None:
    write_reports(scenario_report(), tmp_path, formats=("json", "html"))
    html = (tmp_path / "index.html").read_text("utf-8")
    assert '<time datetime="2026-02-01T06:00:00Z">2026-02-01 06:00 UTC</time>' in html
    assert '<span class="sid">20260201T060000Z</span>' in html
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="feed.xml">', html
    )
    assert (
        "<script" not in html and "Content-Security-Policy" in html and "unsafe-inline" not in html
    )


def test_empty_columns_are_left_out() -> None:
    r = scenario_report()
    html = render_html(r)
    # renamed/renumbered changes carry no section: their table has no Section column
    table = html.split('data-group="renumbered-renamed"')[1].split("</table>")[0]
    assert "<th>Section</th>" not in table and 'class="wide section"' not in table
    added = html.split('data-group="added-removed"')[1].split("</table>")[0]
    assert "<th>Section</th>" in added and "10xx - General" in added
    kw = scenario()
    kw["outcomes"] = [o for o in kw["outcomes"] if o.status != "failed"]
    assert "<th>Reason</th>" not in render_html(build_report(**kw))
    assert "<th>Reason</th>" in html


def test_options_never_break_inside() -> None:
    kw = scenario()
    kw["outcomes"] = [
        PageOutcome(
            "wallet",
            "en",
            "https://developers.binance.com/docs/wallet/error-code",
            "quarantined",
            reason="lost 224 of 236 codes (95%); accept with --accept wallet:en",
        )
    ]
    html = render_html(build_report(**kw))
    assert 'accept with <span class="opt">--accept wallet:en</span>' in html
    from scraper.report.html import option_segments

    assert option_segments("run --fail-on breaking --quiet") == [
        (False, "run "),
        (True, "--fail-on breaking"),
        (False, " "),
        (True, "--quiet"),
    ]


def test_headline_puts_renumberings_first() -> None:
    html = render_html(scenario_report())
    headline = html.split('<ol class="headline" id="headline">')[1].split("</ol>")[0]
    kinds = re.findall(r'<li data-kind="(\w+)">', headline)
    assert kinds[0] == "renumbered" and kinds[:4] == ["renumbered", "renamed", "renamed", "removed"]
    assert (
        'INVALID_<wbr>PAIR</code> <span class="nowrap"><del>-4087</del>'
        in headline.split("</li>")[0]
    )
    # drift before state: the headline and this run's numbers come before the docs' state
    assert (
        html.index('id="headline"')
        < html.index('id="summary"')
        < html.index('id="state"')
        < html.index('id="cross-page"')
    )


def test_cross_product_groups_ranked_and_shared_list_folded() -> None:
    r = scenario_report()
    r["cross_page"].append(
        {
            "kind": "same_code_different_name",
            "locale": "en",
            "code": -9001,
            "names": {"usds-futures": "X", "wallet": "Y"},
            "generic": False,
            "group": "shared_list",
        }
    )
    r["shared_list_pages"] = ["sub-account", "wallet"]
    html = render_html(r)
    assert (
        html.index('id="cross-trading"')
        < html.index('id="cross-other"')
        < html.index('id="cross-shared-list"')
    )
    shared = html.split('id="cross-shared-list"')[1].split("</details>")[0]
    assert '<details class="fold" data-filter-holder>' in shared  # folded (not open)
    assert "sub-account, wallet" in html
    assert re.search(r'id="sum-cross-trading" data-value="(\d+)"', html).group(1) == str(
        sum(1 for e in r["cross_page"] if e["group"] == "trading" and not e["generic"])
    )


def test_search_data_and_no_js_finder() -> None:
    html = render_html(scenario_report(), code_pages=True)
    # every change row is searchable by its code, names and messages
    row = re.search(
        r'<tr class="change" id="(ch-\d+)" data-kind="renumbered"[^>]*data-search="([^"]*)"', html
    )
    assert (
        row
        and "-4144" in row.group(2)
        and "-4087" in row.group(2)
        and "invalid_pair" in row.group(2)
    )
    msg = re.search(
        r'<li class="change" id="ch-\d+" data-kind="messages_changed"[^>]*data-search="([^"]*)"',
        html,
    )
    assert msg and "min_notional" in msg.group(1) and "&lt;script&gt;" in msg.group(1)
    # without JavaScript: a <details> list of the changed codes, anchors into the report
    finder = html.split('<details class="finder" id="finder">')[1].split("</details>")[0]
    assert f'href="#{row.group(1)}">-4144</a>' in finder and 'href="../codes/-4144.html"' in finder
    assert '<div id="filter" class="filter" role="search" hidden>' in html  # shown by the script
    assert 'href="../codes/-1010.html"' in html  # gaps and collisions link timelines too
