"""Turn a run's changes into report.json, report.html, report.md and reports/index.html.

report.json is the machine contract (docs/ARCHITECTURE.md, built in ``build``); the HTML
is what a person reads (``html``); the Markdown fits a CI job summary or a chat message and
``render_github`` gives GitHub Actions annotations (``text``); ``index`` keeps
reports/index.html; ``write`` writes one run's files.  Every format is rendered from the
report dict alone, so ``errwatch diff`` can re-render an old report without the snapshots.
"""

from __future__ import annotations

from scraper.report.build import LIVE_BASE_URL, PAGE_STATUSES, build_report, id_order, report_json
from scraper.report.html import history_counts, render_html, word_diff
from scraper.report.index import SUMMARY_CACHE, render_index, write_index
from scraper.report.text import describe_change, render_github, render_markdown
from scraper.report.write import FORMATS, write_reports

__all__ = [
    "FORMATS",
    "LIVE_BASE_URL",
    "PAGE_STATUSES",
    "SUMMARY_CACHE",
    "build_report",
    "describe_change",
    "history_counts",
    "id_order",
    "render_github",
    "render_html",
    "render_index",
    "render_markdown",
    "report_json",
    "word_diff",
    "write_index",
    "write_reports",
]
