"""errwatch.toml validation, the example config, and docs/config.md kept in step with KEYS.

The key table in docs/config.md is generated from ``scraper.config.KEYS``; when a key is
added or its text changes, regenerate it with::

    .venv/bin/python tests/test_config.py --write
"""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for `python tests/test_config.py --write`

from scraper.config import KEYS, Config, config_from_dict, load_config
from scraper.errors import ConfigError
from scraper.models import PageRef
from scraper.registry import default_pages

DOC = ROOT / "docs" / "config.md"
EXAMPLE = ROOT / "errwatch.toml.example"
START, END = "<!-- keys:start (generated from scraper.config.KEYS) -->", "<!-- keys:end -->"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "errwatch.toml"
    path.write_text(text, "utf-8")
    return path


# --- defaults ---------------------------------------------------------------------------


def test_no_file_and_an_empty_file_give_the_defaults(tmp_path: Path) -> None:
    assert load_config(None) == Config()
    assert load_config(write(tmp_path, "")) == Config()
    cfg = Config()
    assert cfg.locales == ("en", "zh-CN")
    assert cfg.fail_on == "never"
    assert (cfg.cron, cfg.jitter, cfg.timezone) == ("17 6 * * *", 300, "UTC")
    assert (cfg.notify_urls, cfg.failure_urls, cfg.report_url) == ((), (), None)
    assert [p.id for p in cfg.pages] == list(default_pages())
    assert len(cfg.pages) == 14 and cfg.pages[0] == PageRef("spot", "binance-spot-api-docs/errors")


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().fail_on = "any"  # type: ignore[misc]


def test_values_are_read_and_lists_become_tuples(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            """
base_url = "http://127.0.0.1:8000"
locales = ["zh-CN"]
fail_on = "breaking"
concurrency = 2
read_timeout = 12.5
generic_names = ["UNKNOWN"]

[schedule]
cron = "0 */6 * * 1-5"
jitter = 0
timezone = "Asia/Shanghai"

[notify]
urls = ["json://127.0.0.1:9000/hook"]
failure_urls = ["mailto://ops@example.test"]
report_url = "https://reports.example.test/"
""",
        )
    )
    assert cfg.base_url == "http://127.0.0.1:8000"
    assert cfg.locales == ("zh-CN",)
    assert (cfg.fail_on, cfg.concurrency, cfg.read_timeout) == ("breaking", 2, 12.5)
    assert cfg.generic_names == ("UNKNOWN",)
    assert (cfg.cron, cfg.jitter, cfg.timezone) == ("0 */6 * * 1-5", 0, "Asia/Shanghai")
    assert cfg.notify_urls == ("json://127.0.0.1:9000/hook",)
    assert cfg.failure_urls == ("mailto://ops@example.test",)
    assert cfg.report_url == "https://reports.example.test/"


# --- rejected configs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('fail_onn = "any"', "unknown key 'fail_onn'"),
        ('[schedule]\ncrn = "* * * * *"', "unknown key 'schedule.crn'"),
        ('[notify]\nurl = ["json://x"]', "unknown key 'notify.url'"),
        ("[notfy]\nurls = []", "unknown section [notfy]"),
        ('concurrency = "4"', "config key 'concurrency' must be an integer, not a string"),
        ('retries = "3"', "config key 'retries' must be an integer, not a string"),
        ("retries = true", "config key 'retries' must be an integer, not a boolean"),
        ('locales = "en"', "config key 'locales' must be a list of strings, not a string"),
        ("locales = [1]", "'locales' must be a list of strings, not a list with an integer"),
        ('read_timeout = "30"', "config key 'read_timeout' must be a number, not a string"),
        ("[schedule]\njitter = 1.5", "'schedule.jitter' must be an integer, not a float"),
        ("[schedule]\nrun_on_start = 1", "'schedule.run_on_start' must be true or false, not an"),
        ('[notify]\nurls = "json://127.0.0.1/x"', "'notify.urls' must be a list of strings, not a"),
        ("user_agent = 2026-01-01", "'user_agent' must be a string, not a date/time"),
        ("[notify]\nreport_url = {a = 1}", "'notify.report_url' must be a string, not a table"),
        ('base_url = "notaurl"', "base_url 'notaurl' has no scheme; use an http:// or https://"),
        (
            'base_url = "ftp://mirror.example/"',
            "base_url 'ftp://mirror.example/' has the scheme 'ftp'",
        ),
        ('base_url = "http://"', "base_url 'http://' has no valid host"),
        ('base_url = "http://x:99999"', "base_url 'http://x:99999' is not a valid URL"),
        ('base_url = "https://x.test/?a=1"', "must not have a query or fragment"),
        ('locales = ["en", "fr"]', "unknown locale 'fr'"),
        ('fail_on = "sometimes"', "fail_on must be one of: never, any, breaking"),
        ("loss_threshold = 0", "loss_threshold must be in (0, 1]"),
        ("loss_threshold = 1.5", "loss_threshold must be in (0, 1]"),
        ("concurrency = 0", "concurrency must be at least 1"),
        ('[schedule]\ncron = "17 6 * *"', "must have 5 fields"),
        ("[schedule]\njitter = -1", "jitter must be 0 or more"),
        (
            '[schedule]\ntimezone = "Europe/Atlantis"',
            "'Europe/Atlantis' is not a known IANA time zone",
        ),
        ('drop_pages = ["nope"]', "drop_pages names unknown page 'nope'"),
        ('[pages]\n"Bad Id" = "x/error-code"', "invalid page id 'Bad Id'"),
        ("[pages]\nmine = 3", "[pages] 'mine' must be a docs path string"),
        ('[pages]\nmine = "/"', "page 'mine': path must be a non-empty string"),
        ("fail_on = [", "invalid TOML"),
    ],
    ids=[
        "unknown-top-key",
        "unknown-schedule-key",
        "unknown-notify-key",
        "unknown-section",
        "int-as-string",
        "retries-as-string",
        "bool-for-int",
        "string-for-list",
        "list-of-ints",
        "number-as-string",
        "float-for-int",
        "int-for-bool",
        "string-for-url-list",
        "date-for-string",
        "table-for-string",
        "base-url-no-scheme",
        "base-url-ftp",
        "base-url-no-host",
        "base-url-bad-port",
        "base-url-query",
        "bad-locale",
        "bad-fail-on",
        "loss-0",
        "loss-over-1",
        "concurrency-0",
        "cron-4-fields",
        "negative-jitter",
        "bad-timezone",
        "drop-unknown-page",
        "bad-page-id",
        "page-path-not-string",
        "empty-page-path",
        "broken-toml",
    ],
)
def test_invalid_config_is_rejected_with_the_key_named(
    tmp_path: Path, toml: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, toml))
    assert message in str(info.value)


# --- notification URLs: checked by Apprise when the config loads ----------------------


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("urls", "slack://SECRETa"),  # a Slack URL needs three tokens
        ("urls", "nosuchservice://user:SECRETb@host"),
        ("failure_urls", "discord://SECRETc"),
        ("urls", "not a url SECRETd"),
    ],
    ids=["slack-one-token", "unknown-scheme", "discord-no-token", "not-a-url"],
)
def test_an_invalid_apprise_url_is_rejected_at_load_without_its_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, url: str
) -> None:
    caplog.set_level(logging.DEBUG)
    path = write(tmp_path, f'[notify]\n{key} = ["json://127.0.0.1:9/ok", "{url}"]')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"config key 'notify.{key}': entry 2 (")
    assert "is not a valid Apprise URL" in message
    assert "SECRET" not in message
    assert not [r for r in caplog.records if "SECRET" in r.getMessage()], "apprise logged it"


def test_valid_apprise_urls_load() -> None:
    cfg = config_from_dict(
        {
            "notify": {
                "urls": ["slack://TokenA/TokenB/TokenC/#api-errors", "json://127.0.0.1:9000/h"],
                "failure_urls": ["mailto://user:password@example.com?to=ops@example.com"],
            }
        }
    )
    assert len(cfg.notify_urls) == 2 and len(cfg.failure_urls) == 1


def test_the_cli_rejects_a_bad_url_in_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scraper.cli import main

    path = write(tmp_path, '[notify]\nurls = ["slack://SECRETe"]')
    snaps = tmp_path / "s"
    code = main(["run", "--config", str(path), "--snapshots", str(snaps),
                 "--base-url", "http://127.0.0.1:9"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("errwatch: error: config key 'notify.urls'")
    assert "SECRET" not in err + out
    assert not snaps.exists(), "nothing ran"


def test_apprise_is_imported_only_for_a_config_with_urls() -> None:
    code = (
        "import sys; from scraper.config import config_from_dict; "
        "config_from_dict({'schedule': {'cron': '* * * * *'}}); "
        "assert 'apprise' not in sys.modules, 'imported'; "
        "config_from_dict({'notify': {'urls': ['json://127.0.0.1:9/x']}}); "
        "assert 'apprise' in sys.modules"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_run_on_start_is_read() -> None:
    assert Config().run_on_start is False
    assert config_from_dict({"schedule": {"run_on_start": True}}).run_on_start is True


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_config_error_exits_2() -> None:
    assert ConfigError("x").exit_code == 2


# --- page registry ----------------------------------------------------------------------


def test_pages_can_be_added_dropped_and_overridden(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            """
drop_pages = ["spot-testnet", "institutional-loan"]

[pages]
spot = "/binance-spot-api-docs/errors-v2/"
my-product = "my_product/error-code"
""",
        )
    )
    ids = [p.id for p in cfg.pages]
    assert "spot-testnet" not in ids and "institutional-loan" not in ids
    assert (
        ids[0] == "spot" and ids[-1] == "my-product"
    )  # override keeps its place; additions go last
    assert len(ids) == 14 - 2 + 1
    pages = {p.id: p for p in cfg.pages}
    assert pages["spot"].path == "binance-spot-api-docs/errors-v2"
    assert (
        pages["my-product"].url("zh-CN")
        == "https://developers.binance.com/docs/zh-CN/my_product/error-code"
    )


def test_config_from_dict_matches_the_file_reader() -> None:
    assert config_from_dict({"schedule": {"cron": "*/5 * * * * *"}}).cron == "*/5 * * * * *"


# --- example file -----------------------------------------------------------------------


def test_example_config_loads_and_states_the_defaults() -> None:
    assert load_config(EXAMPLE) == Config()


def test_example_config_mentions_every_key() -> None:
    text = EXAMPLE.read_text("utf-8")
    for section, keys in KEYS.items():
        if section:
            assert f"[{section}]" in text, f"errwatch.toml.example has no [{section}] section"
        for key in keys:
            assert f"\n{key} =" in text or f"\n# {key} =" in text, (
                f"errwatch.toml.example misses {key!r}"
            )


# --- docs/config.md ---------------------------------------------------------------------

_TYPE_NAMES = {str: "string", list: "list of strings", int: "integer", bool: "boolean"}


def _type_name(typ: Any) -> str:
    return "number" if typ == (int, float) else _TYPE_NAMES[typ]


def _config_field(section: str, key: str) -> str | None:
    if section == "notify":
        return {"urls": "notify_urls"}.get(key, key)
    return key if key in Config.__dataclass_fields__ else None


def _toml(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, tuple):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def keys_table() -> str:
    """The Markdown table of every key, generated from KEYS and Config's defaults."""
    defaults = Config()
    rows = ["| section | key | type | default | meaning |", "|---|---|---|---|---|"]
    for section, keys in KEYS.items():
        where = f"`[{section}]`" if section else "(top level)"
        if section == "pages":
            rows.append(
                f"| {where} | *page id* | string | the {len(default_pages())} pages of "
                "`scraper/data/pages.toml` | docs path of a page to add, or of a default page "
                "to move (see below) |"
            )
        for key, (typ, meaning) in keys.items():
            field = _config_field(section, key)
            default = _toml(getattr(defaults, field)) if field else "`[]`"
            rows.append(
                f"| {where} | `{key}` | {_type_name(typ)} | {_cell(default)} | {_cell(meaning)} |"
            )
    return "\n".join(rows)


def _documented_block() -> str:
    text = DOC.read_text("utf-8")
    assert START in text and END in text, f"{DOC} lacks the generated-table markers"
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def test_docs_config_table_is_generated_from_keys() -> None:
    assert _documented_block() == keys_table(), (
        "docs/config.md is out of date with scraper.config.KEYS; "
        "regenerate with: .venv/bin/python tests/test_config.py --write"
    )


def test_docs_config_names_every_key() -> None:
    block = _documented_block()
    for section, keys in KEYS.items():
        for key in keys:
            assert f"`{key}`" in block, f"docs/config.md misses {section}.{key}"


def _write_doc() -> None:
    text = DOC.read_text("utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{START}\n{keys_table()}\n{END}{tail}", "utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        _write_doc()
    else:
        print(keys_table())
