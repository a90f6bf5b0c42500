"""Notifications through Apprise: drift to ``[notify] urls``, fetch failures and
recoveries to ``[notify] failure_urls`` (or to ``urls`` when that is empty).

Why a state file: a page that stays down (or a WAF that keeps answering with a
challenge) would otherwise send the same alert on every run until people mute the
channel. The failing pages are remembered in a small JSON file (written atomically); a
failure is announced when the set of failing pages gains a page, a recovery when a page
that failed is good again, each once. Pages a run did not look at keep their state.

The outbox: every message is first written to the same state file, then sent to each
URL of its channel, and leaves the outbox only when every URL has taken it. A message a
webhook refused (HTTP 500, a timeout, a dead host) is tried again at the start of each
later run, oldest first, so a drift alarm is delivered at least once. Messages are keyed
by report id and kind (``<report id>/drift``), and the URLs that took a message are
remembered for a while: re-reporting the same report (after a crash between sending and
recording) never sends it twice to a service that already has it. The file names URLs by
a hash only: no token is ever written to disk.

Sending never raises: a notification problem is logged (URLs reduced to their scheme)
and the run's exit code stays what the crawl and diff made it.

Page text is escaped for Markdown (scraper.textsafe) and every body goes through
``chat_text``: no link, image, HTML or ``@everyone``/``<@id>`` mention from a page.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scraper.config import Config
from scraper.files import atomic_write_text
from scraper.models import GOOD_STATUSES
from scraper.textsafe import chat_text, md_text, redact, redact_url, register_secrets

log = logging.getLogger("errwatch.notify")

FAILING_STATUSES: frozenset[str] = frozenset({"failed", "quarantined"})
STATE_VERSION = 2
OUTBOX_LIMIT = 100  # undelivered messages kept; the oldest are dropped (with a warning)
DELIVERED_LIMIT = 200  # message ids remembered as delivered, for de-duplication
KINDS = ("drift", "breaking", "failure", "recovery")


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


def target_id(url: str) -> str:
    """How the state file names a URL: a hash, never the URL (it holds tokens)."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Message:
    """One notification in the outbox: what to send, to which channel, who has it."""

    id: str  # "<report id>/<kind>"
    report: str
    kind: str  # KINDS
    channel: str  # "drift" (notify_urls) or "failure" (failure_urls, else notify_urls)
    title: str
    body: str
    created: str
    attempts: int = 0
    delivered_to: tuple[str, ...] = ()  # target_id() of the URLs that took it

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Message:
        kind = str(d["kind"])
        channel = str(d["channel"])
        if kind not in KINDS or channel not in ("drift", "failure"):
            raise ValueError(f"unknown message kind {kind!r} / channel {channel!r}")
        return cls(
            id=str(d["id"]),
            report=str(d.get("report") or ""),
            kind=kind,
            channel=channel,
            title=str(d["title"]),
            body=str(d["body"]),
            created=str(d.get("created") or ""),
            attempts=int(d.get("attempts") or 0),
            delivered_to=tuple(str(t) for t in d.get("delivered_to") or ()),
        )


@dataclass(frozen=True)
class NotifyState:
    """The whole state file: announced failing pages, the outbox, recent deliveries."""

    failing: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    outbox: tuple[Message, ...] = ()
    delivered: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> targets


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------- state file


def read_state(state_path: Path) -> NotifyState:
    """The state file, or an empty state when it is missing or unreadable (one warning)."""
    try:
        data = json.loads(state_path.read_text("utf-8"))
    except FileNotFoundError:
        return NotifyState()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("errwatch notify: ignoring unreadable state %s (%s)", state_path, exc)
        return NotifyState()
    failing = data.get("failing") if isinstance(data, dict) else None
    if not isinstance(failing, dict):
        log.warning("errwatch notify: ignoring state %s without a 'failing' table", state_path)
        return NotifyState()
    outbox: list[Message] = []
    for entry in data.get("outbox") or ():
        try:
            outbox.append(Message.from_dict(entry))
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("errwatch notify: dropping an unreadable outbox entry in %s", state_path)
    delivered_raw = data.get("delivered")
    delivered: dict[str, tuple[str, ...]] = {}
    if isinstance(delivered_raw, dict):
        for k, v in delivered_raw.items():
            if isinstance(v, list):
                delivered[str(k)] = tuple(str(t) for t in v)
    return NotifyState(
        failing={str(k): dict(v) if isinstance(v, dict) else {} for k, v in failing.items()},
        outbox=tuple(outbox),
        delivered=delivered,
    )


def load_state(state_path: Path) -> dict[str, dict[str, Any]]:
    """Failing pages as last announced: ``{"spot/en": {"status": …, "reason": …}}``."""
    return {k: dict(v) for k, v in read_state(state_path).failing.items()}


def load_outbox(state_path: Path) -> list[Message]:
    """Messages not yet taken by every URL of their channel, oldest first."""
    return list(read_state(state_path).outbox)


def write_state(state_path: Path, state: NotifyState) -> None:
    """Write atomically (temp file + rename) so a killed run never leaves half a file."""
    data = {
        "version": STATE_VERSION,
        "failing": {k: dict(state.failing[k]) for k in sorted(state.failing)},
        "outbox": [asdict(m) for m in state.outbox],
        "delivered": {k: list(v) for k, v in state.delivered.items()},
    }
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_text(state_path, text, fsync=True)


def save_state(state_path: Path, failing: Mapping[str, Mapping[str, Any]]) -> None:
    """Replace the failing pages, keeping the outbox and the delivery record."""
    write_state(state_path, replace(read_state(state_path), failing=dict(failing)))


# ---------------------------------------------------------------------------- sending


class _RedactApprise(logging.Filter):
    """Apprise logs whole URLs (tokens, passwords) at error and debug level: cut them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format in a plugin must not kill the run
            message = str(record.msg)
        record.msg, record.args = redact(message, urls=True), None
        return True


_APPRISE_FILTER = _RedactApprise()


def _apprise() -> Any:
    import apprise

    logger = logging.getLogger("apprise")
    if _APPRISE_FILTER not in logger.filters:
        logger.addFilter(_APPRISE_FILTER)
    return apprise


def _send_one(url: str, title: str, body: str, kind: str) -> bool:
    """Send one message to one URL; True when the service accepted it."""
    try:
        apprise = _apprise()
    except ImportError as exc:
        log.error("errwatch notify: apprise is not installed (%s); %r not sent", exc, title)
        return False
    notifier = apprise.Apprise()
    if not notifier.add(url):
        log.error("errwatch notify: unusable notification URL %s", redact_url(url))
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
        log.error(
            "errwatch notify: sending %r to %s failed: %s",
            title,
            redact_url(url),
            type(exc).__name__,
        )
        return False
    # Apprise 2 returns an AppriseResult; Apprise 1 a bool.
    delivered = bool(result) or getattr(result, "success_count", 0) > 0
    if not delivered:
        log.warning("errwatch notify: %s did not take %r", redact_url(url), title)
    return delivered


def _deliver(message: Message, urls: Sequence[str]) -> Message:
    """Send to every URL of the channel that does not have the message yet."""
    have = set(message.delivered_to)
    got = list(message.delivered_to)
    for url in urls:
        tid = target_id(url)
        if tid in have:
            continue
        if _send_one(url, message.title, message.body, message.kind):
            have.add(tid)
            got.append(tid)
    return replace(message, attempts=message.attempts + 1, delivered_to=tuple(got))


# ---------------------------------------------------------------------------- messages


def _page_key(page: Mapping[str, Any]) -> str:
    return f"{page.get('page')}/{page.get('locale')}"


def _page_line(key: str, info: Mapping[str, Any], new: bool = False) -> str:
    reason = f": {md_text(info['reason'])}" if info.get("reason") else ""
    mark = " (new)" if new else ""
    return f"- **{md_text(key)}** {md_text(info.get('status'))}{reason}{mark}"


def _message(report_id: str, kind: str, channel: str, title: str, body: str) -> Message:
    base = "drift" if kind == "breaking" else kind
    return Message(
        id=f"{report_id}/{base}",
        report=report_id,
        kind=kind,
        channel=channel,
        title=title,
        body=chat_text(body),
        created=_now(),
    )


def _run_messages(
    report: Mapping[str, Any], markdown: str, cfg: Config, previous: Mapping[str, Any]
) -> tuple[list[Message], dict[str, Mapping[str, Any]], set[str]]:
    """This run's messages, the failing pages they announce and the pages they recover."""
    messages: list[Message] = []
    report_id = str(report.get("id") or "")
    link = report_link(report, cfg)
    footer = f"\n\nFull report: {link}" if link else ""

    summary = report.get("summary") or {}
    changes = int(summary.get("changes") or 0)
    breaking = int(summary.get("breaking") or 0)
    if changes > 0 and cfg.notify_urls:
        body = markdown.rstrip()
        if link and link not in body:  # report.md may already end with the link
            body += footer
        messages.append(
            _message(
                report_id,
                "breaking" if breaking else "drift",
                "drift",
                drift_title(changes, breaking),
                body,
            )
        )

    pages = [p for p in report.get("pages") or () if isinstance(p, Mapping)]
    failing: dict[str, Mapping[str, Any]] = {
        _page_key(p): {"status": p.get("status"), "reason": p.get("reason")}
        for p in pages
        if p.get("status") in FAILING_STATUSES
    }
    good = {_page_key(p) for p in pages if p.get("status") in GOOD_STATUSES}
    snapshot = (report.get("new") or {}).get("snapshot") or report.get("id")
    where = f" in snapshot {md_text(snapshot)}" if snapshot else ""

    new = [k for k in sorted(failing) if k not in previous]
    if new:
        title = f"errwatch: {_plural(len(failing), 'page')} failing ({len(new)} new)"
        lines = [_page_line(k, failing[k], k in new) for k in sorted(failing)]
        body = (
            f"These pages could not be fetched or failed validation{where}; their last "
            "good snapshot stays the baseline.\n\n" + "\n".join(lines) + footer
        )
        messages.append(_message(report_id, "failure", "failure", title, body))

    recovered = {k for k in previous if k in good}
    if recovered:
        title = f"errwatch: {_plural(len(recovered), 'page')} recovered"
        lines = [
            f"- **{md_text(k)}** ok again (was {md_text(previous[k].get('status'))})"
            for k in sorted(recovered)
        ]
        body = f"These pages are fetched and valid again{where}:\n\n" + "\n".join(lines) + footer
        messages.append(_message(report_id, "recovery", "failure", title, body))
    return messages, failing, recovered


def _channel_urls(cfg: Config, channel: str) -> tuple[str, ...]:
    if channel == "drift":
        return tuple(cfg.notify_urls)
    return tuple(cfg.failure_urls or cfg.notify_urls)


def notify_run(
    report: Mapping[str, Any], markdown: str, cfg: Config, state_path: Path
) -> list[str]:
    """Deliver the outbox, then this run's drift, new failures and recoveries.

    ``report`` is report.json as a dict (``summary``, ``pages``, ``id``) and ``markdown``
    its report.md, sent as the body of a drift message. Returns the titles of the
    messages that at least one service took during this call (outbox retries included).
    """
    if not cfg.notify_urls and not cfg.failure_urls:
        return []
    register_secrets((*cfg.notify_urls, *cfg.failure_urls))
    state = read_state(state_path)
    previous = state.failing
    fresh, failing, recovered = _run_messages(report, markdown, cfg, previous)

    # What this run announces is recorded at once: the outbox carries it until delivered.
    new_failing: dict[str, Mapping[str, Any]] = dict(previous)
    if any(m.kind == "failure" for m in fresh):
        new_failing.update(failing)
    new_failing.update({k: v for k, v in failing.items() if k in previous})  # fresh reasons
    for k in recovered:
        new_failing.pop(k, None)

    queued: dict[str, Message] = {m.id: m for m in state.outbox}
    for m in fresh:
        done = state.delivered.get(m.id, ())
        old = queued.get(m.id)
        have = tuple(dict.fromkeys((*(old.delivered_to if old else ()), *done)))
        queued[m.id] = replace(m, delivered_to=have, attempts=old.attempts if old else 0)
    outbox = list(queued.values())
    if len(outbox) > OUTBOX_LIMIT:
        dropped = outbox[: len(outbox) - OUTBOX_LIMIT]
        log.warning(
            "errwatch notify: outbox full, dropping %d undelivered message(s): %s",
            len(dropped),
            ", ".join(repr(m.title) for m in dropped),
        )
        outbox = outbox[len(dropped) :]
    unchanged = state
    state = NotifyState(failing=new_failing, outbox=tuple(outbox), delivered=state.delivered)
    if state != unchanged:
        _save(state_path, state)

    sent: list[str] = []
    remaining: list[Message] = []
    delivered = dict(state.delivered)
    for message in outbox:
        urls = _channel_urls(cfg, message.channel)
        wanted = {target_id(u) for u in urls}
        if not wanted:
            log.warning("errwatch notify: no URL left for %r; dropped", message.title)
            continue
        before = set(message.delivered_to) & wanted
        after = _deliver(message, urls) if before != wanted else message
        took = set(after.delivered_to) & wanted
        if took - before:
            sent.append(after.title)
        if took == wanted:
            delivered[after.id] = tuple(sorted(took))
        else:
            if not took:
                log.error(
                    "errwatch notify: %r was not delivered to any service; it stays in "
                    "the outbox for the next run",
                    after.title,
                )
            elif took - before:
                log.warning(
                    "errwatch notify: %r was taken by %d of %d services; the others get it "
                    "on the next run",
                    after.title,
                    len(took),
                    len(wanted),
                )
            remaining.append(after)
    delivered = dict(list(delivered.items())[-DELIVERED_LIMIT:])
    final = replace(state, outbox=tuple(remaining), delivered=delivered)
    if final != state:
        _save(state_path, final)
    for title in sent:
        log.info("errwatch notify: sent %r", title)
    return sent


def _save(state_path: Path, state: NotifyState) -> None:
    try:
        write_state(state_path, state)
    except OSError as exc:
        log.error("errwatch notify: cannot write state %s (%s)", state_path, exc)


def pending_titles(state_path: Path) -> list[str]:
    """Titles of the messages still in the outbox (for ``errwatch`` status lines)."""
    return [m.title for m in load_outbox(state_path)]
