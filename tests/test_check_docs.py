"""docs/check.md: every ``$ errwatch check …`` example prints what the page shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from scraper.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "check.md"
BLOCK = re.compile(r"```console\n\$ (errwatch check [^\n]*)\n(.*?)```", re.DOTALL)
EXAMPLES = BLOCK.findall(DOC.read_text("utf-8"))


def test_the_page_has_its_worked_examples() -> None:
    commands = " ".join(cmd for cmd, _ in EXAMPLES)
    for table in ("ccxt_binance.py", "ccxt_binance_defects.py", "errors_enum.py", "errors.csv"):
        assert table in commands


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c.split()[2] for c, _ in EXAMPLES])
def test_example_output_is_true(
    command: str, expected: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)[1:]
    rc = main(argv)
    assert capsys.readouterr().out == expected
    assert rc in (0, 1)
