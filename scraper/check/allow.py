"""``--allow FILE``: accepted findings, each with a reason and an optional expiry.

[[allow]]
kind = "not_in_docs"
code = -9000
page = "spot"              # optional: only findings that name this page
reason = "our own client-side code"
expires = 2027-06-30       # optional (TOML date or "YYYY-MM-DD"); after it, fails again
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from scraper.check.model import KINDS, Allowance, Finding
from scraper.errors import UsageError

_FIELDS = {"kind", "code", "page", "reason", "expires"}


def load_allow(path: str | Path) -> tuple[Allowance, ...]:
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read --allow {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--allow {path}: not TOML: {exc}") from None
    extra = set(data) - {"allow"}
    if extra:
        raise UsageError(f"--allow {path}: unknown key {min(extra)!r}; use [[allow]] tables")
    items = data.get("allow", [])
    if not isinstance(items, list):
        raise UsageError(f"--allow {path}: 'allow' must be an array of tables ([[allow]])")
    out: list[Allowance] = []
    for i, item in enumerate(items, 1):
        where = f"--allow {path}: [[allow]] #{i}"
        if not isinstance(item, dict):
            raise UsageError(f"{where}: not a table")
        unknown = set(item) - _FIELDS
        if unknown:
            raise UsageError(f"{where}: unknown key {min(unknown)!r}")
        kind, code, reason = item.get("kind"), item.get("code"), item.get("reason")
        if kind not in KINDS:
            raise UsageError(f"{where}: kind must be one of {', '.join(KINDS)}")
        if isinstance(code, str):
            try:
                code = int(code)
            except ValueError:
                code = None
        if not isinstance(code, int) or isinstance(code, bool):
            raise UsageError(f"{where}: code must be an integer such as -4087")
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(f"{where}: a reason is required")
        page = item.get("page")
        if page is not None and not isinstance(page, str):
            raise UsageError(f"{where}: page must be a page id")
        expires = item.get("expires")
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                raise UsageError(f"{where}: expires must be a date (YYYY-MM-DD)") from None
        if expires is not None and not isinstance(expires, date):
            raise UsageError(f"{where}: expires must be a date (YYYY-MM-DD)")
        out.append(
            Allowance(kind=kind, code=code, reason=reason.strip(), page=page, expires=expires)
        )
    return tuple(out)


def apply_allow(
    findings: Sequence[Finding], allows: Sequence[Allowance], today: date | None = None
) -> list[Finding]:
    """Mark allowed findings suppressed; an expired allowance suppresses nothing."""
    today = today or date.today()
    out: list[Finding] = []
    for f in findings:
        for a in allows:
            if a.kind != f.kind or a.code != f.code:
                continue
            if a.page is not None and a.page not in f.pages and a.page not in f.bound:
                continue
            if a.expires is not None and a.expires < today:
                f = replace(
                    f, detail=f"{f.detail} (allowance expired {a.expires.isoformat()}: {a.reason})"
                )
                break
            f = replace(f, suppressed=True, reason=a.reason)
            break
        out.append(f)
    return out
