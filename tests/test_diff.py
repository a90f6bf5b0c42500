"""diff_records: golden pairs (old, new -> changes), a big page, and random edits."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.diff import change_sort_key, diff_records, drift_level, fails
from scraper.errors import UsageError
from scraper.models import CHANGE_KINDS, Change, Record


def R(
    code: int | None,
    name: str | None,
    *messages: str,
    section: str = "40xx - Filters",
    description: str | None = None,
) -> Record:
    anchor = None if code is None else f"{code}-{(name or '').lower()}".rstrip("-")
    return Record(
        code, name, section, tuple(messages), ("en",) * len(messages), description, anchor
    )


def row(message: str, description: str | None = None, section: str = "Filter failures") -> Record:
    return Record(None, None, section, (message,), ("en",), description)


def show(c: Change) -> str:
    """One readable line per change, for golden expectations."""
    if c.kind == "renumbered":
        return f"renumbered {c.name} {c.old_code}->{c.new_code}"
    if c.kind == "renamed":
        return f"renamed {c.code} {c.old_name}->{c.new_name}"
    head = (
        f"{c.kind} {c.code if c.code is not None else '[' + str(c.section) + '] ' + str(c.message)}"
    )
    if c.kind in ("added", "removed"):
        return f"{head} {c.name}" if c.code is not None else head
    if c.kind == "messages_changed":
        return f"{head} +{list(c.added_messages)} -{list(c.removed_messages)}"
    if c.kind == "section_changed":
        return f"{head} {c.old_section}->{c.new_section}"
    return f"{head} {c.old_description!r}->{c.new_description!r}"


def d(old: list[Record], new: list[Record], **kw: object) -> list[str]:
    return [show(c) for c in diff_records("usds-futures", "en", old, new, **kw)]  # type: ignore[arg-type]


BASE = [
    R(-1000, "UNKNOWN", "An unknown error occurred while processing the request."),
    R(-4087, "INVALID_PAIR", "Invalid pair"),
    R(-4088, "NO_PLACE_ORDER_PERMISSION", "User can not place order currently"),
]


@dataclass
class Golden:
    old: list[Record]
    new: list[Record]
    expect: list[str]


GOLDEN = {
    "nothing": Golden(BASE, list(BASE), []),
    "added": Golden(BASE, BASE + [R(-4144, "INVALID_PAIR_2", "x")], ["added -4144 INVALID_PAIR_2"]),
    "removed": Golden(BASE, BASE[:2], ["removed -4088 NO_PLACE_ORDER_PERMISSION"]),
    "renamed": Golden(
        BASE,
        [BASE[0], R(-4087, "INVALID_SYMBOL_PAIR", "Invalid pair"), BASE[2]],
        ["renamed -4087 INVALID_PAIR->INVALID_SYMBOL_PAIR"],
    ),
    "renamed-with-message-edit": Golden(
        BASE,
        [BASE[0], R(-4087, "INVALID_SYMBOL_PAIR", "Invalid symbol pair"), BASE[2]],
        [
            "renamed -4087 INVALID_PAIR->INVALID_SYMBOL_PAIR",
            "messages_changed -4087 +['Invalid symbol pair'] -['Invalid pair']",
        ],
    ),
    "renumbered-to-a-new-code": Golden(
        BASE,
        [BASE[0], R(-4144, "INVALID_PAIR", "Invalid pair"), BASE[2]],
        ["renumbered INVALID_PAIR -4087->-4144"],
    ),
    "renumbered-with-message-edit": Golden(
        BASE,
        [BASE[0], R(-4144, "INVALID_PAIR", "Invalid pair", "Pair is not trading"), BASE[2]],
        [
            "renumbered INVALID_PAIR -4087->-4144",
            "messages_changed -4144 +['Pair is not trading'] -[]",
        ],
    ),
    # USDⓈ-M: INVALID_PAIR moved to -4144 and -4087 became REDUCE_ONLY_ORDER_PERMISSION
    "invalid-pair-renumbered-and-code-reused": Golden(
        BASE,
        [
            BASE[0],
            R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", "User can only place reduce only order"),
            BASE[2],
            R(-4144, "INVALID_PAIR", "Invalid pair"),
        ],
        [
            "renumbered INVALID_PAIR -4087->-4144",
            "renamed -4087 INVALID_PAIR->REDUCE_ONLY_ORDER_PERMISSION",
        ],
    ),
    # COIN-M -> USDⓈ-M for real: REDUCE_ONLY_ORDER_PERMISSION also moved, from -4089
    "two-names-moved-codes": Golden(
        BASE + [R(-4089, "REDUCE_ONLY_ORDER_PERMISSION", "User can only place reduce only order")],
        [
            BASE[0],
            R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", "User can only place reduce only order"),
            BASE[2],
            R(-4144, "INVALID_PAIR", "Invalid pair"),
        ],
        [
            "renumbered REDUCE_ONLY_ORDER_PERMISSION -4089->-4087",  # sorted by the new code
            "renumbered INVALID_PAIR -4087->-4144",
            "renamed -4087 INVALID_PAIR->REDUCE_ONLY_ORDER_PERMISSION",
        ],
    ),
    "swapped-codes": Golden(
        [R(-1, "A", "a"), R(-2, "B", "b")],
        [R(-1, "B", "b"), R(-2, "A", "a")],
        ["renumbered B -2->-1", "renumbered A -1->-2", "renamed -1 A->B", "renamed -2 B->A"],
    ),
    "messages_changed": Golden(
        BASE,
        [BASE[0], R(-4087, "INVALID_PAIR", "Invalid pair", "Pair not found"), BASE[2]],
        ["messages_changed -4087 +['Pair not found'] -[]"],
    ),
    "section_changed": Golden(
        BASE,
        [BASE[0], replace(BASE[1], section="41xx - Orders"), BASE[2]],
        ["section_changed -4087 40xx - Filters->41xx - Orders"],
    ),
    "description_changed": Golden(
        BASE,
        [BASE[0], replace(BASE[1], description="Only on USDⓈ-M."), BASE[2]],
        ["description_changed -4087 None->'Only on USDⓈ-M.'"],
    ),
    "whitespace-only": Golden(
        BASE + [R(-2, "X", "Too  many\u00a0requests ", description="Line one.\nLine two.")],
        [
            R(
                -1000,
                "UNKNOWN\u200b",
                "An unknown error occurred\u00a0while processing the request. ",
            ),
            R(-4087, " INVALID_PAIR ", "\u200bInvalid   pair"),
            R(-4088, "NO_PLACE_ORDER_PERMISSION", "User can not place order currently\u200b", ""),
            R(-2, "X", "Too many requests", description="Line one.  \n  Line two. "),
        ],
        [],
    ),
    "name-case-only": Golden(
        BASE, [BASE[0], R(-4087, "Invalid_Pair", "Invalid pair"), BASE[2]], []
    ),
    "message-reorder-only": Golden(
        [R(-1, "A", "one", "two", "two")], [R(-1, "A", "two", "one", "two")], []
    ),
    "record-reorder-only": Golden(BASE, BASE[::-1], []),
    "message-multiset": Golden(
        [R(-1, "A", "one", "two")],
        [R(-1, "A", "one", "two", "two")],
        ["messages_changed -1 +['two'] -[]"],
    ),
    "duplicated-code-unchanged": Golden(
        [R(-1003, "TOO_MANY_REQUESTS", "a"), R(-1003, "TOO_MANY_REQUESTS", "b")],
        [R(-1003, "TOO_MANY_REQUESTS", "a"), R(-1003, "TOO_MANY_REQUESTS", "b")],
        [],
    ),
    "duplicated-code-second-occurrence-edited": Golden(
        [R(-1003, "TOO_MANY_REQUESTS", "a"), R(-1003, "TOO_MANY_REQUESTS", "b")],
        [R(-1003, "TOO_MANY_REQUESTS", "a"), R(-1003, "TOO_MANY_REQUESTS", "b2")],
        ["messages_changed -1003 +['b2'] -['b']"],
    ),
    "duplicated-code-one-occurrence-removed": Golden(
        [R(-1003, "TOO_MANY_REQUESTS", "a"), R(-1003, "TOO_MANY_ORDERS", "b")],
        [R(-1003, "TOO_MANY_ORDERS", "b")],
        ["removed -1003 TOO_MANY_REQUESTS"],
    ),
    "duplicated-code-occurrence-added": Golden(
        [R(-1003, "TOO_MANY_REQUESTS", "a")],
        [R(-1003, "TOO_MANY_REQUESTS", "a"), R(-1003, "TOO_MANY_ORDERS", "b")],
        ["added -1003 TOO_MANY_ORDERS"],
    ),
    "null-names-never-renumbered": Golden(
        [R(-20204, None, "x")], [R(-20205, None, "x")], ["removed -20204 None", "added -20205 None"]
    ),
    "name-not-unique-is-not-renumbered": Golden(
        [R(-1, "DUP", "a"), R(-2, "DUP", "b")],
        [R(-2, "DUP", "b"), R(-3, "DUP", "a")],
        ["removed -1 DUP", "added -3 DUP"],
    ),
    "translated-name-renamed": Golden(
        [R(-1000, "UNKNOWN", "x")], [R(-1000, "未知错误", "x")], ["renamed -1000 UNKNOWN->未知错误"]
    ),
    "table-row-added": Golden(
        [row("Filter failure: PRICE_FILTER", "price is too high")],
        [row("Filter failure: PRICE_FILTER", "price is too high"), row("Filter failure: LOT_SIZE")],
        ["added [Filter failures] Filter failure: LOT_SIZE"],
    ),
    "table-row-removed": Golden(
        [row("Filter failure: PRICE_FILTER"), row("Filter failure: LOT_SIZE")],
        [row("Filter failure: LOT_SIZE")],
        ["removed [Filter failures] Filter failure: PRICE_FILTER"],
    ),
    "table-row-description": Golden(
        [row("Filter failure: PRICE_FILTER", "price is too high")],
        [row("Filter failure: PRICE_FILTER", "price is too high or too low")],
        [
            (
                "description_changed [Filter failures] Filter failure: PRICE_FILTER "
                "'price is too high'->'price is too high or too low'"
            )
        ],
    ),
    "table-row-whitespace-only": Golden(
        [row("Filter failure: PRICE_FILTER", "price is too high")],
        [row("Filter failure:\u00a0PRICE_FILTER ", "price is\u200b too  high")],
        [],
    ),
    "table-row-moved-section": Golden(
        [row("Order would trigger immediately.", section="Order Rejection Issues")],
        [row("Order would trigger immediately.", section="Order Rejection")],
        [
            (
                "section_changed [Order Rejection] Order would trigger immediately. "
                "Order Rejection Issues->Order Rejection"
            )
        ],
    ),
}


@pytest.mark.parametrize("case", GOLDEN.values(), ids=GOLDEN.keys())
def test_golden(case: Golden) -> None:
    assert d(case.old, case.new) == case.expect


def test_renumbered_change_fields_and_breaking() -> None:
    new = [
        BASE[0],
        R(-4087, "REDUCE_ONLY_ORDER_PERMISSION", "u"),
        BASE[2],
        R(-4144, "INVALID_PAIR", "Invalid pair"),
    ]
    renum, renamed = diff_records("usds-futures", "en", BASE, new)
    assert renum.to_dict() == {
        "kind": "renumbered",
        "page": "usds-futures",
        "locale": "en",
        "name": "INVALID_PAIR",
        "old_code": -4087,
        "new_code": -4144,
        "anchor": "-4144-invalid_pair",
        "breaking": True,
    }
    assert renamed.to_dict() == {
        "kind": "renamed",
        "page": "usds-futures",
        "locale": "en",
        "code": -4087,
        "old_name": "INVALID_PAIR",
        "new_name": "REDUCE_ONLY_ORDER_PERMISSION",
        "anchor": "-4087-reduce_only_order_permission",
        "breaking": True,
    }


def test_anchor_comes_from_new_record_and_from_old_for_removed() -> None:
    old = [
        Record(-1, "A", "S", ("m",), anchor="old-a"),
        Record(-2, "B", "S", ("m",), anchor="old-b"),
    ]
    new = [Record(-1, "A", "S", ("m2",), anchor="new-a")]
    changes = {c.kind: c for c in diff_records("p", "en", old, new)}
    assert changes["messages_changed"].anchor == "new-a"
    assert changes["removed"].anchor == "old-b"


def test_generic_names_are_not_used_for_renumbering() -> None:
    old, new = [R(-1, "SYSTEM_ERROR", "x")], [R(-2, "SYSTEM_ERROR", "x")]
    assert d(old, new) == ["renumbered SYSTEM_ERROR -1->-2"]
    assert d(old, new, generic_names=["system_error"]) == [
        "removed -1 SYSTEM_ERROR",
        "added -2 SYSTEM_ERROR",
    ]


def test_output_is_sorted_by_kind_then_code_in_page_order() -> None:
    old = [R(-1002, "B", "b"), R(-1001, "A", "a"), R(-1010, "X", "x"), row("r1", "d")]
    new = [
        R(-1001, "A2", "a"),
        R(-1002, "B", "b2"),
        R(-1003, "C", "c"),
        R(-1000, "Z", "z"),
        row("r1", "d2"),
        row("r2"),
    ]
    changes = diff_records("p", "en", old, new)
    kinds = [CHANGE_KINDS.index(c.kind) for c in changes]
    assert kinds == sorted(kinds)
    assert [show(c) for c in changes] == [
        "renamed -1001 A->A2",
        "removed -1010 X",
        "added -1000 Z",
        "added -1003 C",
        "added [Filter failures] r2",
        "messages_changed -1002 +['b2'] -['b']",
        "description_changed [Filter failures] r1 'd'->'d2'",
    ]
    assert changes == sorted(changes, key=change_sort_key)


@pytest.mark.parametrize(
    "kinds, level, fail",
    [
        ((), "none", {"never": False, "any": False, "breaking": False}),
        (("messages_changed", "added"), "any", {"never": False, "any": True, "breaking": False}),
        (("added", "renumbered"), "breaking", {"never": False, "any": True, "breaking": True}),
        (("removed",), "breaking", {"never": False, "any": True, "breaking": True}),
    ],
    ids=["no-changes", "non-breaking", "renumbered", "removed"],
)
def test_drift_level_and_fail_on(kinds: tuple[str, ...], level: str, fail: dict[str, bool]) -> None:
    changes = [Change(k, "p", "en") for k in kinds]
    assert drift_level(changes) == level
    assert {f: fails(changes, f) for f in fail} == fail
    with pytest.raises(UsageError, match="--fail-on"):
        fails(changes, "sometimes")


def test_ten_thousand_codes() -> None:
    rng = random.Random(7)
    old = [R(-(10000 + i), f"ERROR_{i}", f"message {i}", f"second {i}") for i in range(10_000)]
    new = list(old)
    idx = rng.sample(range(10_000), 400)
    removed, renamed, renumbered, edited = idx[:100], idx[100:200], idx[200:300], idx[300:400]
    for i in renamed:
        new[i] = replace(old[i], name=f"RENAMED_{i}")
    for i in renumbered:
        new[i] = replace(old[i], code=-(50000 + i), messages=(f"message {i}", "edited"))
    for i in edited:
        new[i] = replace(old[i], messages=old[i].messages[::-1] + ("extra",))
    new = [r for i, r in enumerate(new) if i not in set(removed)]
    new += [R(-(90000 + i), f"NEW_{i}", "n") for i in range(100)]
    rng.shuffle(new)
    start = time.perf_counter()
    changes = diff_records("p", "en", old, new)
    elapsed = time.perf_counter() - start
    counts = Counter(c.kind for c in changes)
    assert counts == {
        "removed": 100,
        "renamed": 100,
        "renumbered": 100,
        "added": 100,
        "messages_changed": 200,
    }
    assert {(c.old_code, c.new_code) for c in changes if c.kind == "renumbered"} == {
        (-(10000 + i), -(50000 + i)) for i in renumbered
    }
    assert elapsed < 2.0, elapsed  # ≈ 0.1 s measured


# ---------------------------------------------------------------- properties

NAMES = ["A", "B", "C", "D", "E", "INVALID_PAIR", "未知错误", None]
WORDS = ["Invalid pair", "Too many requests", "Unknown error", "x", "y"]

records_st = st.lists(
    st.builds(
        Record,
        code=st.one_of(st.integers(-60, -1), st.none()),
        name=st.sampled_from(NAMES),
        section=st.sampled_from(["S1", "S2"]),
        messages=st.lists(st.sampled_from(WORDS), max_size=3).map(tuple),
        description=st.sampled_from([None, "d1", "d2"]),
    ),
    max_size=25,
)


def _whitespace_noise(r: Record, rng: random.Random) -> Record:
    def noisy(s: str | None) -> str | None:
        if not s:
            return s
        return (
            rng.choice(["", " ", "\u200b", "\u00a0"])
            + s.replace(" ", rng.choice([" ", "  ", "\u00a0"]))
            + rng.choice(["", " ", "\u200b"])
        )

    return replace(
        r,
        name=noisy(r.name),
        section=noisy(r.section),
        messages=tuple(noisy(m) or "" for m in r.messages),
        description=noisy(r.description),
    )


@settings(max_examples=300, deadline=None)
@given(records_st, st.randoms(use_true_random=False))
def test_no_edit_and_whitespace_noise_give_no_changes(
    records: list[Record], rng: random.Random
) -> None:
    assert diff_records("p", "en", records, list(records)) == []
    assert diff_records("p", "en", records, [_whitespace_noise(r, rng) for r in records]) == []


@settings(max_examples=300, deadline=None)
@given(records_st, st.randoms(use_true_random=False))
def test_reordering_records_with_unique_keys_gives_no_changes(
    records: list[Record], rng: random.Random
) -> None:
    seen: set[object] = set()
    unique = []
    for r in records:
        key = r.code if r.code is not None else (r.section, r.messages, r.name)
        if key not in seen:
            seen.add(key)
            unique.append(r)
    shuffled = list(unique)
    rng.shuffle(shuffled)
    assert diff_records("p", "en", unique, shuffled) == []


edit_st = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "rename", "renumber", "message", "section"]),
        st.integers(0, 1000),
        st.sampled_from(NAMES),
        st.sampled_from(WORDS),
    ),
    max_size=8,
)


def _apply(records: list[Record], edits: list[tuple[str, int, str | None, str]]) -> list[Record]:
    out = list(records)
    for op, k, name, word in edits:
        if op == "add" or not out:
            out.insert(k % (len(out) + 1), R(-(100 + k), name, word))
            continue
        i = k % len(out)
        r = out[i]
        if op == "remove":
            del out[i]
        elif op == "rename":
            out[i] = replace(r, name=name)
        elif op == "renumber":
            out[i] = replace(r, code=-(2000 + k))
        elif op == "message":
            out[i] = replace(r, messages=r.messages + (word,))
        else:
            out[i] = replace(r, section=(r.section or "") + " moved")
    return out


def _codes(records: list[Record]) -> Counter[int]:
    return Counter(r.code for r in records if r.code is not None)


@settings(max_examples=400, deadline=None)
@given(records_st, edit_st)
def test_random_edits_are_accounted_for(
    records: list[Record], edits: list[tuple[str, int, str | None, str]]
) -> None:
    new = _apply(records, edits)
    changes = diff_records("p", "en", records, new)
    assert changes == sorted(changes, key=change_sort_key)
    added = {c.code for c in changes if c.kind == "added"} | {
        c.new_code for c in changes if c.kind == "renumbered"
    }
    removed = {c.code for c in changes if c.kind == "removed"} | {
        c.old_code for c in changes if c.kind == "renumbered"
    }
    old_codes, new_codes = _codes(records), _codes(new)
    for code in new_codes.keys() - old_codes.keys():
        assert code in added
    for code in old_codes.keys() - new_codes.keys():
        assert code in removed
    # an occurrence count that went up or down shows up as added/removed or a renumber
    for code in new_codes - old_codes:
        assert code in added
    # the reverse diff mirrors this one
    back = Counter(c.kind for c in diff_records("p", "en", new, records))
    fwd = Counter(c.kind for c in changes)
    assert (back["added"], back["removed"]) == (fwd["removed"], fwd["added"])
    for kind in (
        "renumbered",
        "renamed",
        "messages_changed",
        "section_changed",
        "description_changed",
    ):
        assert back[kind] == fwd[kind], kind
    if not edits:
        assert changes == []
