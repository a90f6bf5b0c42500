"""Wrong input is refused up front, in one line, with exit 2; the demo leads somewhere.

Each rough edge a new user met in the first hour has a test here: a base URL that is not
http(s), a page or locale errwatch does not know, `history` and `diff` without snapshots,
OS errors without the errno noise, the commands the demo prints (run for real), and help
text on every option of every subcommand.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest
from conftest import FIXTURES, LocalSite

from scraper.cli import build_parser, main

SPOT_PATH = "/docs/binance-spot-api-docs/errors"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err: str, *needles: str) -> None:
    assert err.startswith("errwatch: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "[Errno" not in err, err
    for needle in needles:
        assert needle in err, err


# --- --base-url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("notaurl", "--base-url 'notaurl' has no scheme"),
        ("ftp://mirror.example/docs", "has the scheme 'ftp'"),
        ("http://", "has no valid host"),
        ("http://127.0.0.1:notaport", "is not a valid URL"),
    ],
    ids=["no-scheme", "ftp", "no-host", "bad-port"],
)
@pytest.mark.parametrize("command", ["run", "crawl"])
def test_a_bad_base_url_is_exit_2_before_any_fetch(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, url: str, needle: str
) -> None:
    snaps = tmp_path / "snaps"
    code, out, err = run_cli(
        capsys, command, "--base-url", url, "--snapshots", str(snaps), "--page", "spot"
    )
    assert code == 2
    assert_one_error_line(err, needle, "http:// or https://")
    assert out == "" and not snaps.exists()


def test_a_good_base_url_still_works(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, spot_html: str
) -> None:
    site.page(SPOT_PATH, spot_html)
    code, _out, err = run_cli(
        capsys, "crawl", "--base-url", site.base_url + "/", "--snapshots", str(tmp_path),
        "--page", "spot", "--locale", "en", "-q",
    )  # fmt: skip
    assert code == 0, err
    assert site.hits(SPOT_PATH) == 1


# --- parse --page / --locale -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--page", "nosuch"], "unknown page 'nosuch'; known pages: spot, "),
        (["--locale", "fr"], "unknown locale 'fr'; use one of: en, zh-CN"),
    ],
    ids=["page", "locale"],
)
def test_parse_rejects_unknown_page_and_locale(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    page = FIXTURES / "pages" / "spot.en.html"
    code, out, err = run_cli(capsys, "parse", str(page), *args)
    assert code == 2 and out == ""
    assert_one_error_line(err, needle)


def test_parse_accepts_a_known_page_and_locale(capsys: pytest.CaptureFixture[str]) -> None:
    page = FIXTURES / "pages" / "spot.en.html"
    code, out, _err = run_cli(capsys, "parse", str(page), "--page", "spot", "--locale", "en")
    assert code == 0 and '"page": "spot"' in out


# --- history and diff without snapshots ------------------------------------------------


def test_history_of_an_unknown_page_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(
        capsys, "history", "-4087", "--page", "nosuch", "--snapshots", str(tmp_path)
    )
    assert code == 2 and out == ""
    assert_one_error_line(err, "unknown page 'nosuch'")


def test_history_of_an_unknown_locale_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = run_cli(capsys, "history", "-4087", "--locale", "fr")
    assert code == 2
    assert_one_error_line(err, "unknown locale 'fr'")


def test_history_without_a_snapshot_folder_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope"
    code, out, err = run_cli(capsys, "history", "-4087", "--snapshots", str(missing))
    assert code == 2 and out == ""
    assert_one_error_line(err, f"no snapshot folder at {missing}", "errwatch run")
    assert "mentions" not in err
    assert not missing.exists()


def test_history_of_an_empty_snapshot_folder_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = run_cli(capsys, "history", "-4087", "--snapshots", str(tmp_path))
    assert code == 2
    assert_one_error_line(err, f"no snapshots in {tmp_path}", "errwatch run")


def test_history_of_a_code_no_snapshot_mentions_is_still_exit_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, spot_html: str
) -> None:
    site.page(SPOT_PATH, spot_html)
    args = ["--snapshots", str(tmp_path), "--base-url", site.base_url]
    assert run_cli(capsys, "crawl", *args, "--page", "spot", "--locale", "en", "-q")[0] == 0
    code, out, _err = run_cli(
        capsys, "history", "999999", "--page", "spot", "--snapshots", str(tmp_path)
    )
    assert code == 0 and "no snapshot mentions code 999999" in out


@pytest.mark.parametrize("exists", [True, False], ids=["empty-folder", "no-folder"])
def test_diff_without_snapshots_says_what_to_do(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exists: bool
) -> None:
    folder = tmp_path / "snaps"
    if exists:
        folder.mkdir()
    code, _out, err = run_cli(capsys, "diff", "previous", "latest", "--snapshots", str(folder))
    assert code == 2
    assert_one_error_line(err, f"no snapshots in {folder}", "run `errwatch run` first")


# --- OS errors: what errwatch was doing and on which path ------------------------------


@pytest.mark.parametrize("command", ["run", "crawl", "history", "diff"])
def test_a_file_as_the_snapshot_folder_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    """`--snapshots /etc/passwd`, on a file of our own."""
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    extra = {
        "run": ["--base-url", "http://127.0.0.1:9", "--page", "spot"],
        "crawl": ["--base-url", "http://127.0.0.1:9", "--page", "spot"],
        "history": ["-4087"],
        "diff": ["previous", "latest"],
    }[command]
    code, _out, err = run_cli(capsys, command, *extra, "--snapshots", str(a_file))
    assert code == 2
    assert err.startswith("errwatch: error: ") and err.count("\n") == 1, err
    assert str(a_file) in err and "Traceback" not in err
    assert not err.startswith("errwatch: error: [Errno"), err
    assert a_file.read_text() == "root:x:0:0\n"


def test_the_demo_folder_in_the_way_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / ".errwatch-demo").write_text("not a folder")
    code, _out, err = run_cli(capsys, "demo", "-q", "--workdir", str(tmp_path))
    assert code == 2
    assert_one_error_line(
        err,
        "while clearing the demo's snapshot folder",
        f"{tmp_path / '.errwatch-demo'}: it exists and is not a folder",
    )


def test_an_unwritable_report_folder_names_the_activity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, site: LocalSite, spot_html: str
) -> None:
    """reports/ is a file: the report write fails; the line says it was writing a report."""
    site.page(SPOT_PATH, spot_html)
    reports = tmp_path / "reports"
    reports.write_text("in the way")
    code, _out, err = run_cli(
        capsys, "run", "--base-url", site.base_url, "--snapshots", str(tmp_path / "s"),
        "--reports", str(reports), "--page", "spot", "--locale", "en", "-q",
    )  # fmt: skip
    assert code == 2
    assert err.startswith("errwatch: error: ") and err.count("\n") == 1, err
    assert str(reports) in err and "report" in err.replace(str(reports), ""), err
    assert "Traceback" not in err


# --- the demo ends with commands that work on its data ---------------------------------


def test_the_commands_the_demo_prints_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the Quick start: `errwatch demo` in the current folder
    code, out, _err = run_cli(capsys, "demo")
    assert code == 0
    head, _, tail = out.partition("\nNext, on the demo's data:\n")
    assert tail, out
    commands = [line.strip() for line in tail.splitlines() if line.strip()]
    assert [c.split()[:2] for c in commands] == [["errwatch", "history"], ["errwatch", "diff"]]
    opened = next(line for line in head.splitlines() if line.startswith("Open "))
    assert Path(opened.removeprefix("Open ")).is_file()

    history = shlex.split(commands[0])[1:]
    assert "--snapshots" in history
    code, out, err = run_cli(capsys, *history)
    assert code == 0, err
    assert "renumbered" in out and "no snapshot mentions" not in out

    diff = shlex.split(commands[1])[1:]
    code, out, err = run_cli(capsys, *diff)
    assert code in (0, 1, 3), err  # the demo's after day has failed pages: 3
    assert err == "" and "changes" in out
    written = sorted(p.name for p in (tmp_path / "reports").glob("*-vs-*"))
    assert len(written) == 1 and (tmp_path / "reports" / written[0] / "report.html").is_file()


# --- help text -------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def test_every_option_of_every_subcommand_has_help_text() -> None:
    parser = build_parser()
    commands = _subparsers(parser)
    assert {"parse", "crawl", "run", "diff", "history", "schedule", "demo"} <= set(commands)
    missing = []
    for name, sub in {"(global)": parser, **commands}.items():
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"errwatch {name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == [], "options without help text:\n" + "\n".join(missing)


def test_the_help_test_would_catch_a_bare_option() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bare")
    assert next(a for a in parser._actions if not a.help).dest == "bare"
