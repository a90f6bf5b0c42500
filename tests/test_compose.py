"""docker-compose.yml against the Compose Specification schema, and the Dockerfile's
commands against the project (console script, CLI subcommands and options).

There is no Docker engine where the tests run, so these checks are what keeps the
container files from rotting: a renamed option or a typo in a compose key fails here.
The schema is vendored (tests/data/compose-spec.json, Apache-2.0, see the .LICENSE
file beside it) because the tests have no network.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import ROOT, cli_problem, errwatch_invocations

SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text("utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        instruction, _, args = (pending + line).partition(" ")
        out.append((instruction.upper(), args.strip()))
        pending = ""
    assert not pending, "Dockerfile ends inside a continued line"
    return out


def exec_form(instructions: list[tuple[str, str]], name: str) -> list[str]:
    values = [args for ins, args in instructions if ins == name]
    assert len(values) == 1, f"the Dockerfile needs exactly one {name}"
    parsed = json.loads(values[0])
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), (
        f"{name} must be exec form"
    )
    return parsed


# --- docker-compose.yml -----------------------------------------------------------------


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    # The file names draft 2019-09 by a URI jsonschema does not recognise; say it here.
    validator_cls = jsonschema.Draft201909Validator
    validator_cls.check_schema(schema)
    errors = sorted(
        validator_cls(schema).iter_errors(compose()), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_the_schema_rejects_what_it_should() -> None:
    """Guards the guard: a misspelt key must fail validation."""
    schema = json.loads(SCHEMA.read_text("utf-8"))
    bad = compose()
    bad["services"]["monitor"]["restrat"] = "always"
    assert not jsonschema.Draft201909Validator(schema).is_valid(bad)


def _mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """target -> long-syntax mount (short syntax is expanded)."""
    out: dict[str, dict[str, Any]] = {}
    for vol in service.get("volumes", []):
        if isinstance(vol, str):
            parts = vol.split(":")
            source, target = parts[0], parts[1]
            vol = {
                "type": "bind" if source.startswith((".", "/")) else "volume",
                "source": source,
                "target": target,
                "read_only": len(parts) > 2 and "ro" in parts[2].split(","),
            }
        out[vol["target"]] = vol
    return out


def test_monitor_service_runs_the_scheduler_unprivileged_with_persistent_data() -> None:
    data = compose()
    monitor = data["services"]["monitor"]
    assert monitor["restart"] == "unless-stopped"
    assert "build" in monitor
    user = str(monitor.get("user", ""))
    assert user and user.split(":")[0] not in ("0", "root"), "monitor must not run as root"

    argv = ["errwatch", *monitor.get("command", exec_form(dockerfile(), "CMD"))]
    assert argv[1] == "schedule"
    config_path = argv[argv.index("--config") + 1]
    # the reports service has something to serve at once, not at the first cron time
    assert "--run-on-start" in argv

    from scraper.cli import build_parser

    assert build_parser().parse_args(argv[1:]).run_on_start is True

    mounts = _mounts(monitor)
    assert mounts[config_path]["read_only"] is True, "the config file is mounted read-only"
    for folder in ("/data/snapshots", "/data/reports"):
        assert folder in mounts, f"{folder} must be a volume or bind mount"
        if mounts[folder]["type"] == "volume":
            assert mounts[folder]["source"] in data.get("volumes", {}), "named volumes are declared"


def test_reports_service_serves_the_reports_volume_read_only_on_8080() -> None:
    data = compose()
    reports = data["services"]["reports"]
    assert reports["image"] == "nginx:alpine"
    assert reports["restart"] == "unless-stopped"
    assert any(str(p).startswith("8080:") for p in reports["ports"])
    served = _mounts(reports)["/usr/share/nginx/html"]
    assert served["read_only"] is True
    assert served["source"] == _mounts(data["services"]["monitor"])["/data/reports"]["source"]


# --- Dockerfile -------------------------------------------------------------------------


def test_dockerfile_base_user_and_data_layout() -> None:
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [args for ins, args in instructions if ins == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must end as a non-root user"
    workdirs = [args for ins, args in instructions if ins == "WORKDIR"]
    assert workdirs[-1] == "/data", "relative snapshots/ and reports/ land under /data"
    runs = " ".join(args for ins, args in instructions if ins == "RUN")
    assert "pip install ." in runs
    assert "/data/snapshots" in runs and "/data/reports" in runs


def test_dockerfile_copies_files_that_exist() -> None:
    for ins, args in dockerfile():
        if ins != "COPY" or args.startswith("--from"):
            continue
        *sources, _dest = args.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_dockerfile_copies_what_the_package_build_reads() -> None:
    """pyproject.toml names its readme and license files: `pip install .` needs them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    needed = {"pyproject.toml", "scraper", project["readme"], *project.get("license-files", [])}
    copied = set()
    for ins, args in dockerfile():
        if ins == "COPY" and not args.startswith("--from"):
            *sources, _dest = args.split()
            copied.update(source.rstrip("/") for source in sources)
    assert needed <= copied, f"the Dockerfile does not COPY {sorted(needed - copied)}"


def test_entrypoint_is_the_projects_console_script() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert exec_form(dockerfile(), "ENTRYPOINT") == ["errwatch"]
    assert scripts.get("errwatch") == "scraper.cli:main"


def test_cmd_and_run_lines_use_existing_subcommands_and_options() -> None:
    instructions = dockerfile()
    cmd = exec_form(instructions, "CMD")
    assert cmd == ["schedule", "--config", "/config/errwatch.toml", "--run-on-start"]
    invocations = [cmd]
    for ins, args in instructions:
        if ins == "RUN":
            invocations += errwatch_invocations(args)
    monitor_cmd = compose()["services"]["monitor"].get("command")
    if monitor_cmd:
        invocations.append(list(monitor_cmd))
    problems = [p for p in map(cli_problem, invocations) if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "args", [["schedule", "--confg", "x"], ["shedule"]], ids=["bad-option", "bad-command"]
)
def test_the_cli_check_catches_mistakes(args: list[str]) -> None:
    assert cli_problem(args) is not None
