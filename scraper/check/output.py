"""Output formats of ``errwatch check``, one registry: name -> render(report) -> str."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scraper import __version__
from scraper.check.model import KIND_HELP, KINDS, SEVERITY, Finding
from scraper.textsafe import gh_data, gh_prop, json_line, terminal

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
HELP_URI = "https://github.com/errwatch/errwatch/blob/main/docs/check.md"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GH_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    source: str
    snapshot: str | None
    locale: str

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for f in self.findings:
            if not f.suppressed:
                counts[f.kind] += 1
        return counts


def _line_of(f: Finding) -> int:
    return f.line if f.line is not None else f.anchor_line


def summary_line(report: Report) -> str:
    live = [f for f in report.findings if not f.suppressed]
    by = {sev: sum(1 for f in live if f.severity == sev) for sev in ("error", "warning", "info")}
    sup = len(report.findings) - len(live)
    text = f"errwatch check: {by['error']} error(s), {by['warning']} warning(s), {by['info']} info"
    if sup:
        text += f", {sup} suppressed"
    snap = f" {report.snapshot}" if report.snapshot else ""
    return f"{text}; docs: {report.source}{snap} ({report.locale})"


def render_text(report: Report) -> str:
    lines: list[str] = []
    current: str | None = None
    for f in report.findings:
        if f.file != current:
            if current is not None:
                lines.append("")
            current = f.file
            lines.append(terminal(f.file))
        where = f"{f.line}" if f.line is not None else "-"
        label = f"{f.severity:<7} {f.kind:<16}"
        text = f"  {where:>5}: {label} {f.detail}"
        if f.suppressed:
            text += f" [suppressed: {f.reason}]"
        lines.append(terminal(text))
        if f.link:
            lines.append(terminal(f"         {f.link}"))
    if lines:
        lines.append("")
    lines.append(terminal(summary_line(report)))
    return "\n".join(lines) + "\n"


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "severity": f.severity,
        "code": f.code,
        "name": f.name,
        "mapping": f.mapping,
        "message": f.message,
        "section": list(f.section),
        "file": f.file,
        "line": f.line,
        "pages": list(f.pages),
        "link": f.link,
        "docs_name": f.docs_name,
        "docs_messages": list(f.docs_messages),
        "suppressed": f.suppressed,
        "detail": f.detail,
        "reason": f.reason,
    }


def render_json(report: Report) -> str:
    doc = {
        "tool": "errwatch",
        "docs": {"source": report.source, "snapshot": report.snapshot, "locale": report.locale},
        "findings": [finding_dict(f) for f in report.findings],
        "summary": report.summary(),
    }
    return json_line(json.dumps(doc, ensure_ascii=False, indent=2)) + "\n"


def _uri(path: str) -> str:
    p = Path(path)
    try:
        rel = os.path.relpath(p.resolve(), Path.cwd().resolve())
    except ValueError:  # another drive (Windows)
        return p.resolve().as_uri()
    if rel.startswith(".."):
        return p.resolve().as_uri()
    return Path(rel).as_posix()


def _fingerprint(f: Finding) -> str:
    key = "\x00".join([f.kind, str(f.code), f.file, ".".join(f.section), ",".join(f.pages)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def render_sarif(report: Report) -> str:
    rules = [
        {
            "id": kind,
            "name": "".join(w.capitalize() for w in kind.split("_")),
            "shortDescription": {"text": KIND_HELP[kind]},
            "fullDescription": {"text": f"{kind} ({SEVERITY[kind]}): {KIND_HELP[kind]}."},
            "helpUri": f"{HELP_URI}#{kind.replace('_', '-')}",
            "defaultConfiguration": {"level": _SARIF_LEVEL[SEVERITY[kind]]},
        }
        for kind in KINDS
    ]
    results = []
    for f in report.findings:
        text = f.detail + (f" Docs: {f.link}" if f.link else "")
        result: dict[str, Any] = {
            "ruleId": f.kind,
            "ruleIndex": KINDS.index(f.kind),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": max(1, _line_of(f))},
                    }
                }
            ],
            "partialFingerprints": {"errwatchFinding/v1": _fingerprint(f)},
            "properties": {
                "code": f.code,
                "pages": list(f.pages),
                "link": f.link,
                "docs_name": f.docs_name,
                "section": list(f.section),
            },
        }
        if f.suppressed:
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f.reason or ""}
            ]
        results.append(result)
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "errwatch",
                        "version": __version__,
                        "informationUri": "https://github.com/errwatch/errwatch",
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {
                    "docs": {
                        "source": report.source,
                        "snapshot": report.snapshot,
                        "locale": report.locale,
                    }
                },
            }
        ],
    }
    return json_line(json.dumps(doc, ensure_ascii=False, indent=2)) + "\n"


def render_github(report: Report) -> str:
    lines = []
    for f in report.findings:
        if f.suppressed:
            continue
        props = f"file={gh_prop(f.file)},line={max(1, _line_of(f))},title={gh_prop('errwatch ' + f.kind)}"
        text = f.detail + (f" {f.link}" if f.link else "")
        lines.append(f"::{_GH_COMMAND[f.severity]} {props}::{gh_data(text)}")
    lines.append(terminal(summary_line(report)))
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}


def render(name: str, report: Report) -> str:
    return FORMATS[name](report)


def failing(findings: Sequence[Finding], fail_on: str) -> bool:
    """Exit 1? ``fail_on``: error | warning | never."""
    levels = {"error": {"error"}, "warning": {"error", "warning"}, "never": set()}[fail_on]
    return any(f.severity in levels and not f.suppressed for f in findings)
