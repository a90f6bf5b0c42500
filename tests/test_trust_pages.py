"""Hostile and odd pages, served by the local server: each is failed or parsed whole.

Issue 9 items 3-6 and issue 10 item 5 (fetch side), one test per case seen: markup the
parser used to raise on (a comment or processing instruction in a code heading, a raw or
escaped control character after ``<br>``), nesting deep enough to make libxml2 stop
silently, a charset named only in the HTTP header, NUL bytes, a redirect to another host,
and bodies that never finish.  Every page is fetched by scraper.fetch from 127.0.0.1 and
judged by scraper.validate, so these are the outcomes a crawl would store.
"""

from __future__ import annotations

import re
import time

import pytest
from conftest import FIXTURES, LocalSite, Reply

from scraper.fetch import FetchRequest, FetchSettings, fetch_all
from scraper.models import PageOutcome, Record
from scraper.parse import parse_html
from scraper.registry import build_registry
from scraper.validate import validate

REFS = {ref.id: ref for ref in build_registry()}
FAST = FetchSettings(
    concurrency=4, connect_timeout=2, read_timeout=2, retries=1, backoff=0, max_retry_after=2
)
SPOT_CODES = 103
FIRST_BULLET = "<li>An unknown error occurred while processing the request.</li>"
HEADING_RE = re.compile(r'<h[34] class="anchor[^"]*" id="-?\d')


def check(
    site: LocalSite,
    page: str = "spot",
    locale: str = "en",
    *,
    settings: FetchSettings = FAST,
    baseline_count: int | None = None,
) -> PageOutcome:
    ref = REFS[page]
    [result] = fetch_all([FetchRequest(page, locale, ref.url(locale, site.base_url))], settings)
    return validate(result, ref, baseline_count=baseline_count)


def serve(
    site: LocalSite,
    body: str | bytes,
    page: str = "spot",
    locale: str = "en",
    content_type: str = "text/html; charset=utf-8",
    **kw: object,
) -> None:
    site.set(
        REFS[page].url_path(locale), Reply(body=body, headers={"Content-Type": content_type}, **kw)
    )  # type: ignore[arg-type]


def records_of(html: str) -> tuple[Record, ...]:
    return parse_html(html, with_markdown=False).records


def codes(records: tuple[Record, ...] | None) -> list[int]:
    return [r.code for r in records or () if r.code is not None]


# --- item 3: markup that used to raise inside the parser ------------------------------


@pytest.mark.parametrize(
    "inside", ["<!-- -->", "<!--x-->", "<?php echo 1 ?>", "<?xml-stylesheet x?>"]
)
def test_comment_or_processing_instruction_in_a_code_heading(
    site: LocalSite, spot_html: str, inside: str
) -> None:
    serve(site, spot_html.replace(">-1000 UNKNOWN<", f">-1000 UNKNOWN{inside}<", 1))
    out = check(site)
    assert out.status == "ok", out.reason
    assert out.records == records_of(spot_html)  # invisible markup changes nothing


@pytest.mark.parametrize("control", ["\x0c", "&#12;", "&#x0C;", "\x01", "&#1;", "\x1b", "&#x7f;"])
def test_control_character_after_br(site: LocalSite, spot_html: str, control: str) -> None:
    html = spot_html.replace("<br>", "<br>" + control).replace(
        FIRST_BULLET,
        f"<li>An unknown error occurred<br>{control}while processing the request.</li>",
    )
    serve(site, html)
    out = check(site)
    assert out.status == "ok", out.reason
    assert out.records == records_of(spot_html)  # control characters are stripped from text
    assert out.markdown and "\x0c" not in out.markdown and "\x01" not in out.markdown


def test_an_internal_parser_error_fails_the_page_not_the_run(
    site: LocalSite,
    spot_html: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever the parser raises for one page is that page's failure, with a short reason."""
    import scraper.parse

    def broken(*args: object, **kw: object) -> None:
        raise ValueError("All strings must be XML compatible")

    serve(site, spot_html)
    monkeypatch.setattr(scraper.parse, "article_markdown", broken)
    with caplog.at_level("DEBUG", logger="errwatch"):
        out = check(site)
    assert out.status == "failed"
    assert (
        out.reason and "could not parse the page" in out.reason and "XML compatible" in out.reason
    )
    assert "\n" not in out.reason
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert tracebacks and all(r.levelname == "DEBUG" for r in tracebacks)


# --- item 4: read the page whole or fail it --------------------------------------------


def nested_before_heading(html: str, depth: int, heading: int = 35) -> str:
    at = [m.start() for m in HEADING_RE.finditer(html)][heading]
    return html[:at] + "<div>" * depth + "</div>" * depth + html[at:]


@pytest.mark.parametrize("depth", [250, 600, 1500])
def test_deep_nesting_before_a_heading_is_parsed_whole(
    site: LocalSite, spot_html: str, depth: int
) -> None:
    serve(site, nested_before_heading(spot_html, depth))
    out = check(site, baseline_count=SPOT_CODES)
    assert out.status == "ok", out.reason
    assert codes(out.records) == codes(records_of(spot_html))
    assert len(codes(out.records)) == SPOT_CODES


def test_nesting_beyond_the_parser_limit_fails_the_page(site: LocalSite, spot_html: str) -> None:
    serve(site, nested_before_heading(spot_html, 3000))
    out = check(site)
    assert out.status == "failed"
    assert out.reason and "not read to its end" in out.reason and "depth" in out.reason


def test_deep_nesting_around_headings_is_parsed_whole(site: LocalSite, spot_html: str) -> None:
    """Headings *inside* 1,000 nested elements: no recursion limit in the walk or markdown."""
    starts = [m.start() for m in HEADING_RE.finditer(spot_html)]
    html = (
        spot_html[: starts[10]]
        + "<div>" * 1000
        + spot_html[starts[10] : starts[20]]
        + "</div>" * 1000
        + spot_html[starts[20] :]
    )
    serve(site, html)
    out = check(site)
    assert out.status == "ok", out.reason
    assert out.records == records_of(spot_html)


@pytest.mark.parametrize("opener", ["<!-- ", "<script>", "<textarea>", '<div class="x'])
def test_markup_that_swallows_the_rest_of_the_page_fails_it(
    site: LocalSite, spot_html: str, opener: str
) -> None:
    """An unclosed comment, script, textarea or attribute hides every later heading."""
    at = [m.start() for m in HEADING_RE.finditer(spot_html)][40]
    serve(site, spot_html[:at] + opener + spot_html[at:])
    out = check(site)
    assert out.status == "failed", f"{len(codes(out.records))} codes stored as good"
    assert out.reason and "not read to its end" in out.reason


# --- item 5: encodings ------------------------------------------------------------------


def zh_page() -> str:
    return (FIXTURES / "pages" / "coin-futures.zh-CN.html").read_text("utf-8")


def test_gb18030_page_with_the_charset_only_in_the_header(site: LocalSite) -> None:
    html = zh_page().replace('<meta charset="UTF-8">', "")
    assert "charset" not in html.lower()
    serve(
        site,
        html.encode("gb18030"),
        page="coin-futures",
        locale="zh-CN",
        content_type="text/html; charset=GB18030",
    )
    out = check(site, "coin-futures", "zh-CN")
    assert out.status == "ok", out.reason
    assert out.records == records_of(html)
    assert any("\u672a\u77e5" in m for r in out.records or () for m in r.messages)  # 未知


def test_header_charset_wins_over_a_wrong_meta(site: LocalSite) -> None:
    html = zh_page()  # says <meta charset="UTF-8">
    serve(
        site,
        html.encode("gb18030"),
        page="coin-futures",
        locale="zh-CN",
        content_type='text/html; charset="gb18030"',
    )
    out = check(site, "coin-futures", "zh-CN")
    assert out.status == "ok", out.reason
    assert out.records == records_of(html)


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf")],
)
def test_bom_without_a_header_charset(site: LocalSite, encoding: str, bom: bytes) -> None:
    html = zh_page().replace('<meta charset="UTF-8">', "")
    serve(
        site,
        bom + html.encode(encoding),
        page="coin-futures",
        locale="zh-CN",
        content_type="text/html",
    )
    out = check(site, "coin-futures", "zh-CN")
    assert out.status == "ok", out.reason
    assert out.records == records_of(html)


def test_meta_charset_without_a_header_charset(site: LocalSite) -> None:
    html = zh_page().replace('<meta charset="UTF-8">', '<meta charset="gbk">')
    serve(
        site, html.encode("gb18030"), page="coin-futures", locale="zh-CN", content_type="text/html"
    )
    out = check(site, "coin-futures", "zh-CN")
    assert out.status == "ok", out.reason
    assert out.records == records_of(zh_page())


def test_body_that_is_not_in_its_declared_charset_fails(site: LocalSite, spot_html: str) -> None:
    serve(site, spot_html.encode("utf-8").replace(b"An unknown error", b"An \xff\xfe error"))
    out = check(site)
    assert out.status == "failed"
    assert out.reason and "utf-8" in out.reason.lower() and "decode" in out.reason


def test_unknown_header_charset_fails_with_its_name(site: LocalSite, spot_html: str) -> None:
    serve(site, spot_html, content_type="text/html; charset=klingon-8")
    out = check(site)
    assert out.status == "failed"
    assert out.reason and "klingon-8" in out.reason


def test_nul_bytes_are_dropped_not_replaced(site: LocalSite, spot_html: str) -> None:
    serve(site, spot_html.replace("</li>", "\x00</li>").replace("<h3", "\x00<h3"))
    out = check(site)
    assert out.status == "ok", out.reason
    assert out.records == records_of(spot_html)
    assert not any("\ufffd" in m for r in out.records or () for m in r.messages)


# --- item 6: a redirect may not leave the host ------------------------------------------


def test_redirect_to_another_host_with_the_same_path_fails(site: LocalSite, spot_html: str) -> None:
    path = REFS["spot"].url_path("en")
    other = site.base_url.replace("127.0.0.1", "localhost") + path
    site.set(path, Reply(301, headers={"Location": other}), Reply(body=spot_html))
    out = check(site)
    assert site.hits(path) == 2  # the other host (the same server) was asked too
    assert out.status == "failed"
    assert out.reason and "another host" in out.reason and "localhost" in out.reason


def test_redirect_to_another_scheme_fails(site: LocalSite, spot_html: str) -> None:
    from scraper.models import FetchResult

    url = REFS["spot"].url("en", site.base_url)
    result = FetchResult(
        "spot",
        "en",
        url,
        final_url=url.replace("http://", "https://"),
        http_status=200,
        body=spot_html.encode(),
    )
    out = validate(result, REFS["spot"], baseline_count=None)
    assert out.status == "failed" and out.reason and "https" in out.reason


def test_redirect_on_the_same_host_to_the_same_path_is_ok(site: LocalSite, spot_html: str) -> None:
    path = REFS["spot"].url_path("en")
    site.set(path + "/", Reply(301, headers={"Location": path}))
    site.set(path, Reply(body=spot_html))
    ref = REFS["spot"]
    [result] = fetch_all([FetchRequest("spot", "en", site.base_url + path + "/")], FAST)
    assert validate(result, ref, baseline_count=None).status == "ok"


# --- issue 10 item 5: deadlines ---------------------------------------------------------


def test_a_dripping_body_fails_at_the_page_deadline(site: LocalSite, spot_html: str) -> None:
    serve(site, spot_html, drip=0.2)  # a byte every 0.2 s: each read is well within read_timeout
    settings = FetchSettings(read_timeout=5, retries=1, backoff=0, page_timeout=1.5)
    start = time.monotonic()
    out = check(site, settings=settings)
    took = time.monotonic() - start
    assert out.status == "failed"
    assert out.reason == "no complete answer within 1.5 s"
    assert took < 4, took


def test_a_dripping_page_does_not_hold_the_others(site: LocalSite, spot_html: str) -> None:
    serve(site, spot_html, drip=0.2)
    for page in ("wallet", "algo", "convert"):
        serve(site, spot_html.replace("binance-spot-api-docs/errors", REFS[page].path), page=page)
    settings = FetchSettings(concurrency=2, read_timeout=5, retries=0, page_timeout=1.0)
    reqs = [
        FetchRequest(p, "en", REFS[p].url("en", site.base_url))
        for p in ("spot", "wallet", "algo", "convert")
    ]
    start = time.monotonic()
    results = fetch_all(reqs, settings)
    assert time.monotonic() - start < 3
    assert [r.page for r in results] == ["spot", "wallet", "algo", "convert"]
    assert results[0].error == "no complete answer within 1 s"
    assert all(r.error is None and r.http_status == 200 for r in results[1:])


def test_retries_count_against_the_page_deadline(site: LocalSite) -> None:
    """503 with Retry-After 10 s: the page fails at once instead of sleeping past its deadline."""
    site.set(REFS["spot"].url_path("en"), Reply(503, "busy", headers={"Retry-After": "10"}))
    settings = FetchSettings(retries=3, backoff=0, max_retry_after=60, page_timeout=2)
    start = time.monotonic()
    out = check(site, settings=settings)
    assert time.monotonic() - start < 1.5
    assert out.status == "failed"
    assert out.reason and out.reason.startswith("no complete answer within 2 s")


def test_the_run_deadline_fails_what_is_left(site: LocalSite, spot_html: str) -> None:
    serve(site, spot_html, delay=30)
    serve(
        site,
        spot_html.replace("binance-spot-api-docs/errors", REFS["wallet"].path),
        page="wallet",
        delay=30,
    )
    settings = FetchSettings(
        concurrency=1, read_timeout=60, retries=0, page_timeout=60, run_timeout=1
    )
    reqs = [FetchRequest(p, "en", REFS[p].url("en", site.base_url)) for p in ("spot", "wallet")]
    start = time.monotonic()
    results = fetch_all(reqs, settings)
    assert time.monotonic() - start < 2.5
    assert [r.page for r in results] == ["spot", "wallet"]
    assert results[0].error == "no complete answer within the run's deadline of 1 s"
    assert results[1].error == "not fetched: the run's deadline of 1 s passed"


def test_deadline_settings_come_from_the_config() -> None:
    from scraper.config import config_from_dict

    cfg = config_from_dict({"page_timeout": 45, "run_timeout": 600})
    settings = FetchSettings.from_config(cfg)
    assert (settings.page_timeout, settings.run_timeout) == (45.0, 600.0)
    defaults = FetchSettings.from_config(config_from_dict({}))
    assert (defaults.page_timeout, defaults.run_timeout) == (120.0, 1800.0)


@pytest.mark.parametrize(
    "wrapper",
    [
        "<table><tr><td>|</td></tr></table>",
        "<button>|</button>",
        "<details><summary>|</summary></details>",
    ],
)
def test_code_heading_where_the_walk_cannot_read_it_fails_the_page(
    site: LocalSite, spot_html: str, wrapper: str
) -> None:
    """A heading the browser shows but the walk cannot place is a failure, not a removal."""
    starts = [m.start() for m in HEADING_RE.finditer(spot_html)]
    before, after = wrapper.split("|")
    html = (
        spot_html[: starts[1]]
        + before
        + spot_html[starts[1] : starts[2]]
        + after
        + spot_html[starts[2] :]
    )
    serve(site, html)
    out = check(site)
    assert out.status == "failed", f"{len(codes(out.records))} codes stored as good"
    assert out.reason and "cannot be read in place" in out.reason


@pytest.mark.parametrize(
    "wrapper", ["<ul>|</ul>", "<ul><li>|</li></ul>", "<ol><li><div>|</div></li></ol>"]
)
def test_code_headings_inside_lists_are_read_in_place(
    site: LocalSite, spot_html: str, wrapper: str
) -> None:
    starts = [m.start() for m in HEADING_RE.finditer(spot_html)]
    before, after = wrapper.split("|")
    html = (
        spot_html[: starts[1]]
        + before
        + spot_html[starts[1] : starts[4]]
        + after
        + spot_html[starts[4] :]
    )
    serve(site, html)
    out = check(site)
    assert out.status == "ok", out.reason
    assert codes(out.records) == codes(records_of(spot_html))


@pytest.mark.parametrize(
    "hidden",
    ["<template>x</template>", "<script>x()</script>", "<style>.x{}</style>"],
    ids=["template", "script", "style"],
)
def test_text_a_browser_never_shows_is_no_part_of_a_record(
    site: LocalSite, spot_html: str, hidden: str
) -> None:
    """Inert or non-text markup inside a heading or a bullet changes no name or message."""
    page = spot_html.replace(">-1000 UNKNOWN<", f">-1000 UNKNOWN{hidden}<", 1)
    page = page.replace(FIRST_BULLET, FIRST_BULLET.replace("unknown ", "unknown " + hidden), 1)
    assert page.count(hidden) == 2
    serve(site, page)
    out = check(site)
    assert out.status == "ok" and out.records == records_of(spot_html)
