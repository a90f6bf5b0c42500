"""The GitHub Action's driver (action.yml): inputs in, errwatch run|check, results out.

action.yml passes every input through ``env:`` (``ERRWATCH_INPUT_<NAME>``), never into
shell code, and calls ``python -I -m scraper.action``.  This module turns the inputs into
one ``errwatch run`` or ``errwatch check`` command line (a list, never a shell string), runs
it, and then does what a job needs:

* appends ``report.md`` of every report the run wrote (or, for ``check``, a Markdown
  summary of its JSON output) to ``$GITHUB_STEP_SUMMARY``;
* prints annotations (``run``: ``--format github``; ``check``: the same
  ``::error file=…,line=…`` lines its ``github`` format prints, from its JSON);
* writes the outputs ``exit-code``, ``changes``, ``breaking``, ``failed``, ``findings`` and
  ``report-dir`` to ``$GITHUB_OUTPUT`` (counts read from report.json / the check's JSON);
* exits with errwatch's exit code, so the step fails as ``fail-on`` says.

Page text reaches the summary only through report.md (already escaped) or through
``scraper.textsafe`` (``md_text``, ``md_code``, ``gh_data``, ``gh_prop``).
"""

from __future__ import annotations

import glob
import json
import os
import shlex
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["Inputs", "check_summary", "errwatch_argv", "main", "split_paths", "split_words"]

PREFIX = "ERRWATCH_INPUT_"
ALWAYS_RUN_FORMATS = ("json", "md", "github")  # what the action itself reads and prints
CHECK_DIR = "check"
SUMMARY_ROWS = 100
_GH_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class InputError(Exception):
    """An action input that cannot be used (exit 2, like errwatch's usage errors)."""


def split_words(text: str) -> tuple[str, ...]:
    """``pages``/``locales``/``formats``: items separated by white space, commas or lines."""
    return tuple(item for item in text.replace(",", " ").split() if item)


def split_paths(text: str) -> tuple[str, ...]:
    """``tables``: one path per line when the input has several lines, else per word.

    A pattern with ``*``, ``?`` or ``[`` is expanded (sorted) when it matches files; one
    that matches nothing is passed on as it is, so errwatch names it in its error.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    items = lines if len(lines) > 1 else text.split()
    out: list[str] = []
    for item in items:
        matches = sorted(glob.glob(item, recursive=True)) if any(c in item for c in "*?[") else []
        out.extend(matches or [item])
    return tuple(out)


def split_lines(text: str) -> tuple[str, ...]:
    """``map``: one ``SECTION=PAGE[+PAGE]`` per line."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class Inputs:
    """The action's inputs (action.yml), as errwatch needs them."""

    command: str = "run"
    against: str = ""
    tables: tuple[str, ...] = ()
    maps: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    fail_on: str = ""
    formats: tuple[str, ...] = ("json", "html", "md")
    base_url: str = ""
    snapshots: str = ".errwatch/snapshots"
    reports: str = "errwatch-reports"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, "").strip() or default

        command = get("COMMAND", "run")
        if command not in ("run", "check"):
            raise InputError(f"input command must be run or check, not {command!r}")
        inputs = cls(
            command=command,
            against=get("AGAINST"),
            tables=split_paths(env.get(PREFIX + "TABLES", "")),
            maps=split_lines(env.get(PREFIX + "MAP", "")),
            pages=split_words(get("PAGES")),
            locales=split_words(get("LOCALES")),
            fail_on=get("FAIL_ON"),
            formats=split_words(get("FORMATS", "json,html,md")),
            base_url=get("BASE_URL"),
            snapshots=get("SNAPSHOTS", ".errwatch/snapshots"),
            reports=get("REPORTS", "errwatch-reports"),
        )
        if command == "check" and not inputs.tables:
            raise InputError("command check needs the input tables (paths of error tables)")
        if command == "check" and len(inputs.locales) > 1:
            raise InputError("command check holds tables against one locale; give one in locales")
        if command == "run" and (inputs.tables or inputs.maps):
            raise InputError("the inputs tables and map belong to command check")
        return inputs


def errwatch_argv(inp: Inputs, *, check_format: str = "json") -> list[str]:
    """errwatch's arguments (after the program name) for these inputs."""
    args: list[str] = [inp.command]
    if inp.command == "run":
        args += ["--snapshots", inp.snapshots, "--reports", inp.reports]
        formats = [f for f in inp.formats if f not in ALWAYS_RUN_FORMATS]
        args += ["--format", ",".join([*ALWAYS_RUN_FORMATS[:2], *formats, "github"])]
        if inp.against:
            args += ["--against", inp.against]
        if inp.base_url:
            args += ["--base-url", inp.base_url]
        for page in inp.pages:
            args += ["--page", page]
        for locale in inp.locales:
            args += ["--locale", locale]
        if inp.fail_on:
            args += ["--fail-on", inp.fail_on]
        return args
    options: list[str] = []
    for item in inp.maps:
        options += ["--map", item]
    for page in inp.pages:
        options += ["--page", page]
    if inp.locales:
        options += ["--locale", inp.locales[0]]
    if inp.against:
        options += ["--against", inp.against]
    elif inp.base_url or not _has_store(Path(inp.snapshots)):
        options += ["--crawl"] + (["--base-url", inp.base_url] if inp.base_url else [])
    else:
        options += ["--snapshots", inp.snapshots]
    options += ["--format", check_format]
    if inp.fail_on:
        options += ["--fail-on", inp.fail_on]
    # options first, then "--": a table named "-x.json" stays a table
    return [*args, *options, "--", *inp.tables]


def _has_store(path: Path) -> bool:
    try:
        return path.is_dir() and any(path.iterdir())
    except OSError:
        return False


# ---------------------------------------------------------------------------- outputs


def write_outputs(path: str | None, values: Mapping[str, str]) -> None:
    """Append outputs to $GITHUB_OUTPUT: ``name=value``, or a ``name<<delimiter`` block
    for a value with a line break in it (a value can never end the block early)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in values.items():
            if "\n" not in value and "\r" not in value:
                fh.write(f"{name}={value}\n")
                continue
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def append_summary(path: str | None, text: str) -> None:
    if not path or not text:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")


def _report_state(reports: Path) -> dict[str, int]:
    """Report folder name -> mtime of its report.json."""
    state: dict[str, int] = {}
    try:
        folders = list(reports.iterdir())
    except OSError:
        return state
    for folder in folders:
        try:
            state[folder.name] = (folder / "report.json").stat().st_mtime_ns
        except OSError:
            continue
    return state


def _id_key(name: str) -> tuple[str, int, str]:
    from scraper.errors import StoreError
    from scraper.store import id_sort_key

    try:
        return (*id_sort_key(name.split("-vs-", 1)[0]), name)
    except StoreError:
        return ("", 0, name)


def _new_reports(reports: Path, before: Mapping[str, int]) -> list[Path]:
    after = _report_state(reports)
    names = [n for n, mtime in after.items() if before.get(n) != mtime]
    return [reports / n for n in sorted(names, key=_id_key)]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def finish_run(inp: Inputs, code: int, before: Mapping[str, int], env: Mapping[str, str]) -> None:
    folders = _new_reports(Path(inp.reports), before)
    reports = [(f, _read_json(f / "report.json")) for f in folders]
    reports = [(f, r) for f, r in reports if isinstance(r, dict)]
    changes = breaking = failed = 0
    for _, r in reports:
        summary = r.get("summary") if isinstance(r.get("summary"), dict) else {}
        changes += _count(summary.get("changes"))
        breaking += _count(summary.get("breaking"))
    if reports:
        summary = reports[-1][1].get("summary") or {}
        pages = summary.get("pages") if isinstance(summary, dict) else {}
        pages = pages if isinstance(pages, dict) else {}
        failed = _count(pages.get("failed")) + _count(pages.get("quarantined"))
    values = {
        "exit-code": str(code),
        "changes": str(changes),
        "breaking": str(breaking),
        "failed": str(failed),
        "findings": "",
        "report-dir": str(reports[-1][0]) if reports else "",
    }
    write_outputs(env.get("GITHUB_OUTPUT"), values)
    texts = []
    for folder, _ in reports:
        try:
            texts.append((folder / "report.md").read_text("utf-8"))
        except OSError:
            continue
    if not reports:
        texts.append(
            f"**errwatch run** ended with exit code {code} before writing a report; "
            "the step log has the error.\n"
        )
    append_summary(env.get("GITHUB_STEP_SUMMARY"), "\n".join(t.rstrip("\n") + "\n" for t in texts))


def _link(url: Any) -> str:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return ""
    return "[docs](" + quote(url, safe=":/#?=&%-._~+") + ")"


def check_summary(doc: Mapping[str, Any]) -> str:
    """The job summary of a ``check --format json`` document: counts, then the findings."""
    from scraper.textsafe import md_code, md_text

    findings = [f for f in doc.get("findings") or () if isinstance(f, dict)]
    live = [f for f in findings if not f.get("suppressed")]
    by = {sev: sum(1 for f in live if f.get("severity") == sev) for sev in _SEVERITY_ORDER}
    raw_docs = doc.get("docs")
    docs: Mapping[str, Any] = raw_docs if isinstance(raw_docs, dict) else {}
    source = " ".join(str(docs.get(k)) for k in ("source", "snapshot", "locale") if docs.get(k))
    title = (
        f"### errwatch check: {by['error']} error(s), {by['warning']} warning(s), {by['info']} info"
    )
    if len(findings) > len(live):
        title += f", {len(findings) - len(live)} suppressed"
    lines = [title, "", f"Docs: {md_text(source)}" if source else "Docs: (unknown)", ""]
    if not live:
        lines.append("No findings.")
        return "\n".join(lines) + "\n"
    lines += ["| severity | kind | code | where | finding | |", "|---|---|---|---|---|---|"]
    live.sort(
        key=lambda f: (
            _SEVERITY_ORDER.get(str(f.get("severity")), 9),
            str(f.get("file")),
            _count(f.get("line")),
        )
    )
    for f in live[:SUMMARY_ROWS]:
        where = f"{f.get('file')}:{f['line']}" if f.get("line") else str(f.get("file") or "")
        code = md_code(f.get("code")) if f.get("code") is not None else ""
        lines.append(
            " | ".join(
                [
                    "",
                    md_text(f.get("severity")),
                    md_text(f.get("kind")),
                    code,
                    md_code(where),
                    md_text(f.get("detail") or f.get("name") or ""),
                    _link(f.get("link")),
                    "",
                ]
            ).strip()
        )
    if len(live) > SUMMARY_ROWS:
        lines += ["", f"… and {len(live) - SUMMARY_ROWS} more (see the check's JSON output)."]
    return "\n".join(lines) + "\n"


def check_annotations(doc: Mapping[str, Any]) -> str:
    """``::error file=…,line=…,title=…::…`` per finding not suppressed (like ``--format github``)."""
    from scraper.textsafe import gh_data, gh_prop

    out = []
    for f in doc.get("findings") or ():
        if not isinstance(f, dict) or f.get("suppressed"):
            continue
        command = _GH_COMMAND.get(str(f.get("severity")), "notice")
        line = max(1, _count(f.get("line")))
        props = (
            f"file={gh_prop(f.get('file') or '')},line={line},"
            f"title={gh_prop('errwatch ' + str(f.get('kind')))}"
        )
        text = str(f.get("detail") or f.get("kind")) + (f" {f['link']}" if f.get("link") else "")
        out.append(f"::{command} {props}::{gh_data(text)}")
    return "".join(line + "\n" for line in out)


def finish_check(inp: Inputs, code: int, out_dir: Path, env: Mapping[str, str]) -> None:
    doc = _read_json(out_dir / "check.json")
    if isinstance(doc, dict):
        live = [
            f for f in doc.get("findings") or () if isinstance(f, dict) and not f.get("suppressed")
        ]
        sys.stdout.write(check_annotations(doc))
        summary = check_summary(doc)
        (out_dir / "summary.md").write_text(summary, "utf-8")
        append_summary(env.get("GITHUB_STEP_SUMMARY"), summary)
        findings = str(len(live))
    else:
        append_summary(
            env.get("GITHUB_STEP_SUMMARY"),
            f"**errwatch check** ended with exit code {code} without findings to "
            "show; the step log has the error.\n",
        )
        findings = ""
    write_outputs(
        env.get("GITHUB_OUTPUT"),
        {
            "exit-code": str(code),
            "changes": "",
            "breaking": "",
            "failed": "",
            "findings": findings,
            "report-dir": str(out_dir) if isinstance(doc, dict) else "",
        },
    )


# ---------------------------------------------------------------------------- main


def _errwatch(args: Sequence[str], stdout: Any = None) -> int:
    from scraper.textsafe import terminal

    cmd = [sys.executable, "-I", "-m", "scraper", *args]
    print(terminal("errwatch " + shlex.join(args)), flush=True)
    return subprocess.call(cmd, stdout=stdout)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        inp = Inputs.from_env(env)
    except InputError as exc:
        print(f"::error title=errwatch::{exc}", flush=True)
        write_outputs(env.get("GITHUB_OUTPUT"), {"exit-code": "2"})
        return 2
    if inp.command == "run":
        before = _report_state(Path(inp.reports))
        code = _errwatch(errwatch_argv(inp))
        finish_run(inp, code, before, env)
        return code
    out_dir = Path(inp.reports) / CHECK_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "check.json", "wb") as fh:
        code = _errwatch(errwatch_argv(inp), stdout=fh)
    sys.stdout.flush()
    if "sarif" in inp.formats and code in (0, 1):
        with open(out_dir / "check.sarif", "wb") as fh:
            _errwatch(errwatch_argv(inp, check_format="sarif"), stdout=fh)
    finish_check(inp, code, out_dir, env)
    return code


if __name__ == "__main__":  # pragma: no cover - python -m scraper.action
    raise SystemExit(main())
