"""The project's workflow and the workflows and commands in docs/ci.md and docs/cron.md
are parsed here, and every `errwatch …` they run must be accepted by the real CLI
parser, so a renamed option breaks a test rather than a user's nightly job."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, cli_problem, errwatch_invocations

from scraper.schedule import build_trigger

WORKFLOW = ROOT / ".github" / "workflows" / "errwatch.yml"
CI_DOC = ROOT / "docs" / "ci.md"
CRON_DOC = ROOT / "docs" / "cron.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
KNOWN_ACTIONS = {
    "actions/checkout",
    "actions/setup-python",
    "actions/upload-artifact",
    "actions/cache",
    "actions/cache/restore",
    "actions/cache/save",
}


def code_blocks(path: Path, *langs: str) -> list[str]:
    return [
        body for lang, body in FENCE.findall(path.read_text("utf-8")) if not langs or lang in langs
    ]


def workflows() -> dict[str, dict[str, Any]]:
    found = {"errwatch.yml": yaml.safe_load(WORKFLOW.read_text("utf-8"))}
    for i, block in enumerate(code_blocks(CI_DOC, "yaml")):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "jobs" in data:
            found[f"docs/ci.md#{i}"] = data
    assert len(found) >= 2, "docs/ci.md should hold a complete workflow"
    return found


def steps_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def doc_steps() -> list[dict[str, Any]]:
    """Step snippets in docs/ci.md (YAML lists of steps), besides whole workflows."""
    out: list[dict[str, Any]] = []
    for block in code_blocks(CI_DOC, "yaml"):
        data = yaml.safe_load(block)
        if isinstance(data, list):
            out += data
    return out


@pytest.mark.parametrize("name", ["errwatch.yml", "docs/ci.md#0"])
def test_workflow_is_well_formed(name: str) -> None:
    wf = workflows()[name]
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers, f"{name}: no `on:` triggers"
    for job_name, job in wf["jobs"].items():
        assert job.get("runs-on"), f"{name}: job {job_name} has no runs-on"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), (
                f"{name}: a step needs exactly one of uses/run: {step}"
            )
            if "uses" in step:
                action, _, version = step["uses"].partition("@")
                assert action in KNOWN_ACTIONS, f"{name}: unexpected action {action}"
                assert re.fullmatch(r"v\d+", version), f"{name}: pin {action} to a major version"


def all_invocations() -> list[list[str]]:
    runs = [s["run"] for wf in workflows().values() for s in steps_of(wf) if "run" in s]
    runs += [s["run"] for s in doc_steps() if "run" in s]
    runs += code_blocks(CRON_DOC, "sh", "crontab", "")
    return [args for script in runs for args in errwatch_invocations(script)]


def test_documented_commands_exist_in_the_cli() -> None:
    invocations = all_invocations()
    assert len(invocations) >= 6
    problems = [p for p in map(cli_problem, invocations) if p]
    assert not problems, "\n".join(problems)


def test_project_workflow_installs_runs_the_demo_and_the_tests() -> None:
    runs = [s["run"] for s in steps_of(workflows()["errwatch.yml"]) if "run" in s]
    assert any("pip install" in r and ".[test]" in r for r in runs)
    assert any(["demo"] == args[:1] for r in runs for args in errwatch_invocations(r))
    assert any("pytest" in r for r in runs)


def test_user_workflow_gates_summarises_uploads_and_keeps_snapshots() -> None:
    wf = workflows()["docs/ci.md#0"]
    steps = steps_of(wf)
    runs = [s["run"] for s in steps if "run" in s]
    uses = [s["uses"].partition("@")[0] for s in steps if "uses" in s]
    gate = [a for r in runs for a in errwatch_invocations(r) if a[:1] == ["run"]]
    assert gate, "the workflow runs `errwatch run`"
    args = gate[0]
    assert args[args.index("--fail-on") + 1] == "breaking"
    assert "github" in args[args.index("--format") + 1].split(",")
    assert "md" in args[args.index("--format") + 1].split(","), (
        "report.md is needed for the summary"
    )
    assert any("$GITHUB_STEP_SUMMARY" in r and "report.md" in r for r in runs)
    assert "actions/upload-artifact" in uses
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"].rstrip("/") == "reports" and upload.get("if") == "always()"
    assert {"actions/cache/restore", "actions/cache/save"} <= set(uses)
    commit = [s["run"] for s in doc_steps() if "run" in s and "git commit" in s["run"]]
    assert commit and "git add snapshots" in commit[0], "docs/ci.md shows committing snapshots too"


def test_crontab_line_is_a_valid_schedule() -> None:
    lines = [
        line
        for block in code_blocks(CRON_DOC, "crontab")
        for line in block.splitlines()
        if line and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert lines, "docs/cron.md shows a crontab line"
    for line in lines:
        build_trigger(" ".join(line.split()[:5]))
        assert "errwatch run" in line and "$?" in line, "the line reports the exit code"


def test_cron_doc_shows_the_compose_usage() -> None:
    text = CRON_DOC.read_text("utf-8")
    for needle in (
        "docker compose up -d --build",
        "docker compose logs -f monitor",
        "http://localhost:8080/",
        "errwatch.toml.example",
    ):
        assert needle in text
