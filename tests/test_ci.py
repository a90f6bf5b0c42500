"""The project's workflow and the workflows and commands in docs/ci.md and docs/cron.md
are parsed here, and every `errwatch …` they run must be accepted by the real CLI
parser, so a renamed option breaks a test rather than a user's nightly job."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
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
OUR_ACTION = "errwatch/errwatch"  # action.yml at the root of this repository
ACTION = ROOT / "action.yml"
KNOWN_ACTIONS = {
    OUR_ACTION,
    "actions/checkout",
    "actions/setup-python",
    "actions/upload-artifact",
    "actions/cache",
    "actions/cache/restore",
    "actions/cache/save",
    "actions/upload-pages-artifact",
    "actions/deploy-pages",
    "github/codeql-action/upload-sarif",
}


def code_blocks(path: Path, *langs: str) -> list[str]:
    return [
        body for lang, body in FENCE.findall(path.read_text("utf-8")) if not langs or lang in langs
    ]


def workflows() -> dict[str, dict[Any, Any]]:
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


def test_workflows_are_well_formed() -> None:
    found = workflows()
    assert "errwatch.yml" in found
    for name, wf in found.items():
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
                    assert re.fullmatch(r"v\d+", version), (
                        f"{name}: pin {action} to a major version"
                    )


def all_invocations() -> list[list[str]]:
    runs = [s["run"] for wf in workflows().values() for s in steps_of(wf) if "run" in s]
    runs += [s["run"] for s in doc_steps() if "run" in s]
    runs += code_blocks(CRON_DOC, "sh", "crontab", "")
    return [args for script in runs for args in errwatch_invocations(script)]


def test_documented_commands_exist_in_the_cli() -> None:
    invocations = all_invocations()
    assert len(invocations) >= 4
    problems = [p for p in map(cli_problem, invocations) if p]
    assert not problems, "\n".join(problems)


def test_project_workflow_installs_runs_the_demo_and_the_tests() -> None:
    runs = [s["run"] for s in steps_of(workflows()["errwatch.yml"]) if "run" in s]
    assert any("pip install" in r and (".[test]" in r or ".[test," in r) for r in runs)
    assert any("nginx-light" in r for r in runs)  # tests/test_nginx.py needs it
    assert any("mypy --strict scraper" in r and "ruff format --check" in r for r in runs)
    assert any(["demo"] == args[:1] for r in runs for args in errwatch_invocations(r))
    assert any("pytest" in r for r in runs)


def action_inputs() -> set[str]:
    data = yaml.safe_load(ACTION.read_text("utf-8"))
    return set(data.get("inputs", {}))


def test_documented_uses_of_our_action_pass_only_its_inputs() -> None:
    inputs = action_inputs()
    uses = [
        (name, step)
        for name, wf in workflows().items()
        for step in steps_of(wf)
        if step.get("uses", "").partition("@")[0] == OUR_ACTION
    ]
    assert uses, "docs/ci.md shows the errwatch action in a workflow"
    for name, step in uses:
        unknown = set(step.get("with", {})) - inputs
        assert not unknown, f"{name}: the action has no input(s) {sorted(unknown)}"


def test_a_documented_workflow_gates_on_breaking_drift_and_uploads_the_report() -> None:
    gated = False
    for wf in workflows().values():
        steps = steps_of(wf)
        for step in steps:
            if step.get("uses", "").partition("@")[0] == OUR_ACTION:
                gated |= str(step.get("with", {}).get("fail-on")) == "breaking"
            for args in errwatch_invocations(step.get("run", "")):
                if args[:1] == ["run"] and "--fail-on" in args:
                    gated |= args[args.index("--fail-on") + 1] == "breaking"
        uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
        for upload in uploads:
            assert "always()" in str(upload.get("if", "")), "upload the report even on failure"
    assert gated, "a workflow in docs/ci.md fails on breaking drift"


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


# --- .ci/run, pre-commit, packaging and the project's habits -----------------------------

CI_RUN = ROOT / ".ci" / "run"
PRECOMMIT = ROOT / ".pre-commit-config.yaml"
README = ROOT / "README.md"
PYPROJECT = ROOT / "pyproject.toml"
CHECKS = [
    ["ruff", "check", "scraper", "tests"],
    ["ruff", "format", "--check", "scraper", "tests"],
    ["mypy", "--strict", "scraper"],
]


def readme_quick_start() -> list[str]:
    text = README.read_text("utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = FENCE.findall(section)
    assert blocks, "the Quick start has a code block"
    return [line for line in blocks[0][1].splitlines() if line.strip()]


def readme_test_command() -> list[str]:
    """The README's test command: what follows `&&` on the Quick start's second line."""
    return shlex.split(readme_quick_start()[1].split("&&")[-1])


def test_quick_start_keeps_exactly_two_commands_and_names_the_browser_free_run() -> None:
    lines = readme_quick_start()
    assert len(lines) == 2, lines
    assert lines[0].endswith("errwatch demo") and readme_test_command() == ["pytest"]
    section = README.read_text("utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert '`pytest -m "not browser"`' in section


def ci_steps(env: dict[str, str] | None = None) -> list[tuple[str, list[str]]]:
    proc = subprocess.run(
        ["bash", str(CI_RUN)],
        env={**os.environ, "ERRWATCH_CI_DRY_RUN": "1", **(env or {})},
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    steps = []
    for line in proc.stdout.splitlines():
        if line.startswith("==> "):
            name, _, command = line[4:].partition(": ")
            steps.append((name, shlex.split(command)))
    return steps


def test_ci_run_installs_lints_types_then_runs_the_readme_test_command() -> None:
    steps = ci_steps()
    names = [name for name, _ in steps]
    commands = [cmd for _, cmd in steps]
    assert names[-5:] == ["install", "ruff check", "ruff format", "mypy", "pytest"], names
    install = commands[names.index("install")]
    assert install[-1] == ".[test,dev]" and install[1:4] == ["-m", "pip", "install"]
    assert commands[-4:-1] == CHECKS
    assert commands[-1][-2:] == ["-m", *readme_test_command()]
    text = CI_RUN.read_text("utf-8")
    assert "APT_PACKAGES=(chromium chromium-driver nginx-light)" in text
    for package in ("chromium", "chromium-driver", "nginx-light"):
        assert f"missing+=({package})" in text, package


STUB = """#!/bin/bash
echo "$(basename "$0") $*" >> "$STUB_LOG"
key="$(basename "$0")"
case " $* " in *" pytest"*) key=pytest ;; *" format "*) key=ruff-format ;; esac
rc_file="$STUB_RC/$key"
[ -f "$rc_file" ] && exit "$(cat "$rc_file")"
exit 0
"""


def run_ci_with_stubs(tmp_path: Path, rcs: dict[str, int]) -> tuple[int, list[str], str]:
    """.ci/run for real, with every tool it calls replaced by a stub that logs its call."""
    venv_bin = tmp_path / "venv" / "bin"
    tools = tmp_path / "tools"
    rc_dir = tmp_path / "rc"
    for folder in (venv_bin, tools, rc_dir):
        folder.mkdir(parents=True)
    for folder, names in (
        (tools, ["python3", "chromium", "chromedriver", "nginx", "apt-get", "sudo"]),
        (venv_bin, ["python", "ruff", "mypy"]),
    ):
        for name in names:
            (folder / name).write_text(STUB)
            (folder / name).chmod(0o755)
    for key, rc in rcs.items():
        (rc_dir / key).write_text(str(rc))
    log = tmp_path / "calls.log"
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "STUB_LOG": str(log),
        "STUB_RC": str(rc_dir),
        "ERRWATCH_CI_VENV": str(tmp_path / "venv"),
    }
    proc = subprocess.run(
        ["bash", str(CI_RUN)], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    return proc.returncode, log.read_text().splitlines(), proc.stderr


def test_ci_run_runs_every_check_and_exits_with_the_first_failure(tmp_path: Path) -> None:
    rc, calls, err = run_ci_with_stubs(tmp_path, {"ruff": 1, "mypy": 2})
    assert rc == 1, err
    ran = [c for c in calls if c.split()[0] in ("ruff", "mypy") or c.endswith("-m pytest")]
    assert ran == [
        "ruff check scraper tests",
        "ruff format --check scraper tests",
        "mypy --strict scraper",
        "python -m pytest",
    ]
    assert "ruff check failed (exit 1)" in err and "mypy failed (exit 2)" in err


@pytest.mark.parametrize(
    ("pytest_rc", "message"),
    [(0, None), (1, "pytest failed (exit 1)"), (5, "pytest collected no tests")],
)
def test_ci_run_reports_the_tests_outcome(
    tmp_path: Path, pytest_rc: int, message: str | None
) -> None:
    rc, calls, err = run_ci_with_stubs(tmp_path, {"pytest": pytest_rc})
    assert rc == pytest_rc
    assert calls[-1] == "python -m pytest"
    assert (message in err) if message else err == ""
    assert not [c for c in calls if c.startswith("apt-get")], "nothing was missing"


def test_pre_commit_runs_the_same_checks_offline() -> None:
    config = yaml.safe_load(PRECOMMIT.read_text("utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}, "local hooks work offline"
    assert all(hook["language"] == "system" for hook in hooks)
    entries = [shlex.split(hook["entry"]) for hook in hooks]
    # ruff gets the staged file names; mypy checks the whole package
    assert entries == [c[:-2] if c[0] == "ruff" else c for c in CHECKS]
    assert next(h for h in hooks if h["id"] == "mypy")["pass_filenames"] is False
    for hook in hooks:  # what `pre-commit validate-config` requires of a local hook
        assert {"id", "name", "entry", "language"} <= set(hook), hook
        assert re.compile(hook.get("files", "")), hook


def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text("utf-8"))


def test_pyproject_license_version_extras_and_pytest_strictness() -> None:
    import scraper

    data = pyproject()
    project = data["project"]
    assert project["license"] == "MIT"  # SPDX expression
    assert "MIT License" in (ROOT / "LICENSE").read_text("utf-8")
    assert "version" not in project and "version" in project["dynamic"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "scraper.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", scraper.__version__)
    extras = project["optional-dependencies"]
    dev = {re.split(r"[<>=\[ ]", d)[0].lower() for d in extras["dev"]}
    assert {"ruff", "mypy", "pre-commit"} <= dev
    assert "pytest" in {re.split(r"[<>=\[ ]", d)[0].lower() for d in extras["test"]}
    pytest_cfg = data["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in pytest_cfg["addopts"].split()
    assert pytest_cfg["filterwarnings"][0] == "error"
    markers = {m.split(":")[0] for m in pytest_cfg["markers"]}
    assert {"browser", "nginx", "slow"} <= markers


def test_changelog_keeps_a_changelog() -> None:
    import scraper

    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert "keepachangelog.com" in text
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert headings[0] == ("Unreleased", "")
    assert (scraper.__version__, headings[1][1]) in headings[1:], "the current version is listed"


def test_contributing_names_commands_that_exist() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text("utf-8")
    for needle in (
        'pytest -m "not browser"',
        "ruff check scraper tests",
        "ruff format --check scraper tests",
        "mypy --strict scraper",
        "python benchmarks/run.py",
        "python tools/build_fixtures.py",
        "python tools/build_demo.py",
        "python tests/test_config.py --write",
        "ERRWATCH_UPDATE_GOLDEN=1",
        "ERRWATCH_SCREENSHOTS=docs/screenshots",
    ):
        assert needle in text, needle
    for script in ("benchmarks/run.py", "tools/build_fixtures.py", "tools/build_demo.py"):
        assert (ROOT / script).is_file(), script
    assert "ERRWATCH_SCREENSHOTS" in (ROOT / "tests" / "test_report_browser.py").read_text()
    assert "ERRWATCH_UPDATE_GOLDEN" in (ROOT / "tests" / "test_report.py").read_text()


def _package_files() -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "scraper").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    }


@pytest.mark.slow
def test_the_wheel_builds_without_warnings_and_holds_every_package_file(tmp_path: Path) -> None:
    """Automatic package discovery: a new subpackage or data folder needs no pyproject entry."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "scraper", src / "scraper", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    out = tmp_path / "dist"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c",
         f"from setuptools import build_meta; print(build_meta.build_wheel({str(out)!r}))"],
        cwd=src, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert not [line for line in log.splitlines() if "warning" in line.lower()], log[-3000:]
    wheel = out / proc.stdout.strip().splitlines()[-1]
    import scraper

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(f"errwatch-{scraper.__version__}.dist-info/METADATA").decode()
    missing = _package_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    assert any(n.startswith("scraper/templates/") for n in names)
    assert any(n.startswith("scraper/data/demo/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert f"Version: {scraper.__version__}" in meta and "License-Expression: MIT" in meta
    assert f"errwatch-{scraper.__version__}.dist-info/licenses/LICENSE" in names
