"""action.yml executed the way a GitHub runner executes a composite action.

``ActionRunner`` loads action.yml with PyYAML, substitutes ``${{ inputs.* }}``,
``${{ steps.<id>.outputs.* }}`` and ``${{ github.action_path }}`` in each step's ``env:``
(and in ``run:``, where action.yml must not use any), runs the ``run:`` scripts in order
with ``bash --noprofile --norc -eo pipefail`` (the runner's ``shell: bash``), gives every
step its own ``$GITHUB_OUTPUT`` file and the job one ``$GITHUB_STEP_SUMMARY``, stops at the
first failing step, and evaluates the action's ``outputs``.  The docs are the local
server; the catalogue is pinned by ``errwatch export`` from a first crawl.

Most tests pass ``python: <this interpreter>``, whose editable errwatch comes from this
checkout, so the install step uses it as it is; ``test_real_install`` runs the default
path (a fresh venv and ``pip install $GITHUB_ACTION_PATH``) on a copy of the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, LocalSite, Reply
from test_catalogue import COIN_EN, assert_valid, changed_page, day1_page

from scraper.action import (
    Inputs,
    check_annotations,
    check_summary,
    errwatch_argv,
    split_paths,
    split_words,
    write_outputs,
)
from scraper.cli import main

ACTION = ROOT / "action.yml"
SPEC_INPUTS = {
    "command",
    "against",
    "tables",
    "map",
    "pages",
    "locales",
    "fail-on",
    "formats",
    "base-url",
    "snapshots",
    "reports",
    "python",
}
SPEC_OUTPUTS = {"exit-code", "changes", "breaking", "failed", "findings", "report-dir"}
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


# ---------------------------------------------------------------------------- the runner


def parse_output_file(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT / $GITHUB_ENV syntax: ``name=value`` and ``name<<DELIM`` blocks."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value: list[str] = []
            while lines[i] != delim:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        else:
            name, _, val = line.partition("=")
            out[name] = val
    return out


@dataclass
class StepResult:
    id: str | None
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionResult:
    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str
    workspace: Path
    path: list[str] = field(default_factory=list)  # $GITHUB_PATH lines, for later steps
    failed_step: str | None = None
    exit_code: int = 0  # of the failing step (the action's step fails), else 0

    @property
    def stdout(self) -> str:
        return "".join(s.stdout for s in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(s.stderr for s in self.steps)


@dataclass
class ActionRunner:
    workspace: Path
    action_path: Path = ROOT
    runner_temp: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    action_path_env: bool = True  # some runners give only ${{ github.action_path }}

    def definition(self) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load((self.action_path / "action.yml").read_text("utf-8"))
        return data

    def run(self, **given: str) -> ActionResult:
        action = self.definition()
        assert action["runs"]["using"] == "composite"
        declared = action.get("inputs") or {}
        unknown = set(given) - set(declared)
        assert not unknown, f"inputs the action does not declare: {unknown}"
        inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        inputs.update(given)
        steps_out: dict[str, dict[str, str]] = {}
        temp = self.runner_temp or (self.workspace.parent / "runner-temp")
        temp.mkdir(parents=True, exist_ok=True)
        summary = temp / "step_summary.md"
        summary.write_text("", "utf-8")

        def value(expr: str) -> str:
            parts = expr.split(".")
            if parts[0] == "inputs" and len(parts) == 2:
                return inputs[parts[1]]
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return steps_out.get(parts[1], {}).get(parts[3], "")
            if expr == "github.action_path":
                return str(self.action_path)
            if expr == "runner.temp":
                return str(temp)
            raise AssertionError(f"expression the test runner does not know: {expr}")

        def substitute(text: str) -> str:
            return _EXPR.sub(lambda m: value(m.group(1)), text)

        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "RUNNER_", "ERRWATCH_", "INPUT_"))
        }
        results: list[StepResult] = []
        failed: StepResult | None = None
        added_path: list[str] = []
        for n, step in enumerate(action["runs"]["steps"]):
            assert step.get("shell") == "bash", step
            assert "uses" not in step
            output = temp / f"output-{n}"
            output.write_text("", "utf-8")
            path_file = temp / f"path-{n}"
            path_file.write_text("", "utf-8")
            script = temp / f"step-{n}.sh"
            script.write_text(substitute(step["run"]), "utf-8")
            env = {
                **base,
                **self.env,
                "PATH": os.pathsep.join([*reversed(added_path), base.get("PATH", "")]),
                **{k: substitute(str(v)) for k, v in (step.get("env") or {}).items()},
                **({"GITHUB_ACTION_PATH": str(self.action_path)} if self.action_path_env else {}),
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_OUTPUT": str(output),
                "GITHUB_PATH": str(path_file),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_ACTIONS": "true",
                "RUNNER_TEMP": str(temp),
            }
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            outs = parse_output_file(output.read_text("utf-8"))
            added_path += [line for line in path_file.read_text("utf-8").splitlines() if line]
            if step.get("id"):
                steps_out[step["id"]] = outs
            result = StepResult(step.get("id"), proc.returncode, proc.stdout, proc.stderr, outs)
            results.append(result)
            if proc.returncode != 0:
                failed = result
                break
        outputs = {
            name: substitute(str(spec["value"]))
            for name, spec in (action.get("outputs") or {}).items()
        }
        return ActionResult(
            results,
            outputs,
            summary.read_text("utf-8"),
            self.workspace,
            path=added_path,
            failed_step=failed.id if failed else None,
            exit_code=failed.exit_code if failed else 0,
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    return ws


@pytest.fixture
def runner(workspace: Path) -> ActionRunner:
    return ActionRunner(workspace)


def pin_catalogue(site: LocalSite, workspace: Path) -> Path:
    """A first crawl of coin-futures and ``errwatch export`` of it into the repository."""
    site.set(COIN_EN, Reply(body=day1_page()))
    store = workspace.parent / "pin-store"
    assert (
        main(
            [
                "crawl",
                "-q",
                "--snapshots",
                str(store),
                "--base-url",
                site.base_url,
                "--page",
                "coin-futures",
                "--locale",
                "en",
                "--at",
                "2026-01-15T06:00:00Z",
            ]
        )
        == 0
    )
    pinned = workspace / "errwatch.catalogue.json"
    assert main(["export", "--snapshots", str(store), "--out", str(pinned)]) == 0
    return pinned


def gate_inputs(site: LocalSite, **extra: str) -> dict[str, str]:
    return {
        "command": "run",
        "against": "errwatch.catalogue.json",
        "base-url": site.base_url,
        "pages": "coin-futures",
        "locales": "en",
        "python": sys.executable,
        **extra,
    }


# ---------------------------------------------------------------------------- the file


def test_action_declares_the_spec_inputs_and_outputs() -> None:
    action = yaml.safe_load(ACTION.read_text("utf-8"))
    assert set(action["inputs"]) == SPEC_INPUTS
    assert set(action["outputs"]) == SPEC_OUTPUTS
    defaults = {k: v.get("default") for k, v in action["inputs"].items()}
    assert defaults["command"] == "run" and defaults["formats"] == "json,html,md"
    assert defaults["snapshots"] == ".errwatch/snapshots"
    assert defaults["reports"] == "errwatch-reports" and defaults["python"] == "python3"
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"] and action["branding"]
    for spec in action["inputs"].values():
        assert spec.get("description")


def test_no_expression_is_interpolated_into_shell_code() -> None:
    """``${{ inputs.x }}`` inside ``run:`` is a script-injection hole; env: only."""
    action = yaml.safe_load(ACTION.read_text("utf-8"))
    used: set[str] = set()
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"], step["run"]
        for v in (step.get("env") or {}).values():
            used.update(m.group(1) for m in _EXPR.finditer(str(v)))
    assert {f"inputs.{name}" for name in SPEC_INPUTS} <= used  # every input reaches errwatch


# ---------------------------------------------------------------------------- run


def test_gate_on_a_pinned_catalogue(runner: ActionRunner, site: LocalSite, workspace: Path) -> None:
    pin_catalogue(site, workspace)
    site.set(COIN_EN, Reply(body=changed_page()))

    result = runner.run(**gate_inputs(site, **{"fail-on": "breaking"}))
    assert result.steps[0].outputs["python"] == sys.executable  # this checkout, as it is
    assert [Path(p) for p in result.path] == [Path(sys.executable).parent]  # errwatch on PATH
    assert result.failed_step == "errwatch" and result.exit_code == 1
    out = result.outputs
    assert (out["exit-code"], out["changes"], out["breaking"], out["failed"]) == (
        "1",
        "2",
        "1",
        "0",
    )
    report_dir = workspace / out["report-dir"]
    assert report_dir.parent == workspace / "errwatch-reports"
    report = json.loads((report_dir / "report.json").read_text("utf-8"))
    assert_valid("report", report)
    assert {(c["kind"], c.get("code") or c.get("new_code")) for c in report["changes"]} == {
        ("added", -4999),
        ("renumbered", -4187),
    }
    assert {"report.html", "report.md"} <= {p.name for p in report_dir.iterdir()}
    # the job summary is report.md, and shows the added code and the renumbering
    assert result.summary == (report_dir / "report.md").read_text("utf-8")
    assert "-4999" in result.summary and "BRAND_NEW_CODE" in result.summary
    assert "-4187" in result.summary and "INVALID_PAIR" in result.summary
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert any(line.startswith("::error") and "INVALID_PAIR" in line for line in annotations)
    assert any("BRAND" in line for line in annotations)
    assert (workspace / ".errwatch" / "snapshots").is_dir()  # the default store, in the repo

    passed = runner.run(**gate_inputs(site, **{"fail-on": "never"}))
    assert passed.failed_step is None and passed.exit_code == 0
    assert (passed.outputs["exit-code"], passed.outputs["changes"], passed.outputs["breaking"]) == (
        "0",
        "2",
        "1",
    )
    assert "BRAND_NEW_CODE" in passed.summary

    assert runner.run(**gate_inputs(site, **{"fail-on": "any"})).exit_code == 1


def test_a_runner_without_the_action_path_variable(site: LocalSite, workspace: Path) -> None:
    pin_catalogue(site, workspace)
    site.set(COIN_EN, Reply(body=changed_page()))
    runner = ActionRunner(workspace, action_path_env=False)
    result = runner.run(**gate_inputs(site, **{"fail-on": "breaking"}))
    assert result.exit_code == 1 and result.outputs["changes"] == "2"


def test_accepting_the_change_by_re_export_passes_the_gate(
    runner: ActionRunner, site: LocalSite, workspace: Path
) -> None:
    pinned = pin_catalogue(site, workspace)
    site.set(COIN_EN, Reply(body=changed_page()))
    first = runner.run(**gate_inputs(site, **{"fail-on": "any"}))
    assert first.exit_code == 1
    # accept: export the store the gate just wrote, over the committed file
    assert (
        main(
            [
                "export",
                "--snapshots",
                str(workspace / ".errwatch" / "snapshots"),
                "--out",
                str(pinned),
            ]
        )
        == 0
    )
    again = runner.run(**gate_inputs(site, **{"fail-on": "any"}))
    assert again.failed_step is None
    assert (again.outputs["exit-code"], again.outputs["changes"]) == ("0", "0")


def test_failed_pages_fail_the_step_with_exit_3(
    runner: ActionRunner, site: LocalSite, workspace: Path
) -> None:
    pin_catalogue(site, workspace)
    site.set(COIN_EN, Reply(status=404, body="gone"))
    result = runner.run(**gate_inputs(site, **{"fail-on": "breaking"}))
    assert result.exit_code == 3 and result.outputs["exit-code"] == "3"
    assert (result.outputs["failed"], result.outputs["changes"]) == ("1", "0")


def test_usage_errors_end_the_step_with_exit_2_and_one_line(
    runner: ActionRunner, site: LocalSite, workspace: Path
) -> None:
    (workspace / "errwatch.catalogue.json").write_text("{not json", "utf-8")
    result = runner.run(**gate_inputs(site))
    assert result.exit_code == 2 and result.outputs["exit-code"] == "2"
    errors = [line for line in result.stderr.splitlines() if line.startswith("errwatch: error:")]
    assert len(errors) == 1 and "catalogue" in errors[0]
    assert "exit code 2" in result.summary and result.outputs["report-dir"] == ""
    bad = runner.run(command="lint", python=sys.executable)
    assert bad.exit_code == 2 and "::error" in bad.stdout and "lint" in bad.stdout


def test_inputs_are_data_never_shell_code(
    runner: ActionRunner, site: LocalSite, workspace: Path
) -> None:
    pin_catalogue(site, workspace)
    hostile = {
        "pages": "coin-futures $(touch pwned-pages) `touch pwned-tick`",
        "base-url": site.base_url + '"; touch pwned-url; echo "',
        "fail-on": "never$(touch pwned-fail)",
        "against": "errwatch.catalogue.json'; touch pwned-against; '",
    }
    for name, text in hostile.items():
        result = runner.run(**gate_inputs(site, **{name: text}))
        assert result.exit_code in (2, 3), (name, result.stdout, result.stderr)
        assert result.outputs["exit-code"] == str(result.exit_code)
    # a report folder name with shell syntax in it is just a name
    ok = runner.run(**gate_inputs(site, reports="r;touch pwned-r $(touch pwned-s)"))
    assert ok.exit_code == 0 and (workspace / "r;touch pwned-r $(touch pwned-s)").is_dir()
    assert ok.outputs["report-dir"].startswith("r;touch pwned-r $(touch pwned-s)/")
    assert not list(workspace.glob("pwned*")) and not list(workspace.parent.glob("pwned*"))


# ---------------------------------------------------------------------------- check


def test_check_mode(runner: ActionRunner, site: LocalSite, workspace: Path) -> None:
    pin_catalogue(site, workspace)
    table = workspace / "errors.json"
    table.write_text(json.dumps({"4087": "INVALID_PAIR", "-1000": "UNKNOWN"}), "utf-8")
    inputs = {
        "command": "check",
        "tables": "errors.json",
        "against": "errwatch.catalogue.json",
        "pages": "coin-futures",
        "python": sys.executable,
    }
    result = runner.run(**inputs)
    assert result.failed_step == "errwatch" and result.exit_code == 1  # a sign error
    doc = json.loads((workspace / "errwatch-reports" / "check" / "check.json").read_text("utf-8"))
    live = [f for f in doc["findings"] if not f["suppressed"]]
    assert result.outputs["findings"] == str(len(live)) != "0"
    assert result.outputs["report-dir"] == "errwatch-reports/check"
    assert "errwatch check:" in result.summary and "sign" in result.summary
    assert any(line.startswith("::error file=errors.json") for line in result.stdout.splitlines())
    relaxed = runner.run(**inputs, **{"fail-on": "never"})
    assert relaxed.failed_step is None and relaxed.outputs["exit-code"] == "0"


def test_check_summary_and_annotations_are_inert() -> None:
    doc = {
        "docs": {"source": "catalogue x.json", "snapshot": None, "locale": "en"},
        "findings": [
            {
                "kind": "name_mismatch",
                "severity": "warning",
                "code": -1000,
                "file": "a\n::set-output name=x::y.py",
                "line": 3,
                "detail": "[click](https://evil.test) @everyone <img src=x>",
                "link": "https://developers.binance.com/docs/x#a) [y](z",
                "suppressed": False,
            },
            {
                "kind": "sign",
                "severity": "error",
                "code": 4087,
                "file": "b.py",
                "line": None,
                "detail": "d",
                "link": None,
                "suppressed": True,
            },
        ],
    }
    md = check_summary(doc)
    from markdown_it import MarkdownIt

    html = MarkdownIt("gfm-like", {"linkify": True}).render(md)
    links = re.findall(r'<a href="([^"]*)"', html)
    assert links == ["https://developers.binance.com/docs/x#a%29%20%5By%5D%28z"]  # ours only
    assert "<img" not in html and "@everyone" not in html and "<table>" in html
    assert "1 suppressed" in md and "0 error(s), 1 warning(s)" in md
    notes = check_annotations(doc)
    assert notes.count("\n") == 1 and notes.startswith("::warning file=a%0A%3A%3Aset-output")


# ---------------------------------------------------------------------------- docs/ci.md

CI_DOC = ROOT / "docs" / "ci.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def doc_workflows() -> list[dict[str, Any]]:
    blocks = [b for lang, b in _FENCE.findall(CI_DOC.read_text("utf-8")) if lang == "yaml"]
    return [wf for wf in map(yaml.safe_load, blocks) if isinstance(wf, dict) and "jobs" in wf]


def action_steps(wf: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        step
        for job in wf["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("errwatch/errwatch@")
    ]


def test_ci_doc_holds_three_complete_recipes_that_use_the_action() -> None:
    from conftest import cli_problem, errwatch_invocations

    declared = set(yaml.safe_load(ACTION.read_text("utf-8"))["inputs"])
    recipes = doc_workflows()
    assert len(recipes) == 3
    for wf in recipes:
        assert (wf.get("on") or wf.get(True)) and action_steps(wf)  # type: ignore[call-overload]
        for step in action_steps(wf):
            assert set(step.get("with") or {}) <= declared, step
    pin, check, history = recipes
    # (a) gate on the committed catalogue, and accept by re-exporting over it
    gate = action_steps(pin)[0]["with"]
    assert gate["against"] == "errwatch.catalogue.json" and gate["fail-on"] == "breaking"
    runs = [s["run"] for job in pin["jobs"].values() for s in job["steps"] if "run" in s]
    exports = [a for r in runs for a in errwatch_invocations(r) if a[:1] == ["export"]]
    assert exports and exports[0][exports[0].index("--out") + 1] == gate["against"]
    # (b) check your own tables
    with_b = action_steps(check)[0]["with"]
    assert with_b["command"] == "check" and with_b["tables"].strip()
    # (c) snapshots and reports on a data branch
    with_c = action_steps(history)[0]["with"]
    assert with_c["snapshots"].startswith("data/") and "against" not in with_c
    pushes = [
        s["run"]
        for job in history["jobs"].values()
        for s in job["steps"]
        if "git push" in s.get("run", "")
    ]
    assert pushes and "errwatch-data" in pushes[0]
    # every errwatch command in the page is one the CLI accepts
    scripts = [b for lang, b in _FENCE.findall(CI_DOC.read_text("utf-8")) if lang == "sh"]
    scripts += [
        s["run"]
        for wf in recipes
        for job in wf["jobs"].values()
        for s in job["steps"]
        if "run" in s
    ]
    commands = [a for script in scripts for a in errwatch_invocations(script)]
    assert {"crawl", "export", "history", "run"} <= {a[0] for a in commands if a}
    assert [p for p in map(cli_problem, commands) if p] == []


def test_recipe_a_gate_step_runs_as_written(
    runner: ActionRunner, site: LocalSite, workspace: Path
) -> None:
    """Recipe (a)'s inputs, pointed at the local server instead of the live docs."""
    given = dict(action_steps(doc_workflows()[0])[0]["with"])
    pin_catalogue(site, workspace)
    site.set(COIN_EN, Reply(body=changed_page()))
    result = runner.run(
        **given,
        **{
            "base-url": site.base_url,
            "pages": "coin-futures",
            "locales": "en",
            "python": sys.executable,
        },
    )
    assert result.exit_code == 1 and result.outputs["breaking"] == "1"
    # the accept job's re-export, then the gate passes
    assert (
        main(
            [
                "export",
                "--snapshots",
                str(workspace / ".errwatch" / "snapshots"),
                "--out",
                str(workspace / given["against"]),
            ]
        )
        == 0
    )
    again = runner.run(
        **given,
        **{
            "base-url": site.base_url,
            "pages": "coin-futures",
            "locales": "en",
            "python": sys.executable,
        },
    )
    assert again.exit_code == 0 and again.outputs["changes"] == "0"


# ---------------------------------------------------------------------------- pieces


def test_input_splitting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert split_words("spot, usds-futures\ncoin-futures") == (
        "spot",
        "usds-futures",
        "coin-futures",
    )
    monkeypatch.chdir(tmp_path)
    for name in ("b.py", "a.py", "my table.json"):
        (tmp_path / name).write_text("{}", "utf-8")
    assert split_paths("*.py") == ("a.py", "b.py")
    assert split_paths("a.py b.py") == ("a.py", "b.py")
    assert split_paths("my table.json\nb.py\n") == ("my table.json", "b.py")
    assert split_paths("missing/*.ts") == ("missing/*.ts",)


def test_command_lines() -> None:
    env = {
        "ERRWATCH_INPUT_COMMAND": "run",
        "ERRWATCH_INPUT_AGAINST": "cat.json",
        "ERRWATCH_INPUT_PAGES": "spot wallet",
        "ERRWATCH_INPUT_FORMATS": "html",
        "ERRWATCH_INPUT_FAIL_ON": "breaking",
    }
    assert errwatch_argv(Inputs.from_env(env)) == [
        "run",
        "--snapshots",
        ".errwatch/snapshots",
        "--reports",
        "errwatch-reports",
        "--format",
        "json,md,html,github",
        "--against",
        "cat.json",
        "--page",
        "spot",
        "--page",
        "wallet",
        "--fail-on",
        "breaking",
    ]
    check = Inputs.from_env(
        {
            "ERRWATCH_INPUT_COMMAND": "check",
            "ERRWATCH_INPUT_TABLES": "-x.json",
            "ERRWATCH_INPUT_MAP": "linear=usds-futures\ninverse=coin-futures\n",
        }
    )
    assert errwatch_argv(check) == [
        "check",
        "--map",
        "linear=usds-futures",
        "--map",
        "inverse=coin-futures",
        "--crawl",
        "--format",
        "json",
        "--",
        "-x.json",
    ]


def test_outputs_file_format(tmp_path: Path) -> None:
    path = tmp_path / "out"
    write_outputs(str(path), {"a": "1", "b": "two\nlines", "c": "", "d": "x=y<<z"})
    text = path.read_text("utf-8")
    assert text.startswith("a=1\nb<<ghadelimiter_")  # simple values stay simple
    assert parse_output_file(text) == {"a": "1", "b": "two\nlines", "c": "", "d": "x=y<<z"}


# ---------------------------------------------------------------------------- the real install


def _checkout_copy(dest: Path) -> Path:
    """What `uses: errwatch/errwatch@ref` checks out: the repository's files."""
    dest.mkdir()
    for name in ("action.yml", "pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(
        ROOT / "scraper", dest / "scraper", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return dest


@pytest.mark.slow
def test_real_install(site: LocalSite, workspace: Path, tmp_path: Path) -> None:
    """The default install path: a venv in $RUNNER_TEMP and pip install of the checkout."""
    checkout = _checkout_copy(tmp_path / "action-checkout")
    temp = tmp_path / "runner-temp"
    runner = ActionRunner(workspace, action_path=checkout, runner_temp=temp)
    pin_catalogue(site, workspace)
    site.set(COIN_EN, Reply(body=changed_page()))
    inputs: Mapping[str, str] = gate_inputs(site, **{"fail-on": "breaking"})
    inputs = {**inputs, "python": sys.executable}  # errwatch of another checkout: not reused
    result = runner.run(**inputs)
    installed = result.steps[0].outputs.get("python", "")
    assert installed.startswith(str(temp / "errwatch-venv")), result.steps[0].stderr[-2000:]
    assert result.exit_code == 1 and result.outputs["breaking"] == "1"
    assert "BRAND_NEW_CODE" in result.summary
    assert len(result.path) == 1 and Path(result.path[0]).parent == temp / "errwatch-venv"
    version = subprocess.run(
        [str(Path(result.path[0]) / "errwatch"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.startswith("errwatch ")
    # a second use of the action in the same job reuses the venv
    again = runner.run(**inputs)
    assert "reusing" in again.steps[0].stdout and again.outputs["changes"] == "2"
