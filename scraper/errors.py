"""The exceptions errwatch raises, and the exit code each one maps to.

    ErrwatchError            base; the CLI prints ``errwatch: error: <message>``
    ├── UsageError           bad arguments or input file          -> exit 2
    │   └── NotAnErrorPage   the file is not a Docusaurus error-code page
    │       └── UnreadablePage  it cannot be read whole (charset, nesting)
    ├── ConfigError          invalid errwatch.toml / page registry -> exit 2
    ├── LockError            another run holds the snapshot lock   -> exit 2
    └── StoreError           a snapshot cannot be read or written  -> exit 2

Per-page problems during a crawl (timeouts, wrong page, quarantine) are *not*
exceptions: they are values (``PageOutcome.status``) so one bad page never stops a run.
"""

from __future__ import annotations


class ErrwatchError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 2


class UsageError(ErrwatchError):
    """The command line or an input file is wrong."""


class NotAnErrorPage(UsageError):
    """The HTML is not a Docusaurus error-code page (no article, no code headings)."""


class UnreadablePage(NotAnErrorPage):
    """The document could not be read whole (charset, parser limits, unclosed markup)."""


class ConfigError(ErrwatchError):
    """errwatch.toml or the page registry is invalid."""


class LockError(ErrwatchError):
    """Another errwatch run holds the snapshot lock."""


class StoreError(ErrwatchError):
    """A snapshot could not be read or written."""
