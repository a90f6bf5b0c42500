"""views.py: cross-product collisions and en/zh-CN gaps of one effective state."""

from __future__ import annotations

import random
from typing import Any

from scraper.models import Record
from scraper.views import cross_page, locale_gaps


def R(
    code: int | None,
    name: str | None,
    msgs: tuple[str, ...] = ("m",),
    langs: tuple[str, ...] | None = None,
    section: str = "s",
) -> Record:
    return Record(code, name, section, msgs, langs or ("en",) * len(msgs))


FUTURES = {
    ("coin-futures", "en"): [R(-1000, "UNKNOWN"), R(-4087, "INVALID_PAIR")],
    ("usds-futures", "en"): [
        R(-1000, "UNKNOWN"),
        R(-4087, "REDUCE_ONLY_ORDER_PERMISSION"),
        R(-4144, "INVALID_PAIR"),
    ],
    ("portfolio-margin", "en"): [
        R(-4087, "REDUCE_ONLY_ORDER_PERMISSION"),
        R(-4144, "INVALID_PAIR"),
    ],
}


def test_invalid_pair_both_ways() -> None:
    assert cross_page(FUTURES) == [
        {
            "kind": "same_name_different_code",
            "locale": "en",
            "name": "INVALID_PAIR",
            "codes": {"coin-futures": -4087, "portfolio-margin": -4144, "usds-futures": -4144},
            "generic": False,
        },
        {
            "kind": "same_code_different_name",
            "locale": "en",
            "code": -4087,
            "names": {
                "coin-futures": "INVALID_PAIR",
                "portfolio-margin": "REDUCE_ONLY_ORDER_PERMISSION",
                "usds-futures": "REDUCE_ONLY_ORDER_PERMISSION",
            },
            "generic": False,
        },
    ]


def test_agreeing_pages_give_nothing() -> None:
    same = {("a", "en"): [R(-1, "X"), R(-2, "Y")], ("b", "en"): [R(-1, "X"), R(-2, "Y")]}
    assert cross_page(same) == []
    # a name with two codes on one page only is not a cross-product collision
    assert cross_page({("a", "en"): [R(-1, "X"), R(-2, "X")], ("b", "en"): [R(-3, "Z")]}) == []


def test_names_compared_normalized_and_first_spelling_shown() -> None:
    eff = {
        ("a", "en"): [R(-1, "Invalid  Pair")],
        ("b", "en"): [R(-2, "invalid pair\u200b")],
        ("c", "en"): [R(-1, "INVALID PAIR ")],
    }
    [entry] = [e for e in cross_page(eff) if e["kind"] == "same_name_different_code"]
    assert entry["name"] == "Invalid Pair" and entry["codes"] == {"a": -1, "b": -2, "c": -1}
    # case and white space differences alone are not "different names"
    assert [e for e in cross_page(eff) if e["kind"] == "same_code_different_name"] == []


def test_null_names_and_codeless_records_ignored() -> None:
    eff = {
        ("a", "en"): [R(-20204, None), R(None, "Filter failure"), R(-1, "X")],
        ("b", "en"): [R(-20204, "SOMETHING"), R(None, "Filter failure"), R(-2, "   ")],
    }
    assert cross_page(eff) == []


def test_several_codes_within_one_page_become_a_list() -> None:
    eff = {
        ("a", "en"): [R(-4144, "INVALID_PAIR"), R(-4087, "INVALID_PAIR")],
        ("b", "en"): [R(-4144, "INVALID_PAIR")],
    }
    [entry] = cross_page(eff)
    assert entry["codes"] == {"a": [-4087, -4144], "b": -4144}
    eff = {("a", "en"): [R(-1, "X"), R(-1, "Y")], ("b", "en"): [R(-1, "X")]}
    [entry] = cross_page(eff)
    assert entry == {
        "kind": "same_code_different_name",
        "locale": "en",
        "code": -1,
        "names": {"a": ["X", "Y"], "b": "X"},
        "generic": False,
    }


def test_locales_are_compared_separately_and_translated_names_count() -> None:
    eff = {
        ("spot", "en"): [R(-1000, "UNKNOWN")],
        ("usds-futures", "en"): [R(-1000, "UNKNOWN")],
        ("spot", "zh-CN"): [R(-1000, "未知错误")],
        ("usds-futures", "zh-CN"): [R(-1000, "UNKNOWN")],
    }
    assert cross_page(eff) == [
        {
            "kind": "same_code_different_name",
            "locale": "zh-CN",
            "code": -1000,
            "names": {"spot": "未知错误", "usds-futures": "UNKNOWN"},
            "generic": False,
        },
    ]
    # the same name in en on one page and in zh-CN on another is no collision
    assert cross_page({("a", "en"): [R(-1, "X")], ("b", "zh-CN"): [R(-2, "X")]}) == []


def test_generic_names_kept_and_flagged() -> None:
    eff = {
        ("a", "en"): [R(-1000, "UNKNOWN"), R(-5, "P")],
        ("b", "en"): [R(-1001, "unknown"), R(-5, "Q")],
        ("c", "en"): [R(-1001, "UNKNOWN"), R(-6, "UNKNOWN")],
        ("d", "en"): [R(-6, "R")],
    }
    out = cross_page(eff, generic_names=["Unknown"])
    assert [(e["kind"], e.get("name") or e.get("code"), e["generic"]) for e in out] == [
        ("same_name_different_code", "UNKNOWN", True),
        ("same_code_different_name", -5, False),  # P vs Q
        ("same_code_different_name", -6, True),  # UNKNOWN vs R: a generic name is involved
    ]
    assert out[0]["codes"] == {
        "a": -1000,
        "b": -1001,
        "c": [-6, -1001],
    }  # reading order: by magnitude
    assert all(e["generic"] is False for e in cross_page(eff))


def test_stable_whatever_the_input_order() -> None:
    items = list(FUTURES.items()) + [
        (("coin-futures", "zh-CN"), [R(-4087, "INVALID_PAIR")]),
        (("usds-futures", "zh-CN"), [R(-4144, "INVALID_PAIR")]),
    ]
    expected = cross_page(dict(items))
    for seed in range(5):
        random.Random(seed).shuffle(items)
        shuffled = [(k, list(reversed(v))) for k, v in items]
        assert cross_page(dict(shuffled)) == expected
    assert [(e["kind"], e["locale"]) for e in expected] == [
        ("same_name_different_code", "en"),
        ("same_name_different_code", "zh-CN"),
        ("same_code_different_name", "en"),
    ]


# ---------------------------------------------------------------------------- locale gaps


COIN_EN = [
    R(-1000, "UNKNOWN"),
    R(
        -1008,
        "Request Throttled",
        msgs=("Server is currently overloaded.", "Request throttled by protection."),
    ),
    R(-1010, "ERROR_MSG_RECEIVED"),
]
COIN_ZH = [
    R(
        -1000,
        "UNKNOWN",
        msgs=("An unknown error occured.", "处理请求时发生未知错误。"),
        langs=("en", "zh"),
    ),
    R(
        -1008,
        "Request Throttled",
        msgs=(
            "Server is currently overloaded.",
            "服务器当前请求过多。",
            "Request throttled by protection.",
        ),
        langs=("en", "zh", "en"),
    ),
    R(-1099, "ONLY_IN_ZH"),
]


def test_locale_gaps_missing_and_message_count() -> None:
    assert locale_gaps({("coin-futures", "en"): COIN_EN, ("coin-futures", "zh-CN"): COIN_ZH}) == [
        {
            "page": "coin-futures",
            "code": -1008,
            "name": "Request Throttled",
            "kind": "message_count",
            "counts": {"en": 2, "zh-CN": 1},
        },
        {
            "page": "coin-futures",
            "code": -1010,
            "name": "ERROR_MSG_RECEIVED",
            "kind": "missing",
            "missing_in": "zh-CN",
        },
        {
            "page": "coin-futures",
            "code": -1099,
            "name": "ONLY_IN_ZH",
            "kind": "missing",
            "missing_in": "en",
        },
    ]


def test_untranslated_records_and_single_locale_pages_skipped() -> None:
    zh = [
        R(-1000, "UNKNOWN", msgs=("a", "b", "c"))
    ]  # en bullets only: not translated bullet by bullet
    assert locale_gaps({("p", "en"): [R(-1000, "UNKNOWN")], ("p", "zh-CN"): zh}) == []
    assert locale_gaps({("p", "en"): COIN_EN}) == []  # zh-CN failed with no baseline: no claim


def test_locale_gaps_sorted_by_page_then_code() -> None:
    eff = {
        ("b", "en"): [R(-2, "X"), R(-1, "Y")],
        ("b", "zh-CN"): [],
        ("a", "zh-CN"): [R(-3000, "Z")],
        ("a", "en"): [R(-10, "W")],
    }
    assert [(g["page"], g["code"], g["missing_in"]) for g in locale_gaps(eff)] == [
        ("a", -10, "zh-CN"),
        ("a", -3000, "en"),
        ("b", -1, "zh-CN"),
        ("b", -2, "zh-CN"),
    ]


# ---------------------------------------------------------------- ranking (issue 15)


def _sapi(extra: list[Record]) -> list[Record]:
    """A shared SAPI-like list: the same 20 codes and names on every page that publishes it."""
    return [R(-9000 - i, f"SAPI_{i}") for i in range(20)] + extra


RANKED = {
    ("coin-futures", "en"): [R(-4087, "INVALID_PAIR"), R(-9001, "FUTURES_ONLY")],
    ("usds-futures", "en"): [R(-4087, "REDUCE_ONLY_ORDER_PERMISSION"), R(-4144, "INVALID_PAIR")],
    ("wallet", "en"): _sapi([R(-7001, "WALLET_THING")]),
    ("sub-account", "en"): _sapi([]),
    ("convert", "en"): _sapi([R(-7002, "CONVERT_THING")]),
    ("algo", "en"): [R(-9001, "ALGO_SPECIFIC"), R(-7001, "ALGO_THING")],  # its own list
}


def test_shared_list_found_from_the_data_not_from_ids() -> None:
    from scraper.views import shared_list_pages

    assert shared_list_pages(RANKED) == ("convert", "sub-account", "wallet")
    # the same pages under other ids are found the same way; a lone copy is not a "shared list"
    renamed = {
        (f"x-{p}", loc): recs for (p, loc), recs in RANKED.items() if p in ("wallet", "convert")
    }
    assert shared_list_pages(renamed) == ("x-convert", "x-wallet")
    assert shared_list_pages({("wallet", "en"): _sapi([])}) == ()
    # trading products never count as shared-list pages, however alike
    assert shared_list_pages({("spot", "en"): _sapi([]), ("options", "en"): _sapi([])}) == ()


def test_trading_conflicts_first_shared_list_reuse_last() -> None:
    from scraper.views import rank_cross_page, shared_list_pages

    ranked = rank_cross_page(cross_page(RANKED), shared_list_pages(RANKED))
    groups = [(e["group"], e.get("name") or e.get("code")) for e in ranked]
    # INVALID_PAIR and -4087 collide between coin-futures and usds-futures: a real conflict
    assert groups[:2] == [("trading", "INVALID_PAIR"), ("trading", -4087)]
    # -7001 collides only because the shared list (wallet) has it: by-design reuse;
    # -9001 also collides between coin-futures and algo, shared list aside: "other"
    by = {e.get("name") or e.get("code"): e["group"] for e in ranked}
    assert by[-7001] == "shared_list" and by[-9001] == "other"
    order = [g for g, _ in groups]
    assert order == sorted(order, key=["trading", "other", "shared_list"].index)
    # without algo, -9001 only exists because the shared list reuses a futures code
    no_algo = {k: v for k, v in RANKED.items() if k[0] != "algo"}
    ranked = rank_cross_page(cross_page(no_algo), shared_list_pages(no_algo))
    assert {e.get("code"): e["group"] for e in ranked if e.get("code")}[-9001] == "shared_list"
    assert ranked[-1]["group"] == "shared_list" and ranked[0]["group"] == "trading"


def test_ranking_keeps_every_entry_and_adds_only_group() -> None:
    from scraper.views import rank_cross_page, shared_list_pages

    plain = cross_page(RANKED)
    ranked = rank_cross_page(plain, shared_list_pages(RANKED))
    assert len(ranked) == len(plain)
    assert sorted(
        map(repr, ({k: v for k, v in e.items() if k != "group"} for e in ranked))
    ) == sorted(map(repr, plain))


def test_trading_products_can_be_named() -> None:
    from scraper.report import build_report

    kw: dict[str, Any] = {
        "snapshot_id": "20260101T060000Z",
        "old_snapshot": None,
        "per_page_baselines": {},
        "outcomes": [],
        "changes": [],
        "effective": RANKED,
    }
    default = {e.get("name") or e.get("code"): e["group"] for e in build_report(**kw)["cross_page"]}
    assert default["INVALID_PAIR"] == "trading"
    named = build_report(**kw, trading_products=("spot",))
    groups = {e.get("name") or e.get("code"): e["group"] for e in named["cross_page"]}
    assert groups["INVALID_PAIR"] == "other"  # futures are no longer "one client" here
    assert "coin-futures" not in named["shared_list_pages"]
