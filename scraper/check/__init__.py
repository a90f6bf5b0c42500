"""``errwatch check``: hold an SDK's own error-code table against the docs.

    tables (files)  --scan-->  Entry…          (scan.py picks a scanner per format)
    docs state      --docs-->  DocsState       (snapshots, a catalogue file, or a crawl)
    entries + docs  --compare-> Finding…        (compare.py: the rules of the SPEC)
    findings        --allow-->  suppressed or not (allow.py)
    findings        --output--> text | json | sarif | github (output.py, one registry)

Source files are read as text and never imported or executed.
"""

from __future__ import annotations

from scraper.check.model import KINDS, SEVERITY, Allowance, Entry, Finding, Table

__all__ = ["KINDS", "SEVERITY", "Allowance", "Entry", "Finding", "Table"]
