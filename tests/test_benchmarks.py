"""benchmarks/run.py runs and prints its rows (behaviour only: no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "run.py"


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_quick_parse_and_diff_groups_print_their_rows(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = bench("--quick", "--only", "parse,diff", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    for label in ("parse + records, spot.en (real page)", "floor: lxml.etree parse, spot.en",
                  "floor: BeautifulSoup(lxml) parse, spot.en", "parse + records + markdown, spot.en",
                  "markdownify alone, pre-parsed article tree", "parse + records, wallet.en",
                  "parse + records, coin-futures.zh-CN", "diff_records, 3,000 records (60 edits)"):
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
    assert "| figure | median | min | target | floor | met |" in lines
    assert any(line.startswith("| parse + records, spot.en (real page) |") and "≤ 10.0 ms" in line
               for line in lines)
    bad = bench("--only", "nonsense")
    assert bad.returncode == 2 and "unknown group 'nonsense'" in bad.stderr
