"""Parser behaviour on hand-made Docusaurus markup: each variant the real pages show."""

from __future__ import annotations

import json
import subprocess
import sys
from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.errors import NotAnErrorPage
from scraper.parse import clean_text, detect_lang, parse_html, split_code_heading

ZWSP = "\u200b"


def heading(level: int, text: str, anchor: str | None = None, zh: bool = False) -> str:
    anchor = anchor or text.lower().replace(" ", "-")
    label = f"{text}的直接链接" if zh else f"Direct link to {text}"
    return (
        f'<h{level} class="anchor anchorWithStickyNavbar_fMI7" id="{escape(anchor)}">{escape(text)}'
        f'<a class="hash-link" aria-label="{escape(label)}" title="{escape(label)}" '
        f'href="/docs/x/error-code#{escape(anchor)}">{ZWSP}</a></h{level}>'
    )


def bullets(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def page(
    body: str, lang: str = "en", canonical: str = "https://developers.binance.com/docs/x/error-code"
) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="UTF-8"><title>Error Codes</title>'
        f'<link rel="canonical" href="{canonical}"></head><body><nav class="navbar">menu</nav>'
        f'<main><article><nav class="theme-doc-breadcrumbs"><ul><li>Home</li></ul></nav>'
        f'<div class="theme-doc-markdown markdown"><h1>Error Codes</h1>{body}</div></article>'
        f'<div class="tableOfContents"><ul><li><a href="#-1">-1000 UNKNOWN</a></li></ul></div>'
        f"</main></body></html>"
    )


def codes(html: str) -> list[tuple[int | None, str | None, tuple[str, ...]]]:
    return [(r.code, r.name, r.messages) for r in parse_html(html).records]


def test_h2_h3_h4_code_headings_and_sections() -> None:
    html = page(
        heading(2, "10xx - General Server or Network issues")
        + heading(3, "-1000 UNKNOWN")
        + bullets("An unknown error occurred.")
        + heading(2, "11xx - 2xxx Request issues")
        + heading(4, "-1151 重复的交易对")
        + bullets("Symbol is present multiple times in the list.")
        + heading(2, "-9000 TOP_LEVEL")
        + bullets("h2 code")
    )
    recs = parse_html(html).records
    assert [(r.code, r.name, r.section) for r in recs] == [
        (-1000, "UNKNOWN", "10xx - General Server or Network issues"),
        (-1151, "重复的交易对", "11xx - 2xxx Request issues"),
        (-9000, "TOP_LEVEL", "11xx - 2xxx Request issues"),
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-1008 Request Throttled", (-1008, "Request Throttled")),
        (
            "-2021 Order cancel-replace partially failed",
            (-2021, "Order cancel-replace partially failed"),
        ),
        ("-2022 Order cancel-replace failed.", (-2022, "Order cancel-replace failed.")),
        ("-1000 未知错误", (-1000, "未知错误")),
        ("-20204", (-20204, None)),
        (
            "-1099 Not found, authenticated, or authorized",
            (-1099, "Not found, authenticated, or authorized"),
        ),
        ("−4144 INVALID_PAIR", (-4144, "INVALID_PAIR")),
        ("10xx - General Server or Network issues", None),
        ("6XXX - Savings Issues", None),
        ("11xx - 2xxx Request issues", None),
        ("Filter failures", None),
        ("Messages for -1010 ERROR_MSG_RECEIVED, -2010 NEW_ORDER_REJECTED", None),
    ],
)
def test_split_code_heading(text: str, expected: tuple[int, str | None] | None) -> None:
    assert split_code_heading(text) == expected


def test_hash_link_and_zero_width_space_are_stripped() -> None:
    html = page(
        heading(3, "-1000 UNKNOWN", anchor=f"-1000-unknown{ZWSP}")
        + bullets(f"An{ZWSP} unknown\u00a0error.")
    )
    (rec,) = parse_html(html).records
    assert rec.name == "UNKNOWN"
    assert rec.anchor == "-1000-unknown"
    assert rec.messages == ("An unknown error.",)


def test_bilingual_bullets_are_kept_and_tagged() -> None:
    html = page(
        heading(3, "-1000 UNKNOWN", zh=True)
        + bullets(
            "An unknown error occured while processing the request.",
            "处理请求时发生未知错误。",
            "An unexpected 响应 was received from the message bus.",
            "<code>strategyType</code> 必须小于 1000000",
        )
        + heading(3, "-1015 TOO_MANY_ORDERS", zh=True)
        + bullets("Too many new orders.<br>新订单太多。"),
        lang="zh-CN",
    )
    parsed = parse_html(html)
    assert parsed.locale == "zh-CN"
    first, second = parsed.records
    assert first.message_langs == ("en", "zh", "en", "zh")
    assert first.messages[3] == "strategyType 必须小于 1000000"
    assert second.messages == ("Too many new orders.", "新订单太多。")
    assert second.message_langs == ("en", "zh")


def test_paragraphs_are_descriptions_not_messages() -> None:
    html = page(
        heading(2, "Errors regarding POST /api/v3/order/cancelReplace")
        + heading(3, "-2021 Order cancel-replace partially failed")
        + "<p>This code is sent when either the cancellation of the order failed or the new order placement failed but not both.</p>"
        + heading(3, "-2022 Order cancel-replace failed.")
        + "<p>First.</p><p>Second <strong>bold</strong>.</p>"
        + bullets("a message")
    )
    a, b = parse_html(html).records
    assert a.messages == () and a.description and a.description.startswith("This code is sent")
    assert b.messages == ("a message",)
    assert b.description == "First.\nSecond bold."


def test_message_tables_become_codeless_records() -> None:
    table = (
        "<table><thead><tr><th>Error message</th><th>Description</th></tr></thead><tbody>"
        '<tr><td>"Filter failure: PRICE_FILTER"</td><td><code>price</code> is too high.</td></tr>'
        '<tr><td>"Filter failure: MAX_POSITION"</td><td>Reached. <br> Sum of the balance.</td></tr>'
        '<tr><td>"Rest API trading is not enabled." / "WebSocket API trading is not enabled."</td><td>x</td></tr>'
        "</tbody></table>"
    )
    html = page(
        heading(3, "-1000 UNKNOWN")
        + bullets("u")
        + heading(2, "Filter failures")
        + "<p>intro</p>"
        + table
    )
    recs = parse_html(html).records
    assert [r.code for r in recs] == [-1000, None, None, None]
    assert recs[1].section == "Filter failures"
    assert recs[1].messages == ("Filter failure: PRICE_FILTER",)
    assert recs[1].description == "price is too high."
    assert recs[2].description == "Reached. Sum of the balance."
    assert recs[3].messages == (
        "Rest API trading is not enabled.",
        "WebSocket API trading is not enabled.",
    )


def test_duplicated_and_out_of_order_codes_are_all_kept() -> None:
    html = page(
        heading(3, "-4202 ADJUST_LEVERAGE", anchor="-4202-a")
        + bullets("one")
        + heading(3, "-4188 ME_INVALID_TIMESTAMP", anchor="-4188-b")
        + bullets("two")
        + heading(3, "-4188 ME_INVALID_TIMESTAMP", anchor="-4188-b-1")
        + bullets("three")
    )
    assert codes(html) == [
        (-4202, "ADJUST_LEVERAGE", ("one",)),
        (-4188, "ME_INVALID_TIMESTAMP", ("two",)),
        (-4188, "ME_INVALID_TIMESTAMP", ("three",)),
    ]


def test_section_bullets_and_shell_lists_are_not_messages() -> None:
    html = page(
        heading(2, "Order Rejection Issues")
        + bullets("<code>-1010 ERROR_MSG_RECEIVED</code>", "<code>-2010 NEW_ORDER_REJECTED</code>")
        + heading(3, "-1000 UNKNOWN")
        + bullets("real")
    )
    assert codes(html) == [(-1000, "UNKNOWN", ("real",))]


def test_unknown_markup_is_reported_and_skipped() -> None:
    html = page(
        heading(3, "-1000 UNKNOWN")
        + "<x-widget>strange</x-widget><script>alert(1)</script>"
        + bullets("kept")
        + "<details><summary>More</summary><p>inside</p></details>"
    )
    parsed = parse_html(html)
    (rec,) = parsed.records
    assert rec.messages == ("kept",)
    assert rec.description == "inside"
    assert any("x-widget" in w and "-1000" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    "html, message",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("<html><body><main><p>Page Not Found</p></main></body></html>", "no Docusaurus article"),
        (page("<p>Only prose, no codes.</p>"), "no error-code headings"),
        ("not html at all", "no Docusaurus article"),
    ],
    ids=["empty", "whitespace", "no-article", "no-codes", "plain-text"],
)
def test_not_an_error_page(html: str, message: str) -> None:
    with pytest.raises(NotAnErrorPage, match=message):
        parse_html(html)


def test_bytes_input_uses_declared_charset() -> None:
    html = page(
        heading(3, "-1000 未知错误") + bullets("处理请求时发生未知错误。"), lang="zh-CN"
    ).encode("utf-8")
    (rec,) = parse_html(html).records
    assert rec.name == "未知错误"


def test_markdown_is_the_article_only() -> None:
    html = page(
        heading(2, "Filter failures")
        + heading(3, "-1000 UNKNOWN")
        + bullets('see <a href="/docs/x#y">link</a>')
    )
    md = parse_html(html).markdown
    assert md.startswith("# Error Codes")
    assert "### -1000 UNKNOWN\n" in md
    assert "[link](/docs/x#y)" in md
    assert ZWSP not in md and "Direct link" not in md and "menu" not in md and "Home" not in md


def test_helpers() -> None:
    assert clean_text(f" a\u00a0 b{ZWSP}\n c ") == "a b c"
    assert detect_lang("IP地址已经在白名单") == "zh"
    assert detect_lang("Invalid symbol.") == "en"


# --- property-style -------------------------------------------------------------------

entries = st.lists(
    st.tuples(
        st.integers(min_value=1000, max_value=99999),
        st.sampled_from(["UNKNOWN", "INVALID_PAIR", "Request Throttled", "未知错误", ""]),
        st.lists(
            st.sampled_from(["Invalid pair", "处理请求时发生未知错误。", "Too <many> & more"]),
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(entries, st.randoms(use_true_random=False))
def test_shuffled_and_duplicated_headings_round_trip(items: list, rnd: object) -> None:
    items = items + items[: len(items) // 2]  # duplicates
    rnd.shuffle(items)  # type: ignore[attr-defined]
    body = heading(2, "Section")
    for code, name, msgs in items:
        text = f"-{code} {name}".strip()
        body += heading(3, text, anchor=f"-{code}") + (
            bullets(*(escape(m) for m in msgs)) if msgs else ""
        )
    got = codes(page(body))
    assert got == [(-code, name or None, tuple(msgs)) for code, name, msgs in items]


def test_huge_page_parses() -> None:
    n = 10_000
    body = heading(2, "Big") + "".join(
        heading(3, f"-{100000 + i} CODE_{i}", anchor=f"-{i}") + bullets(f"Message {i}.")
        for i in range(n)
    )
    parsed = parse_html(page(body), with_markdown=False)
    assert len(parsed.records) == n
    assert parsed.records[-1].code == -(100000 + n - 1)
    assert parsed.records[-1].messages == (f"Message {n - 1}.",)


# --- the command ----------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args], capture_output=True, text=True, check=False
    )


def test_cli_parse_json_has_stable_shape(tmp_path, spot_html: str) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "spot.html"
    f.write_text(spot_html, "utf-8")
    proc = run_cli("parse", str(f), "--page", "spot", "--locale", "en")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data) == ["page", "locale", "records"]
    assert data["page"] == "spot" and data["locale"] == "en"
    first = data["records"][0]
    assert list(first) == [
        "code",
        "name",
        "section",
        "messages",
        "message_langs",
        "description",
        "anchor",
    ]
    assert first["code"] == -1000
    assert sum(1 for r in data["records"] if r["code"] is not None) == 103


def test_cli_parse_markdown(tmp_path, spot_html: str) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "spot.html"
    f.write_text(spot_html, "utf-8")
    proc = run_cli("parse", str(f), "--format", "md")
    assert proc.returncode == 0
    assert "### -1000 UNKNOWN" in proc.stdout and "<script" not in proc.stdout


def test_cli_parse_rejects_non_error_page_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "x.html"
    f.write_text("<html><body><h1>Page Not Found</h1></body></html>", "utf-8")
    proc = run_cli("parse", str(f))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("errwatch: error:")
    assert "Traceback" not in proc.stderr


def test_cli_parse_missing_file() -> None:
    proc = run_cli("parse", "/nonexistent/page.html")
    assert proc.returncode == 2 and "cannot read" in proc.stderr


def test_glued_bilingual_bullet_and_br_spacing() -> None:
    html = page(
        heading(3, "-1015 TOO_MANY_ORDERS", zh=True)
        + bullets(
            "Too many new orders; current limit is %s orders per %s.  * 新订单太多； 当前限制为每％s ％s个订单。",
            "<code>price</code> * <code>quantity</code> is too low.",
        )
        + "<p>first line.<br>second line.</p>",
        lang="zh-CN",
    )
    (rec,) = parse_html(html).records
    assert rec.messages == (
        "Too many new orders; current limit is %s orders per %s.",
        "新订单太多； 当前限制为每％s ％s个订单。",
        "price * quantity is too low.",
    )
    assert rec.message_langs == ("en", "zh", "en")
    assert rec.description == "first line. second line."
