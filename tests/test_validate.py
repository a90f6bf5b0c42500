"""The validation gate, fault by fault: a bad fetch must never read as drift.

Each fault is served by the real local server (tests/conftest.py), fetched with
scraper.fetch and judged by scraper.validate, so these are the outcomes a crawl would
store.  Fault pages are the real spot page edited with plain string replacements.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from conftest import LocalSite, Reply

from scraper.fetch import FetchRequest, FetchSettings, fetch_all
from scraper.models import FetchResult, PageOutcome
from scraper.registry import build_registry
from scraper.validate import mark_duplicates, page_identity, validate

REFS = {ref.id: ref for ref in build_registry()}
SPOT_PATH = "binance-spot-api-docs/errors"
WS_INFO_PATH = "derivatives/usds-margined-futures/websocket-api/general-api-information"
FAST = FetchSettings(
    concurrency=4, connect_timeout=2, read_timeout=2, retries=1, backoff=0, max_retry_after=2
)
ARTICLE_BODY = '<div class="theme-doc-markdown markdown">'
SPOT_CODES = 103


def check(
    site: LocalSite,
    page: str = "spot",
    locale: str = "en",
    *,
    base: str = "",
    settings: FetchSettings = FAST,
    baseline_count: int | None = None,
    accept: bool = False,
    etag: str | None = None,
) -> PageOutcome:
    """Fetch ``page``/``locale`` from the local site and validate it."""
    ref = REFS[page]
    url = ref.url(locale, site.base_url + base)
    [result] = fetch_all([FetchRequest(page, locale, url, etag=etag)], settings)
    return validate(result, ref, baseline_count=baseline_count, accept=accept)


def path_of(page: str, locale: str = "en") -> str:
    return REFS[page].url_path(locale)


def moved_to(html: str, docs_path: str) -> str:
    """The page with its canonical, og:url and alternates pointing at another docs path."""
    return html.replace(SPOT_PATH, docs_path)


def with_article(html: str, inner: str) -> str:
    """The page with the article's markdown body replaced by ``inner``."""
    start = html.index(ARTICLE_BODY) + len(ARTICLE_BODY)
    end = html.index("</article>")
    return html[:start] + inner + "</div>" + html[end:]


def without_article(html: str) -> str:
    return html[: html.index("<article>")] + html[html.index("</article>") + len("</article>") :]


def head_only(html: str, title: str, body: str) -> str:
    """The real page's <head> (title replaced) with a different <body>."""
    head = html[: html.index("<body")]
    head = re.sub(r"<title[^>]*>.*?</title>", f"<title>{title}</title>", head)
    return head + f"<body>{body}</body>\n</html>\n"


def keep_codes(html: str, n: int) -> str:
    """The page cut after its first ``n`` code headings (the rest of the article dropped)."""
    starts = [m.start() for m in re.finditer(r'<h[34] class="anchor[^"]*" id="-?\d', html)]
    return (
        html[: starts[n]]
        + "</div></article>"
        + html[html.index("</article>") + len("</article>") :]
    )


# --- ok ------------------------------------------------------------------------------


def test_real_spot_page_is_ok(site: LocalSite, spot_html: str) -> None:
    site.set(
        path_of("spot"),
        Reply(body=spot_html, etag='"e1"', last_modified="Wed, 19 Nov 2026 06:00:00 GMT"),
    )
    out = check(site, baseline_count=SPOT_CODES)
    assert out.status == "ok" and out.reason is None and out.good
    assert sum(1 for r in out.records or () if r.code is not None) == SPOT_CODES
    assert out.raw_html == spot_html.encode("utf-8")
    assert out.markdown and "-1000" in out.markdown
    assert (out.http_status, out.etag, out.last_modified) == (
        200,
        '"e1"',
        "Wed, 19 Nov 2026 06:00:00 GMT",
    )
    assert out.url == site.base_url + path_of("spot")


def test_not_modified_reuses_the_baseline_without_parsing(site: LocalSite, spot_html: str) -> None:
    site.set(path_of("spot"), Reply(body=spot_html, etag='"e1"'))
    out = check(site, etag='"e1"', baseline_count=SPOT_CODES)
    assert out.status == "not_modified" and out.good
    assert out.records is None and out.raw_html is None and out.markdown is None
    assert out.etag == '"e1"' and out.http_status == 304


def test_trailing_slash_redirect_is_the_same_page(site: LocalSite, spot_html: str) -> None:
    site.set(path_of("spot"), Reply(301, headers={"Location": path_of("spot") + "/"}))
    site.page(path_of("spot") + "/", spot_html)
    assert check(site).status == "ok"


def test_mirror_with_a_path_prefix_is_ok(site: LocalSite, spot_html: str) -> None:
    site.page(
        "/mirror" + path_of("spot"), spot_html
    )  # canonical still names developers.binance.com
    out = check(site, base="/mirror")
    assert out.status == "ok", out.reason


def test_page_without_canonical_or_og_url_is_ok_with_a_warning(
    site: LocalSite, spot_html: str
) -> None:
    html = re.sub(r'<link data-rh="true" rel="canonical"[^>]*>', "", spot_html)
    html = re.sub(r'<meta data-rh="true" property="og:url"[^>]*>', "", html)
    site.page(path_of("spot"), html)
    out = check(site)
    assert out.status == "ok"
    assert "no canonical link or og:url: page identity checked by URL only" in out.warnings


# --- HTTP and transport --------------------------------------------------------------


def test_http_404_fails(site: LocalSite) -> None:
    out = check(site)  # nothing scripted: the server answers 404
    assert (out.status, out.reason, out.http_status) == ("failed", "HTTP 404", 404)
    assert not out.good and out.records is None


def test_http_503_after_retries_fails(site: LocalSite) -> None:
    site.set(path_of("spot"), Reply(503, "maintenance"))
    out = check(site)
    assert (out.status, out.reason) == ("failed", "HTTP 503 after 1 retries")


def test_500_once_then_ok(site: LocalSite, spot_html: str) -> None:
    site.set(path_of("spot"), Reply(500, "oops"), Reply(body=spot_html))
    out = check(site)
    assert site.hits(path_of("spot")) == 2
    assert out.status == "ok"


def test_429_once_with_retry_after_then_ok(site: LocalSite, spot_html: str) -> None:
    site.set(
        path_of("spot"),
        Reply(429, "slow down", headers={"Retry-After": "1"}),
        Reply(body=spot_html),
    )
    out = check(site)
    assert out.status == "ok"
    first, second = [r for r in site.requests if r.path == path_of("spot")]
    assert second.at - first.at >= 0.9


def test_timeout_fails_with_a_timeout_reason(site: LocalSite, spot_html: str) -> None:
    site.set(path_of("spot"), Reply(body=spot_html, delay=1.0))
    out = check(site, settings=FetchSettings(read_timeout=0.3, retries=0, backoff=0))
    assert out.status == "failed"
    assert out.reason == "timeout after 0.3s"


def test_truncated_transfer_fails(site: LocalSite, spot_html: str) -> None:
    site.set(path_of("spot"), Reply(body=spot_html, truncate_to=40_000))
    out = check(site)
    assert out.status == "failed"
    assert out.reason is not None and out.reason.startswith("truncated body: got 40000 of ")


# --- not the page we asked for -----------------------------------------------------


def test_wrong_page_under_the_right_url(site: LocalSite, spot_html: str) -> None:
    """The WebSocket API "General Info" page served at the USDⓈ-M error-code URL."""
    info = with_article(
        moved_to(spot_html, WS_INFO_PATH),
        "<header><h1>General API Information</h1></header>"
        "<ul><li>The base endpoint is: <code>wss://ws-fapi.binance.com/ws-fapi/v1</code></li></ul>"
        '<h2 class="anchor" id="request-format">Request format</h2><p>Requests must be sent as JSON.</p>',
    )
    site.page(path_of("usds-futures"), info)
    out = check(site, "usds-futures")
    assert out.status == "failed"
    assert out.reason == f"wrong page: canonical is /docs/{WS_INFO_PATH}"


def test_another_products_error_page(site: LocalSite, spot_html: str) -> None:
    """Spot's error page served at the COIN-M URL: codes would all "change" if believed."""
    site.page(path_of("coin-futures"), spot_html)
    out = check(site, "coin-futures")
    assert (out.status, out.reason) == ("failed", f"wrong page: canonical is /docs/{SPOT_PATH}")
    assert out.raw_html == spot_html.encode("utf-8")  # kept for inspection


def test_english_page_served_for_chinese(site: LocalSite, spot_html: str) -> None:
    site.page(path_of("spot", "zh-CN"), spot_html)
    out = check(site, "spot", "zh-CN")
    assert (out.status, out.reason) == ("failed", f"wrong page: canonical is /docs/{SPOT_PATH}")


def test_og_url_of_another_page_fails_even_with_the_right_canonical(
    site: LocalSite, spot_html: str
) -> None:
    html = spot_html.replace(
        'property="og:url" content="https://developers.binance.com/docs/binance-spot-api-docs/errors"',
        'property="og:url" content="https://developers.binance.com/docs/wallet/error-code"',
    )
    site.page(path_of("spot"), html)
    assert check(site).reason == "wrong page: og:url is /docs/wallet/error-code"


def test_redirect_to_an_introduction_page(site: LocalSite, spot_html: str) -> None:
    intro = "/docs/binance-spot-api-docs/introduction"
    site.set(path_of("spot"), Reply(301, headers={"Location": intro}))
    site.page(intro, moved_to(spot_html, "binance-spot-api-docs/introduction"))
    out = check(site)
    assert (out.status, out.reason) == ("failed", f"redirected to {intro}")


def test_redirect_to_a_missing_page(site: LocalSite) -> None:
    site.set(path_of("spot"), Reply(302, headers={"Location": "/docs/gone"}))
    assert check(site).reason == "redirected to /docs/gone (HTTP 404)"


def test_soft_404(site: LocalSite, spot_html: str) -> None:
    html = head_only(
        spot_html,
        "Page Not Found | Binance Open Platform",
        '<main class="container margin-vert--xl"><h1 class="hero__title">Page Not Found</h1>'
        "<p>We could not find what you were looking for.</p></main>",
    )
    site.page(path_of("spot"), html)
    out = check(site)
    assert out.status == "failed"
    assert out.reason == "soft 404: title is 'Page Not Found | Binance Open Platform' (HTTP 200)"


def test_waf_challenge_page(site: LocalSite) -> None:
    challenge = (
        '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head>'
        '<body><div class="main-wrapper"><h1>developers.binance.com</h1>'
        '<div id="cf-challenge-running">Verifying you are human.</div>'
        '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>'
        "</div></body></html>"
    )
    site.page(path_of("spot"), challenge)
    out = check(site)
    assert (out.status, out.reason) == ("failed", "WAF or bot challenge (title 'Just a moment...')")


def test_captcha_page_without_a_telling_title(site: LocalSite) -> None:
    page = (
        "<html><head><title>developers.binance.com</title></head><body>"
        '<form><div class="g-recaptcha" data-sitekey="x"></div></form></body></html>'
    )
    site.page(path_of("spot"), page)
    assert check(site).reason == "WAF or bot challenge ('g-recaptcha' in the page, no article)"


def test_waf_block_with_403(site: LocalSite) -> None:
    site.set(path_of("spot"), Reply(403, "<html><head><title>Access Denied</title></head></html>"))
    assert check(site).reason == "HTTP 403"


def test_javascript_only_shell(site: LocalSite, spot_html: str) -> None:
    html = head_only(
        spot_html,
        "Binance Open Platform",
        "<noscript>Please enable JavaScript to view this site.</noscript>"
        '<div id="__docusaurus"></div>',
    )
    site.page(path_of("spot"), html)
    out = check(site)
    assert (out.status, out.reason) == (
        "failed",
        "JavaScript-only shell (asks to enable JavaScript, no article)",
    )


def test_docusaurus_shell_with_no_article(site: LocalSite, spot_html: str) -> None:
    site.page(path_of("spot"), without_article(spot_html))
    out = check(site)
    assert out.status == "failed"
    assert out.reason is not None and out.reason.startswith("no Docusaurus article")


def test_article_with_no_error_code_headings(site: LocalSite, spot_html: str) -> None:
    site.page(
        path_of("spot"), with_article(spot_html, "<h1>Error codes</h1><p>Moved to a new home.</p>")
    )
    out = check(site)
    assert out.status == "failed"
    assert out.reason is not None and out.reason.startswith("no error-code headings")


def test_truncated_body_that_still_parses(site: LocalSite, spot_html: str) -> None:
    """Cut mid-article by the origin, but delivered with a matching Content-Length."""
    cut = spot_html[: spot_html.index('id="-2013')]
    site.page(path_of("spot"), cut)
    out = check(site)
    assert (out.status, out.reason) == ("failed", "truncated body: no closing </html>")


def test_empty_body(site: LocalSite) -> None:
    site.page(path_of("spot"), "")
    out = check(site)
    assert (out.status, out.reason) == ("failed", "empty body")


def test_not_html(site: LocalSite) -> None:
    site.set(
        path_of("spot"),
        Reply(body='{"code": -1000, "msg": "busy"}', headers={"Content-Type": "application/json"}),
    )
    assert check(site).reason == """not HTML (starts with '{"code": -1000, "msg": "busy"}')"""


# --- sudden loss -----------------------------------------------------------------------


def test_big_loss_is_quarantined(site: LocalSite, spot_html: str) -> None:
    site.page(path_of("spot"), keep_codes(spot_html, 23))
    out = check(site, baseline_count=SPOT_CODES)
    assert out.status == "quarantined" and not out.good
    assert out.reason == (
        "lost 80 of 103 codes (78%) since the last good snapshot; accept with --accept spot:en"
    )
    assert out.records is not None and sum(1 for r in out.records if r.code is not None) == 23
    assert out.raw_html and out.markdown  # kept for inspection
    assert out.etag is None


def test_accept_overrides_the_quarantine(site: LocalSite, spot_html: str) -> None:
    site.page(path_of("spot"), keep_codes(spot_html, 23))
    out = check(site, baseline_count=SPOT_CODES, accept=True)
    assert out.status == "ok"
    assert "accepted: lost 80 of 103 codes (78%) since the last good snapshot" in out.warnings


def test_small_loss_is_ordinary_drift(site: LocalSite, spot_html: str) -> None:
    site.page(path_of("spot"), keep_codes(spot_html, 60))
    assert check(site, baseline_count=SPOT_CODES).status == "ok"


def test_first_run_has_no_loss_check(site: LocalSite, spot_html: str) -> None:
    site.page(path_of("spot"), keep_codes(spot_html, 5))
    assert check(site, baseline_count=None).status == "ok"


# --- duplicates ---------------------------------------------------------------------


def test_byte_identical_documents_for_two_pages_both_fail(site: LocalSite, spot_html: str) -> None:
    # Without a canonical each would pass on its own; only the comparison catches it.
    anonymous = re.sub(
        r'<(link|meta) data-rh="true" (rel="canonical"|property="og:url")[^>]*>', "", spot_html
    )
    site.page(path_of("wallet"), anonymous)
    site.page(path_of("sub-account"), anonymous)
    outcomes = [check(site, "wallet"), check(site, "sub-account")]
    assert [o.status for o in outcomes] == ["ok", "ok"]
    marked = mark_duplicates(outcomes)
    assert [(o.status, o.reason) for o in marked] == [
        ("failed", "same body as sub-account/en"),
        ("failed", "same body as wallet/en"),
    ]


def test_same_error_list_on_different_pages_is_not_a_duplicate(
    site: LocalSite, spot_html: str
) -> None:
    """wallet, sub-account, algo, convert … publish the same list: legitimate."""
    pages = ["wallet", "sub-account", "algo", "convert"]
    for page in pages:
        site.page(path_of(page), moved_to(spot_html, REFS[page].path))
    outcomes = [check(site, page) for page in pages]
    assert len({o.records for o in outcomes}) == 1  # identical records
    assert [o.status for o in mark_duplicates(outcomes)] == ["ok"] * 4


def test_a_failed_copy_does_not_drag_down_the_real_page(site: LocalSite, spot_html: str) -> None:
    site.page(path_of("spot"), spot_html)
    site.page(path_of("coin-futures"), spot_html)  # spot's page under the COIN-M URL
    marked = mark_duplicates([check(site, "spot"), check(site, "coin-futures")])
    assert [o.status for o in marked] == ["ok", "failed"]
    assert marked[1].reason == f"wrong page: canonical is /docs/{SPOT_PATH}"


def test_duplicates_ignore_not_modified_and_other_locales_of_the_same_key() -> None:
    ok = PageOutcome("wallet", "en", "u", "ok", raw_html=b"<html>x</html>")
    outcomes = [ok, replace(ok), PageOutcome("algo", "en", "u", "not_modified")]
    assert mark_duplicates(outcomes) == outcomes  # same key twice is not two pages


# --- contract -------------------------------------------------------------------------


def test_validate_refuses_a_mismatched_ref() -> None:
    with pytest.raises(ValueError):
        validate(FetchResult("spot", "en", "u"), REFS["wallet"], baseline_count=None)


def test_page_identity_reads_the_head(spot_html: str) -> None:
    ident = page_identity(spot_html.encode("utf-8"))
    assert (
        ident["canonical"] == ident["og_url"] == f"https://developers.binance.com/docs/{SPOT_PATH}"
    )
    assert ident["title"] == "Error | Binance Open Platform"
