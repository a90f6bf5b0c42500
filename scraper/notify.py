"""Notifications through Apprise: drift to ``[notify] urls``, fetch failures and
recoveries to ``[notify] failure_urls`` (or to ``urls`` when that is empty).

Why a state file: a page that stays down (or a WAF that keeps answering with a
challenge) would otherwise send the same alert on every run until people mute the
channel. The failing pages are remembered in a small JSON file (written atomically); a
failure is announced when the set of failing pages gains a page, a recovery when a page
that failed is good again, each once. Pages a run did not look at keep their state.

Sending never raises: a notification problem is logged and the run's exit code stays
what the crawl and diff made it. A message that could not be delivered is not recorded
as announced, so the next run tries again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper.config import Config
from scraper.files import atomic_write_text
from scraper.models import GOOD_STATUSES

log = logging.getLogger("errwatch.notify")

FAILING_STATUSES: frozenset[str] = frozenset({"failed", "quarantined"})
STATE_VERSION = 1


def default_state_path(cfg: Config) -> Path:
    """Beside the snapshots, so a CI cache or commit of snapshots/ carries it along."""
    return Path(cfg.snapshots) / ".notify-state.json"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def drift_title(changes: int, breaking: int) -> str:
    return f"errwatch: {_plural(changes, 'change')} ({breaking} breaking)"


def report_link(report: Mapping[str, Any], cfg: Config) -> str | None:
    """The public URL of this run's HTML report, when ``report_url`` is configured."""
    if not cfg.report_url:
        return None
    base = cfg.report_url.rstrip("/")
    report_id = report.get("id")
    return f"{base}/{report_id}/report.html" if report_id else f"{base}/"


def _redact(url: str) -> str:
    """Apprise URLs carry tokens anywhere (even in the host part): log the scheme only."""
    scheme = urlsplit(url).scheme
    return f"{scheme}://…" if scheme else "<malformed URL>"


def _send(urls: Iterable[str], title: str, body: str, kind: str) -> bool:
    """Send one message to every URL; True when at least one service accepted it."""
    try:
        import apprise
    except ImportError as exc:
        log.error("errwatch notify: apprise is not installed (%s); %r not sent", exc, title)
        return False
    notifier = apprise.Apprise()
    added = 0
    for url in urls:
        if notifier.add(url):
            added += 1
        else:
            log.error("errwatch notify: unusable notification URL %s", _redact(url))
    if not added:
        return False
    notify_type = {
        "drift": apprise.NotifyType.INFO,
        "breaking": apprise.NotifyType.WARNING,
        "failure": apprise.NotifyType.FAILURE,
        "recovery": apprise.NotifyType.SUCCESS,
    }[kind]
    try:
        result = notifier.notify(
            body=body,
            title=title,
            notify_type=notify_type,
            body_format=apprise.NotifyFormat.MARKDOWN,
        )
    except Exception as exc:  # noqa: BLE001 - a plugin bug must not fail the run
        log.error("errwatch notify: sending %r failed: %s: %s", title, type(exc).__name__, exc)
        return False
    # Apprise 2 returns an AppriseResult (per-service results); Apprise 1 a bool.
    for service in getattr(result, "results", ()):
        if not service:
            status = getattr(service.status, "name", service.status)
            log.warning("errwatch notify: %s did not take %r (%s)", service.url, title, status)
    delivered = bool(result) or getattr(result, "success_count", 0) > 0
    if not delivered:
        log.error("errwatch notify: %r was not delivered to any service", title)
    return delivered


def load_state(state_path: Path) -> dict[str, dict[str, Any]]:
    """Failing pages as last announced: ``{"spot/en": {"status": …, "reason": …}}``."""
    try:
        data = json.loads(state_path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("errwatch notify: ignoring unreadable state %s (%s)", state_path, exc)
        return {}
    failing = data.get("failing") if isinstance(data, dict) else None
    if not isinstance(failing, dict):
        log.warning("errwatch notify: ignoring state %s without a 'failing' table", state_path)
        return {}
    return {str(k): dict(v) if isinstance(v, dict) else {} for k, v in failing.items()}


def save_state(state_path: Path, failing: Mapping[str, Mapping[str, Any]]) -> None:
    """Write atomically (temp file + rename) so a killed run never leaves half a file."""
    data = {"version": STATE_VERSION, "failing": {k: dict(failing[k]) for k in sorted(failing)}}
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_text(state_path, text, fsync=True)


def _page_key(page: Mapping[str, Any]) -> str:
    return f"{page.get('page')}/{page.get('locale')}"


def _page_line(key: str, info: Mapping[str, Any], new: bool = False) -> str:
    reason = f": {info['reason']}" if info.get("reason") else ""
    mark = " (new)" if new else ""
    return f"- **{key}** {info.get('status')}{reason}{mark}"


def notify_run(
    report: Mapping[str, Any], markdown: str, cfg: Config, state_path: Path
) -> list[str]:
    """Announce this run's drift, new fetch failures and recoveries; return the titles sent.

    ``report`` is report.json as a dict (``summary``, ``pages``, ``id``) and ``markdown``
    its report.md, sent as the body of a drift message.
    """
    if not cfg.notify_urls and not cfg.failure_urls:
        return []
    sent: list[str] = []
    link = report_link(report, cfg)
    footer = f"\n\nFull report: {link}" if link else ""

    summary = report.get("summary") or {}
    changes = int(summary.get("changes") or 0)
    breaking = int(summary.get("breaking") or 0)
    if changes > 0 and cfg.notify_urls:
        title = drift_title(changes, breaking)
        kind = "breaking" if breaking else "drift"
        body = markdown.rstrip()
        if link and link not in body:  # report.md may already end with the link
            body += footer
        if _send(cfg.notify_urls, title, body, kind):
            sent.append(title)

    pages = [p for p in report.get("pages") or () if isinstance(p, Mapping)]
    failing = {
        _page_key(p): {"status": p.get("status"), "reason": p.get("reason")}
        for p in pages
        if p.get("status") in FAILING_STATUSES
    }
    good = {_page_key(p) for p in pages if p.get("status") in GOOD_STATUSES}
    previous = load_state(state_path)
    state = dict(previous)
    targets = cfg.failure_urls or cfg.notify_urls
    snapshot = (report.get("new") or {}).get("snapshot") or report.get("id")
    where = f" in snapshot {snapshot}" if snapshot else ""

    new = [k for k in sorted(failing) if k not in previous]
    if new:
        title = f"errwatch: {_plural(len(failing), 'page')} failing ({len(new)} new)"
        lines = [_page_line(k, failing[k], k in new) for k in sorted(failing)]
        body = (
            f"These pages could not be fetched or failed validation{where}; their last "
            "good snapshot stays the baseline.\n\n" + "\n".join(lines) + footer
        )
        if _send(targets, title, body, "failure"):
            sent.append(title)
            state.update(failing)
    state.update({k: v for k, v in failing.items() if k in previous})  # fresh reasons

    recovered = [k for k in sorted(previous) if k in good]
    if recovered:
        title = f"errwatch: {_plural(len(recovered), 'page')} recovered"
        lines = [f"- **{k}** ok again (was {previous[k].get('status')})" for k in recovered]
        body = f"These pages are fetched and valid again{where}:\n\n" + "\n".join(lines) + footer
        if _send(targets, title, body, "recovery"):
            sent.append(title)
            for k in recovered:
                del state[k]

    if state != previous:
        try:
            save_state(state_path, state)
        except OSError as exc:
            log.error("errwatch notify: cannot write state %s (%s)", state_path, exc)
    for title in sent:
        log.info("errwatch notify: sent %r", title)
    return sent
