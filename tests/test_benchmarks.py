"""benchmarks/run.py runs and prints its rows (behaviour only: no timing is asserted)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow  # runs the benchmark script (seconds)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "run.py"


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_quick_parse_and_diff_groups_print_their_rows(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = bench("--quick", "--only", "parse,diff", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    for label in (
        "parse + records, spot.en (real page)",
        "floor: lxml.etree parse, spot.en",
        "floor: BeautifulSoup(lxml) parse, spot.en",
        "parse + records + markdown, spot.en",
        "markdownify alone, pre-parsed article tree",
        "parse + records, wallet.en",
        "parse + records, coin-futures.zh-CN",
        "diff_records, 3,000 records (60 edits)",
    ):
        assert label in proc.stdout
    assert "DeepDiff" not in proc.stdout  # full mode only
    data = json.loads(out.read_text("utf-8"))
    rows = {r["key"]: r for r in data["rows"]}
    assert {r["group"] for r in data["rows"]} == {"parse", "diff"}
    spot = rows["parse.spot"]
    assert spot["unit"] == "ms" and spot["target"] == 10.0 and spot["floor"] > 0
    assert spot["met"] in (True, False) and spot["min"] <= spot["median"]
    assert rows["parse.lxml"]["target"] is None and rows["parse.lxml"]["met"] is None
    assert data["environment"]["mode"] == "quick"


def test_markdown_table_and_unknown_group() -> None:
    proc = bench("--quick", "--only", "parse", "--markdown")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "| figure | median | min | target | floor | ÷ floor | met |" in lines
    assert any(
        line.startswith("| parse + records, spot.en (real page) |") and "≤ 10.0 ms" in line
        for line in lines
    )
    bad = bench("--only", "nonsense")
    assert bad.returncode == 2 and "unknown group 'nonsense'" in bad.stderr


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("errwatch_bench_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_ratio_to_the_floor_decides_rows_with_a_ratio_target() -> None:
    run = load_script()
    row = run.Row("run", "k", "label", "s", 0.9, 0.8, 3, floor=0.2, ratio_target=5.0)
    assert row.ratio == pytest.approx(4.5) and row.met is True
    slow = run.Row("run", "k", "label", "s", 1.1, 1.0, 3, floor=0.2, ratio_target=5.0)
    assert slow.met is False  # 5.5× the floor
    both = run.Row("run", "k", "label", "s", 0.9, 0.8, 3, target=0.5, floor=0.2, ratio_target=5.0)
    assert both.met is False  # the absolute target still counts
    plain = run.Row("run", "k", "label", "s", 0.9, 0.8, 3)
    assert plain.ratio is None and plain.met is None
    table = run.markdown_table(
        [row, slow],
        {
            "mode": "quick",
            "date": "d",
            "cpus": 2,
            "python": "3",
            "platform": "p",
            "errwatch": "0",
            "commit": "c",
            "lxml": "6",
            "beautifulsoup4": "4",
            "markdownify": "1",
            "subprocess_bytecode": "x",
        },
    )
    assert "| 4.50× | yes |" in table and "| 5.50× | **no** |" in table
    assert "≤ 5× floor" in table


def test_the_redeploy_pages_are_new_shells_around_the_same_articles() -> None:
    """The redeploy row is honest: every document differs (new asset hashes, a new build
    id), while every article's fingerprint is the one of build 0."""
    from scraper.reuse import fingerprint

    run = load_script()
    _, _, pages = run.site_pages()
    for path, body in list(pages.items())[:6]:
        shell = run.redeploy(body, 3)
        assert shell != body and run.redeploy(body, 4) != shell
        assert b'content="build-3"' in shell
        assert fingerprint(shell) == fingerprint(body) is not None, path
        assert fingerprint(run.edit_message(body, 1)) != fingerprint(body)


def test_quick_redeploy_group_measures_against_the_floor_of_the_same_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = bench("--quick", "--only", "redeploy", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = {r["key"]: r for r in json.loads(out.read_text("utf-8"))["rows"]}
    floor, cli = rows["floor.cli"], rows["run.redeploy.cli"]
    assert floor["median"] > 0 and rows["floor.inprocess"]["median"] > 0
    # the row's floor: samples of the bare script taken right before each of its own
    assert cli["floor"] > 0 and "paired" in cli["floor_label"] and cli["ratio_target"] == 3.0
    assert cli["ratio"] == pytest.approx(cli["median"] / cli["floor"])
    assert cli["met"] == (cli["ratio"] <= 3.0)
    assert "28 reused" in cli["note"]
    inproc = rows["run.redeploy.inprocess"]
    assert inproc["floor"] > 0 and inproc["ratio"] == pytest.approx(
        inproc["median"] / inproc["floor"]
    )
