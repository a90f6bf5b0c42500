"""Frozen dataclasses shared by every pipeline stage.

Records are what a page says; outcomes are what happened when we fetched it; changes
are what moved between two snapshots.  ``to_dict`` methods fix the JSON key order so
stored files are byte-identical when nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Locale = Literal["en", "zh-CN"]
LOCALES: tuple[str, ...] = ("en", "zh-CN")

PageStatus = Literal["ok", "not_modified", "failed", "quarantined"]
GOOD_STATUSES: frozenset[str] = frozenset({"ok", "not_modified"})

CHANGE_KINDS: tuple[str, ...] = (
    "renumbered",
    "renamed",
    "removed",
    "added",
    "messages_changed",
    "section_changed",
    "description_changed",
)
BREAKING_KINDS: frozenset[str] = frozenset({"removed", "renamed", "renumbered"})


@dataclass(frozen=True, slots=True)
class Record:
    """One error-code heading of a page, or one row of a code-less message table."""

    code: int | None
    name: str | None
    section: str | None
    messages: tuple[str, ...] = ()
    message_langs: tuple[str, ...] = ()
    description: str | None = None
    anchor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "section": self.section,
            "messages": list(self.messages),
            "message_langs": list(self.message_langs),
            "description": self.description,
            "anchor": self.anchor,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        return cls(
            code=d.get("code"),
            name=d.get("name"),
            section=d.get("section"),
            messages=tuple(d.get("messages") or ()),
            message_langs=tuple(d.get("message_langs") or ()),
            description=d.get("description"),
            anchor=d.get("anchor"),
        )


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """The parser's result for one HTML document."""

    page: str | None
    locale: str | None
    records: tuple[Record, ...]
    markdown: str
    title: str | None = None
    canonical_url: str | None = None  # <link rel=canonical> or og:url, as found
    warnings: tuple[str, ...] = ()  # unknown markup that was skipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "locale": self.locale,
            "records": [r.to_dict() for r in self.records],
        }


@dataclass(frozen=True, slots=True)
class PageRef:
    """A registry entry: page id and its docs path (without locale prefix)."""

    id: str
    path: str

    def url(self, locale: str, base_url: str = "https://developers.binance.com") -> str:
        base = base_url.rstrip("/")
        prefix = "/docs/" if locale == "en" else f"/docs/{locale}/"
        return f"{base}{prefix}{self.path.strip('/')}"

    def url_path(self, locale: str) -> str:
        return self.url(locale, base_url="")


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What the HTTP layer got for one page and locale (before validation)."""

    page: str
    locale: str
    url: str
    final_url: str | None = None
    http_status: int | None = None
    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None  # transport failure (timeout, connection refused, ...)
    elapsed: float = 0.0
    content_type: str | None = None  # the Content-Type header (its charset decodes the body)


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """One page and locale after fetch + validation + parse: what the snapshot stores."""

    page: str
    locale: str
    url: str
    status: str  # PageStatus
    reason: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    records: tuple[Record, ...] | None = None
    markdown: str | None = None
    raw_html: bytes | None = None
    warnings: tuple[str, ...] = ()
    article: str | None = None  # fingerprint of the article subtree (scraper.reuse)
    # Article unchanged since the baseline: its stored objects, linked by hash as they are
    # (``records``/``markdown`` above hold the same content, read back hash-checked).
    records_hash: str | None = None
    markdown_hash: str | None = None

    @property
    def good(self) -> bool:
        return self.status in GOOD_STATUSES


@dataclass(frozen=True, slots=True)
class Change:
    """One classified difference between two versions of a page's records."""

    kind: str
    page: str
    locale: str
    code: int | None = None
    name: str | None = None
    old_code: int | None = None
    new_code: int | None = None
    old_name: str | None = None
    new_name: str | None = None
    section: str | None = None
    old_section: str | None = None
    new_section: str | None = None
    old_description: str | None = None
    new_description: str | None = None
    message: str | None = None  # code-less table records are keyed by their message
    added_messages: tuple[str, ...] = ()
    removed_messages: tuple[str, ...] = ()
    anchor: str | None = None

    @property
    def breaking(self) -> bool:
        return self.kind in BREAKING_KINDS

    def to_dict(self) -> dict[str, Any]:
        """Spec field names; fields that do not apply to the kind are left out."""
        d: dict[str, Any] = {"kind": self.kind, "page": self.page, "locale": self.locale}
        for key in (
            "code",
            "name",
            "old_code",
            "new_code",
            "old_name",
            "new_name",
            "section",
            "old_section",
            "new_section",
            "old_description",
            "new_description",
            "message",
        ):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.kind == "messages_changed":
            d["added_messages"] = list(self.added_messages)
            d["removed_messages"] = list(self.removed_messages)
        if self.anchor is not None:
            d["anchor"] = self.anchor
        d["breaking"] = self.breaking
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Change:
        kw = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for key in ("added_messages", "removed_messages"):
            kw[key] = tuple(kw.get(key) or ())
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything a run produced; the CLI turns it into an exit code."""

    snapshot_id: str | None
    baseline_ids: dict[str, str] = field(default_factory=dict)  # "page/locale" -> id
    outcomes: tuple[PageOutcome, ...] = ()
    changes: tuple[Change, ...] = ()
    report_dir: str | None = None

    @property
    def failed(self) -> tuple[PageOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.good)


def code_count(records: Iterable[Record]) -> int:
    """Number of error-code records (message-table rows carry no code)."""
    return sum(1 for r in records if r.code is not None)
