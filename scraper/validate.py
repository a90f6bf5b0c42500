"""The validation gate: a bad fetch must never read as drift.

``validate`` turns a ``FetchResult`` into a ``PageOutcome`` whose status is ``ok`` only
when the body is the page that was asked for and whole.  Every other case is a value,
not an exception: ``failed`` (transport error, non-200, redirect elsewhere, WAF or JS
challenge, soft 404, truncation, another page's content, not an error-code page) or
``quarantined`` (it parsed, but lost most of its codes at once).  Neither is ever a
baseline, so the last good snapshot stays what the next run compares against.

Checks run cheapest and most specific first, on the raw text (regexes over the head:
no DOM is built until the page has passed them), so the reason names the real cause
("wrong page: canonical is …") rather than a symptom ("no error-code headings").

Identity rule: the path of ``<link rel=canonical>`` and of ``og:url`` must equal the
requested docs path (hosts are ignored, so ``--base-url`` mirrors work; trailing
slashes are ignored).  A page with neither is accepted with a warning: real pages
always carry both, and failing every page on a template change would blind the monitor
while the article/code-heading/loss checks still guard the content.

Origin rule: a redirect may not leave the scheme, host and port that were asked (a
mirror is chosen with ``--base-url``, never by a redirect).

Robustness rule: ``validate`` never raises for page content.  The body is decoded by its
HTTP charset, then BOM, then ``<meta>`` (``parse.decode_html``); a body that cannot be
decoded or read whole, and any error the parser raises, fails that page with a short
reason (the traceback goes to the debug log), so one odd page cannot stop a run.

Only good outcomes carry ETag/Last-Modified, so a conditional GET can only ever be
based on a good snapshot (a 304 against a WAF page's ETag would resurrect nothing).
"""

from __future__ import annotations

import hashlib
import html as html_lib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from urllib.parse import unquote, urlsplit

from scraper.errors import NotAnErrorPage
from scraper.models import FetchResult, PageOutcome, PageRef, ParsedPage, code_count

__all__ = ["mark_duplicates", "page_identity", "validate"]

log = logging.getLogger("errwatch.validate")

_FLAGS = re.IGNORECASE | re.DOTALL
_TITLE_RE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", _FLAGS)
_H1_RE = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", _FLAGS)
_TAG_RE = re.compile(r"<(link|meta)\b([^>]*)>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_NOSCRIPT_RE = re.compile(r"<noscript\b[^>]*>(.*?)</noscript\s*>", _FLAGS)
_STRIP_TAGS_RE = re.compile(r"<[^>]+>")
_ARTICLE_MARK = "theme-doc-markdown"  # Docusaurus' markdown body class

# Titles of challenge / block pages (Cloudflare, Akamai, AWS WAF, Imperva, DDoS-Guard…).
_CHALLENGE_TITLES = (
    "just a moment",
    "attention required",
    "access denied",
    "checking your browser",
    "please wait",
    "security check",
    "ddos-guard",
    "verify you are human",
    "are you a robot",
    "request blocked",
    "request rejected",
    "403 forbidden",
    "captcha",
    "human verification",
    "pardon our interruption",
)
# Markup of challenge pages; only looked for when there is no Docusaurus article, so an
# error code that mentions a captcha can never trip it.
_CHALLENGE_MARKERS = (
    "cf-challenge",
    "cf_chl_",
    "challenge-platform",
    "cf-browser-verification",
    "cf-error-details",
    "g-recaptcha",
    "h-captcha",
    "hcaptcha",
    "captcha",
    "awswaf",
    "aws-waf-token",
    "_incapsula_",
    "errors.edgesuite.net",
    "ddos-guard",
)
_SOFT_404_RE = re.compile(r"page not found|找不到页面|^\s*404\b|\b404 not found", re.IGNORECASE)


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(_STRIP_TAGS_RE.sub(" ", fragment)).split())


def _origin(url: str) -> str:
    """``scheme://host:port`` of a URL, lower-cased, with the scheme's default port."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _norm_path(url: str) -> str:
    """The comparable path of a URL: host, query, fragment and trailing slash ignored."""
    path = unquote(urlsplit(url.strip()).path)
    return path.rstrip("/") or "/"


def _head_urls(text: str) -> tuple[str | None, str | None]:
    """(canonical href, og:url content) found in <link>/<meta> tags, unescaped."""
    canonical = og_url = None
    for tag, raw_attrs in _TAG_RE.findall(text):
        attrs = {
            k.lower(): html_lib.unescape(v.strip("\"'")).strip()
            for k, v in _ATTR_RE.findall(raw_attrs)
        }
        is_link = tag.lower() == "link"
        if is_link and canonical is None and "canonical" in attrs.get("rel", "").lower().split():
            canonical = attrs.get("href") or None
        elif (
            not is_link
            and og_url is None
            and attrs.get("property", attrs.get("name", "")).lower() == "og:url"
        ):
            og_url = attrs.get("content") or None
    return canonical, og_url


def page_identity(body: bytes | str) -> dict[str, str | None]:
    """Title, first h1, canonical and og:url of a document (cheap, regex-based)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    title = _TITLE_RE.search(text)
    h1 = _H1_RE.search(text)
    canonical, og_url = _head_urls(text)
    return {
        "title": _text(title.group(1)) if title else None,
        "h1": _text(h1.group(1)) if h1 else None,
        "canonical": canonical,
        "og_url": og_url,
    }


def _challenge(text: str, lower: str, title: str | None) -> str | None:
    """Why this looks like a WAF / bot challenge or a JavaScript-only shell, or None."""
    t = (title or "").lower()
    for marker in _CHALLENGE_TITLES:
        if marker in t:
            return f"WAF or bot challenge (title {title!r})"
    if _ARTICLE_MARK in lower:
        return None
    for marker in _CHALLENGE_MARKERS:
        if marker in lower:
            return f"WAF or bot challenge ({marker!r} in the page, no article)"
    for inner in _NOSCRIPT_RE.findall(text):
        if "javascript" in inner.lower():
            return "JavaScript-only shell (asks to enable JavaScript, no article)"
    return None


def _truncated(lower: str) -> str | None:
    if "</html>" not in lower:
        return "truncated body: no closing </html>"
    if "<article" in lower and "</article>" not in lower:
        return "truncated body: no closing </article>"
    return None


def _failed(result: FetchResult, reason: str, **kw: object) -> PageOutcome:
    return PageOutcome(
        page=result.page,
        locale=result.locale,
        url=result.url,
        status="failed",
        reason=reason,
        http_status=result.http_status,
        raw_html=result.body,
        **kw,  # type: ignore[arg-type]
    )


def validate(
    result: FetchResult,
    ref: PageRef,
    *,
    baseline_count: int | None,
    loss_threshold: float = 0.5,
    accept: bool = False,
    reuse: Callable[[str], ParsedPage | None] | None = None,
) -> PageOutcome:
    """Decide whether ``result`` is the whole, right page; parse it only if so.

    ``baseline_count`` is the number of records *with a code* in the page's last good
    snapshot (None or 0: no loss check).  ``accept`` lets a big loss through (the user
    said ``--accept page:locale``).  Never raises for what the page holds: an error
    while checking or parsing it is that page's ``failed`` outcome.  ``reuse`` (see
    scraper/reuse.py) is asked right before parsing, once every check above has passed;
    the ParsedPage it returns (an unchanged article's stored content) stands in for the
    parse, and the loss check still applies to it.
    """
    if result.page != ref.id:
        raise ValueError(f"result for {result.page!r} validated against page {ref.id!r}")
    try:
        return _validate(result, ref, baseline_count, loss_threshold, accept, reuse)
    except Exception as exc:  # one odd page must not take the run down
        log.debug("%s/%s: validating raised", result.page, result.locale, exc_info=True)
        detail = " ".join(str(exc).split())[:160] or "no detail"
        return _failed(result, f"could not parse the page ({type(exc).__name__}: {detail})")


def _validate(
    result: FetchResult,
    ref: PageRef,
    baseline_count: int | None,
    loss_threshold: float,
    accept: bool,
    reuse: Callable[[str], ParsedPage | None] | None = None,
) -> PageOutcome:
    from scraper.parse import decode_html, parse_html, sanitize_html

    locale = result.locale

    # 1. transport and HTTP
    if result.not_modified:
        return PageOutcome(
            page=result.page,
            locale=locale,
            url=result.url,
            status="not_modified",
            http_status=result.http_status,
            etag=result.etag,
            last_modified=result.last_modified,
        )
    if result.error:
        return _failed(result, result.error)
    requested = _norm_path(result.url)
    if result.final_url and _origin(result.final_url) != _origin(result.url):
        parts = urlsplit(result.final_url)
        where = f"{parts.scheme}://{parts.netloc}"
        return _failed(
            result,
            f"redirected to another host: {where} (a redirect may not leave "
            f"{urlsplit(result.url).scheme}://{urlsplit(result.url).netloc})",
        )
    if result.final_url and _norm_path(result.final_url) != requested:
        where = _norm_path(result.final_url)
        status = f" (HTTP {result.http_status})" if result.http_status != 200 else ""
        return _failed(result, f"redirected to {where}{status}")
    if result.http_status != 200:
        return _failed(result, f"HTTP {result.http_status}")

    # 2. is it an HTML document at all, and not a block page?
    body = result.body or b""
    if not body.strip():
        return _failed(result, "empty body")
    try:
        text = sanitize_html(decode_html(body, result.content_type))
    except NotAnErrorPage as exc:
        return _failed(result, str(exc))
    lower = text.lower()
    start = lower.lstrip("\ufeff \t\r\n")[:2048]
    if not (start.startswith("<!doctype html") or "<html" in start):
        return _failed(result, f"not HTML (starts with {text.strip()[:40]!r})")
    ident = page_identity(text)
    reason = _challenge(text, lower, ident["title"])
    if reason:
        return _failed(result, reason)
    for label in ("title", "h1"):
        value = ident[label]
        if value and _SOFT_404_RE.search(value):
            return _failed(result, f"soft 404: {label} is {value!r} (HTTP 200)")
    reason = _truncated(lower)
    if reason:
        return _failed(result, reason)

    # 3. is it the page we asked for?
    expected = {_norm_path(ref.url_path(locale)), requested}
    warnings: list[str] = []
    for label in ("canonical", "og_url"):
        found = ident[label]
        if found and _norm_path(found) not in expected:
            name = "og:url" if label == "og_url" else "canonical"
            return _failed(result, f"wrong page: {name} is {_norm_path(found)}")
    if not ident["canonical"] and not ident["og_url"]:
        warnings.append("no canonical link or og:url: page identity checked by URL only")

    # 4. does it hold error codes, as many as last time?
    try:
        # ``reuse`` (scraper.reuse.ArticleReuse): the baseline's records and markdown when
        # the article is unchanged; every check above and below holds for it all the same.
        reused = reuse(text) if reuse is not None else None
        parsed = reused or parse_html(
            text, page=ref.id, locale=locale, root=getattr(reuse, "tree", None)
        )
    except NotAnErrorPage as exc:
        return _failed(result, str(exc))
    count = code_count(parsed.records)
    warnings.extend(parsed.warnings)
    content = {"records": parsed.records, "markdown": parsed.markdown, "raw_html": body}
    if baseline_count and count < (1 - loss_threshold) * baseline_count:
        lost = baseline_count - count
        pct = round(100 * lost / baseline_count)
        loss = f"lost {lost} of {baseline_count} codes ({pct}%) since the last good snapshot"
        if not accept:
            return PageOutcome(
                page=result.page,
                locale=locale,
                url=result.url,
                status="quarantined",
                reason=f"{loss}; accept with --accept {ref.id}:{locale}",
                http_status=result.http_status,
                warnings=tuple(warnings),
                **content,  # type: ignore[arg-type]
            )
        warnings.append(f"accepted: {loss}")
    return PageOutcome(
        page=result.page,
        locale=locale,
        url=result.url,
        status="ok",
        http_status=result.http_status,
        etag=result.etag,
        last_modified=result.last_modified,
        warnings=tuple(warnings),
        **content,  # type: ignore[arg-type]
    )


def mark_duplicates(outcomes: Iterable[PageOutcome]) -> list[PageOutcome]:
    """Fail pages of one run whose whole HTML documents are byte-identical.

    Several products (wallet, sub-account, algo, convert, copy-trading,
    institutional-loan) legitimately publish the same error list, so equal records or
    equal article text mean nothing; but their documents differ (canonical, title,
    navigation).  Byte-identical documents mean a mirror or CDN served one body for
    several URLs.  Only ok/quarantined outcomes are compared: a page already failed
    (e.g. "wrong page") must not drag down the page whose body it really is.
    """
    items = list(outcomes)
    groups: dict[str, list[int]] = {}
    for i, o in enumerate(items):
        if o.status in ("ok", "quarantined") and o.raw_html:
            groups.setdefault(hashlib.sha256(o.raw_html).hexdigest(), []).append(i)
    out = list(items)
    for members in groups.values():
        keys = {(items[i].page, items[i].locale) for i in members}
        if len(keys) < 2:
            continue
        for i in members:
            me = items[i]
            other = next(
                items[j]
                for j in members
                if (items[j].page, items[j].locale) != (me.page, me.locale)
            )
            out[i] = replace(
                me,
                status="failed",
                reason=f"same body as {other.page}/{other.locale}",
                etag=None,
                last_modified=None,
            )
    return out
