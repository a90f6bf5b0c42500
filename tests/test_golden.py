"""Golden tests: the parser against pages whose records are known independently.

Why: the parser is the one place where a quiet mistake turns into false drift (or
hides real drift) on every run.  The fixtures are the seed pages rendered into the real
page's Docusaurus shape by ``tools/build_fixtures.py``, with expectations derived from
the seed model, never from the parser; ``spot.en`` is the real page, its expectation
an lxml extraction.  Regenerate both with ``python tools/build_fixtures.py``.

Comparisons collapse white space only (spec: white space alone is not a change); they
are case-sensitive and order-sensitive.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGES_DIR = FIXTURES / "pages"
EXPECTED_DIR = FIXTURES / "expected"
KEYS = sorted(p.name[: -len(".html")] for p in PAGES_DIR.glob("*.html"))
ZWSP = "\u200b"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def split_key(key: str) -> tuple[str, str]:
    """'coin-futures.zh-CN' -> ('coin-futures', 'zh-CN')."""
    page, _, locale = key.rpartition(".")
    return page, locale


@functools.cache
def parsed(key: str) -> Any:
    """ParsedPage of one fixture (imported lazily so one missing module fails per test)."""
    from scraper.parse import parse_html

    page, locale = split_key(key)
    return parse_html((PAGES_DIR / f"{key}.html").read_text("utf-8"), page=page, locale=locale)


@functools.cache
def expected(key: str) -> list[dict[str, Any]]:
    return json.loads((EXPECTED_DIR / f"{key}.json").read_text("utf-8"))["records"]


def norm(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


def codes_of(key: str) -> list[Any]:
    return [r for r in parsed(key).records if r.code is not None]


def rows_of(key: str) -> list[Any]:
    return [r for r in parsed(key).records if r.code is None]


def exp_codes(key: str) -> list[dict[str, Any]]:
    return [r for r in expected(key) if r["code"] is not None]


def exp_rows(key: str) -> list[dict[str, Any]]:
    return [r for r in expected(key) if r["code"] is None]


def one(key: str, code: int, nth: int = 0) -> Any:
    hits = [r for r in codes_of(key) if r.code == code]
    assert len(hits) > nth, f"{key}: code {code} occurrence {nth} not parsed ({len(hits)} found)"
    return hits[nth]


def assert_same(actual: list[Any], wanted: list[Any], what: str) -> None:
    """Sequence equality with a short message naming the first difference."""
    if actual == wanted:
        return
    for i, (a, w) in enumerate(zip(actual, wanted)):
        if a != w:
            raise AssertionError(
                f"{what}: first difference at #{i}\n  parsed:   {a!r}\n  expected: {w!r}"
            )
    raise AssertionError(
        f"{what}: parsed {len(actual)} items, expected {len(wanted)}; "
        f"extra/missing from #{min(len(actual), len(wanted))}: "
        f"{(actual[len(wanted) :] or wanted[len(actual) :])[:3]!r}"
    )


# --------------------------------------------------------------------------- every page


def test_fixture_set_is_complete() -> None:
    assert "spot.en" in KEYS and len(KEYS) >= 8
    for key in KEYS:
        assert (EXPECTED_DIR / f"{key}.json").exists(), f"no expectation for {key}"


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_code_headings(key: str) -> None:
    actual = [(r.code, norm(r.name), [norm(m) for m in r.messages]) for r in codes_of(key)]
    wanted = [(r["code"], r["name"], r["messages"]) for r in exp_codes(key)]
    assert_same(actual, wanted, f"{key} (code, name, messages)")


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_sections(key: str) -> None:
    assert_same(
        [(r.code, norm(r.section)) for r in codes_of(key)],
        [(r["code"], r["section"]) for r in exp_codes(key)],
        f"{key} (code, section)",
    )


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_descriptions(key: str) -> None:
    assert_same(
        [(r.code, norm(r.description) or None) for r in codes_of(key)],
        [(r["code"], r["description"]) for r in exp_codes(key)],
        f"{key} (code, description)",
    )


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_anchors(key: str) -> None:
    assert_same(
        [(r.code, r.anchor) for r in codes_of(key)],
        [(r["code"], r["anchor"]) for r in exp_codes(key)],
        f"{key} (code, anchor)",
    )


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_table_rows(key: str) -> None:
    actual = [
        (norm(r.section), [norm(m) for m in r.messages], norm(r.description) or None, r.name)
        for r in rows_of(key)
    ]
    wanted = [(r["section"], r["messages"], r["description"], None) for r in exp_rows(key)]
    assert_same(actual, wanted, f"{key} table rows (section, messages, description, name)")


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_record_count(key: str) -> None:
    records = parsed(key).records
    assert (len(codes_of(key)), len(rows_of(key))) == (len(exp_codes(key)), len(exp_rows(key)))
    assert len(records) == len(expected(key))


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_first_and_last_code(key: str) -> None:
    got, want = codes_of(key), exp_codes(key)
    assert (got[0].code, got[-1].code) == (want[0]["code"], want[-1]["code"])


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_no_zero_width_space(key: str) -> None:
    """The hash link's U+200B must not leak into names, anchors or any text."""
    for r in parsed(key).records:
        for text in (r.anchor, r.name, r.section, r.description, *r.messages):
            assert ZWSP not in (text or ""), f"{key} {r.code}: U+200B in {text!r}"


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_message_langs(key: str) -> None:
    """Same length as messages; English pages are all 'en'; on zh-CN pages a message
    without CJK is 'en' and one without any Latin word is 'zh' (mixed ones unchecked)."""
    _, locale = split_key(key)
    for r in parsed(key).records:
        assert len(r.message_langs) == len(r.messages), f"{key} {r.code}"
        assert set(r.message_langs) <= {"en", "zh"}, f"{key} {r.code}: {r.message_langs}"
        for msg, lang in zip(r.messages, r.message_langs):
            if locale == "en" or not _CJK.search(msg):
                assert lang == "en", f"{key} {r.code}: {msg!r} tagged {lang}"
            elif not _LATIN_WORD.search(msg):
                assert lang == "zh", f"{key} {r.code}: {msg!r} tagged {lang}"


def test_fixtures_match_generator() -> None:
    """Fixtures are generated files: a hand edit or a stale copy would test the wrong thing."""
    spec = importlib.util.spec_from_file_location(
        "build_fixtures", ROOT / "tools" / "build_fixtures.py"
    )
    assert spec and spec.loader
    bf = importlib.util.module_from_spec(spec)
    sys.modules["build_fixtures"] = bf
    spec.loader.exec_module(bf)
    for page, locale in bf.seed_pages():
        model = bf.load_seed_model(page, locale)
        key = f"{page}.{locale}"
        assert (PAGES_DIR / f"{key}.html").read_text("utf-8") == bf.render_page(model), key
        assert expected(key) == bf.expected_records(model), key
    spot = (PAGES_DIR / "spot.en.html").read_text("utf-8")
    assert expected("spot.en") == bf.expected_from_html(spot)


# --------------------------------------------------------------------------- spot checks


def test_spot_real_page() -> None:
    codes = codes_of("spot.en")
    assert len(codes) == 103
    assert codes[0].code == -1000 and codes[0].name == "UNKNOWN"


@pytest.mark.parametrize("key", ["coin-futures.en", "coin-futures.zh-CN", "portfolio-margin.zh-CN"])
def test_name_with_spaces(key: str) -> None:
    assert one(key, -1008).name == "Request Throttled"


@pytest.mark.parametrize("key", ["institutional-loan.en", "wallet.en"])
def test_description_paragraph_without_bullets(key: str) -> None:
    r = one(key, -2021)
    assert r.name == "Order cancel-replace partially failed"
    assert r.messages == ()
    assert norm(r.description) == (
        "This code is sent when either the cancellation of the order failed or the new order "
        "placement failed but not both."
    )


def test_code_heading_without_name() -> None:
    assert one("institutional-loan.en", -20204).name is None
    assert one("institutional-loan.en", -20204).messages == (
        "The notional of USD is less or more than the limit.",
    )


def test_translated_name_from_h4() -> None:
    html = (PAGES_DIR / "institutional-loan.zh-CN.html").read_text("utf-8")
    assert '<h4 class="anchor anchorWithStickyNavbar_fMI7" id="-1151-重复的交易对">' in html
    r = one("institutional-loan.zh-CN", -1151)
    assert (r.name, r.anchor) == ("重复的交易对", "-1151-重复的交易对")


@pytest.mark.parametrize("key", ["institutional-loan.en", "institutional-loan.zh-CN", "wallet.en"])
def test_duplicated_code_keeps_both(key: str) -> None:
    names = [r.name for r in codes_of(key) if r.code == -5012]
    assert names == ["TRANSFER_PENDING", "FUTURE_ACCT_OR_SUBRELATION_NOT_EXIST"]


@pytest.mark.parametrize("key", ["coin-futures.en", "coin-futures.zh-CN"])
def test_codes_out_of_numeric_order_keep_page_order(key: str) -> None:
    order = [r.code for r in codes_of(key)]
    assert order.index(-4188) == order.index(-4202) + 1
    assert order[-1] == -4188


def test_bilingual_bullets_are_tagged() -> None:
    r = one("coin-futures.zh-CN", -1000)
    assert r.messages == (
        "An unknown error occured while processing the request.",
        "处理请求时发生未知错误。",
    )
    assert r.message_langs == ("en", "zh")


@pytest.mark.parametrize("key", ["coin-futures.zh-CN", "portfolio-margin.zh-CN"])
def test_glued_bullets_are_separate(key: str) -> None:
    r = one(key, -1015)
    assert len(r.messages) == 4
    assert r.message_langs == ("en", "zh", "en", "zh")
    assert r.messages[2] == "Too many new orders; current limit is %s orders per %s."


def test_same_name_different_code_across_pages() -> None:
    assert one("portfolio-margin.zh-CN", -4087).name == "REDUCE_ONLY_ORDER_PERMISSION"
    assert one("portfolio-margin.zh-CN", -4144).name == "INVALID_PAIR"
    assert one("usds-futures.en", -4087).name == "REDUCE_ONLY_ORDER_PERMISSION"
    assert one("usds-futures.en", -4144).name == "INVALID_PAIR"
    assert one("coin-futures.en", -4087).name == "INVALID_PAIR"


def test_escaped_underscores_are_unescaped() -> None:
    assert one("portfolio-margin.zh-CN", -1003).name == "TOO_MANY_REQUESTS"
    assert one("wallet.en", -2010).messages == ("NEW_ORDER_REJECTED",)


def test_zh_page_lacks_some_english_codes() -> None:
    wanted = {r["code"] for r in exp_codes("coin-futures.en")} - {
        r["code"] for r in exp_codes("coin-futures.zh-CN")
    }
    assert -1010 in wanted and len(wanted) == 7
    got = {r.code for r in codes_of("coin-futures.en")} - {
        r.code for r in codes_of("coin-futures.zh-CN")
    }
    assert got == wanted


def test_inline_code_reduced_to_text() -> None:
    assert one("coin-futures.en", -1125).messages == (
        "This listenKey does not exist. Please use POST /fapi/v1/listenKey to recreate listenKey",
    )


@pytest.mark.parametrize("key", ["institutional-loan.en", "wallet.en"])
def test_filter_failures_table(key: str) -> None:
    rows = [r for r in rows_of(key) if r.section == "Filter failures"]
    assert len(rows) == len([r for r in exp_rows(key) if r["section"] == "Filter failures"]) > 10
    first = rows[0]
    assert (first.code, first.messages) == (None, ("Filter failure: PRICE_FILTER",))
    assert (
        norm(first.description)
        == "price is too high, too low, and/or not following the tick size rule for the symbol."
    )
    max_position = next(r for r in rows if r.messages == ("Filter failure: MAX_POSITION",))
    # The cell holds "limit.<br><br>This is composed": <br> must read as white space.
    assert "maximum defined limit. This is composed of" in (norm(max_position.description) or "")


def test_zh_table_rows_keep_english_message() -> None:
    rows = [r for r in rows_of("institutional-loan.zh-CN") if r.section == "过滤器故障"]
    assert rows[0].messages == ("Filter failure: PRICE_FILTER",)


@pytest.mark.parametrize("key", ["institutional-loan.en", "wallet.en"])
def test_section_bullets_are_not_records(key: str) -> None:
    """'Order Rejection Issues' lists `-1010 ERROR_MSG_RECEIVED` as a bullet: not a record."""
    for r in parsed(key).records:
        assert not any("ERROR_MSG_RECEIVED" == m.split(" ", 1)[-1] for m in r.messages), r


def test_toc_and_code_block_are_not_records() -> None:
    """The TOC column repeats every heading and the intro's JSON holds -1121."""
    for key in KEYS:
        counts = [r.code for r in codes_of(key)]
        assert counts.count(-1121) == [r["code"] for r in exp_codes(key)].count(-1121), key
