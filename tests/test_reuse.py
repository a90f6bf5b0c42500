"""Article-level reuse (scraper/reuse.py): a new shell around the same article is stored
as a new fetch but not parsed again; any change inside the article is parsed and reported."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LocalSite, Reply

from scraper import parse
from scraper.cli import main
from scraper.demo import load_pages
from scraper.reuse import fingerprint
from scraper.store import SnapshotStore

COIN_EN = "/docs/derivatives/coin-margined-futures/error-code"
PAGES = ["--page", "coin-futures", "--locale", "en"]
BODY = load_pages()["before"][COIN_EN]
ARTICLE = b'class="theme-doc-markdown'


def redeploy(html: bytes, build: int) -> bytes:
    """The same document in the shell of another Docusaurus build: every asset hash in
    <script>/<link> is new, the head carries a build id, the footer is reworded."""
    out, n = re.subn(
        rb"(\.)([0-9a-f]{8})(\.(?:js|css)\")",
        lambda m: (
            m.group(1)
            + hashlib.sha256(m.group(2) + bytes([build])).hexdigest()[:8].encode()
            + m.group(3)
        ),
        html,
    )
    assert n >= 2, "the fixture page has asset hashes"
    out = out.replace(b"<head>", f'<head><meta name="build-id" content="b{build}">'.encode(), 1)
    footer = out.rfind(b"</footer>")
    assert footer > out.find(ARTICLE) > 0
    return out[:footer] + f"<p>built {build}</p>".encode() + out[footer:]


def first_message(html: bytes) -> int:
    """Offset of the text of the first bullet inside the article."""
    li = html.find(b"<li>", html.find(ARTICLE))
    assert li > 0
    return li + len(b"<li>")


def edit_one_char(html: bytes) -> bytes:
    at = first_message(html)
    return html[:at] + (b"X" if html[at : at + 1] != b"X" else b"Y") + html[at + 1 :]


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


# ------------------------------------------------------------------ the fingerprint


def test_fingerprint_ignores_the_shell_but_not_the_article() -> None:
    base = fingerprint(BODY.decode("utf-8"))
    assert base is not None and re.fullmatch(r"[0-9a-f]{64}", base)
    assert fingerprint(redeploy(BODY, 1).decode("utf-8")) == base
    assert fingerprint(redeploy(BODY, 2)) == base  # bytes or text, same article

    assert fingerprint(edit_one_char(BODY).decode("utf-8")) != base
    assert fingerprint(edit_one_char(redeploy(BODY, 1))) != base
    # the whole article is covered: its last characters and its attributes too
    end = BODY.find(b"</div></article>")
    assert end > 0
    assert fingerprint(BODY[:end] + b"." + BODY[end:]) != base
    href = BODY.find(b'href="', BODY.find(ARTICLE))
    assert href > 0
    assert fingerprint(BODY[: href + 6] + b"x" + BODY[href + 6 :]) != base


def test_fingerprint_is_of_the_parsed_article_not_of_its_bytes() -> None:
    """Markup before the article that changes how it parses changes the fingerprint (or
    leaves none), although the article's own bytes are the same."""
    base = fingerprint(BODY)
    at = BODY.find(ARTICLE)
    hidden = BODY[: at - 5] + b"<!-- " + BODY[at - 5 :]  # an unclosed comment hides it
    assert fingerprint(hidden) != base
    assert fingerprint(b"<html><body><p>no article</p></body></html>") is None
    assert fingerprint(b"") is None


# ------------------------------------------------------------------ end to end


class Runner:
    def __init__(self, tmp: Path, site: LocalSite) -> None:
        self.snapshots = tmp / "snapshots"
        self.reports = tmp / "reports"
        self.site = site
        self.config = tmp / "errwatch.toml"
        self.config.write_text(
            "retries = 1\nbackoff = 0\nread_timeout = 2\nconnect_timeout = 2\n", "utf-8"
        )

    def serve(self, body: bytes) -> None:
        self.site.set(
            COIN_EN,
            Reply(body=body, etag=etag(body), headers={"Content-Type": "text/html; charset=utf-8"}),
        )

    def __call__(self, at: str) -> int:
        return main(
            [
                "run",
                "--snapshots",
                str(self.snapshots),
                "--reports",
                str(self.reports),
                "--base-url",
                self.site.base_url,
                "--config",
                str(self.config),
                "--at",
                at,
                *PAGES,
            ]
        )

    def entry(self, index: int) -> dict[str, Any]:
        store = SnapshotStore(self.snapshots)
        sid = store.snapshot_ids()[index]
        entry = store.entry(sid, "coin-futures", "en")
        assert entry is not None
        return entry

    def report(self, index: int) -> dict[str, Any]:
        sid = SnapshotStore(self.snapshots).snapshot_ids()[index]
        data: dict[str, Any] = json.loads((self.reports / sid / "report.json").read_text("utf-8"))
        return data


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls of parse_html (the gate imports it from scraper.parse at call time)."""
    calls: list[int] = []
    real = parse.parse_html

    def parse_html(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(parse, "parse_html", parse_html)
    return calls


def test_redeploy_stores_the_new_fetch_reuses_the_article_and_reports_nothing(
    tmp_path: Path, site: LocalSite, counted: list[int]
) -> None:
    run = Runner(tmp_path, site)
    run.serve(BODY)
    assert run("2026-01-15T06:00:00Z") == 0
    assert len(counted) == 1
    first = run.entry(-1)
    assert first["article"] == fingerprint(BODY)

    new_shell = redeploy(BODY, 1)
    run.serve(new_shell)
    assert run("2026-01-16T06:00:00Z") == 0
    assert len(counted) == 1, "an unchanged article is not parsed again"
    second = run.entry(-1)
    # the new fetch is what the snapshot records ...
    assert (second["status"], second["http_status"]) == ("ok", 200)
    assert second["etag"] == etag(new_shell) != first["etag"]
    assert second["html"] != first["html"]
    store = SnapshotStore(run.snapshots)
    assert store.html(store.snapshot_ids()[-1], "coin-futures", "en") == new_shell
    # ... while records and markdown are the baseline's objects, and nothing is reported
    assert (second["records"], second["markdown"], second["article"]) == (
        first["records"],
        first["markdown"],
        first["article"],
    )
    assert second["record_count"] == first["record_count"]
    report = run.report(-1)
    assert report["changes"] == [] and report["summary"]["pages"]["ok"] == 1
    objects = store.objects_dir
    md = objects / second["markdown"][:2] / second["markdown"][2:]
    assert md.read_bytes().decode("utf-8").startswith("#")


def test_one_character_inside_the_article_is_parsed_and_reported(
    tmp_path: Path, site: LocalSite, counted: list[int]
) -> None:
    run = Runner(tmp_path, site)
    run.serve(BODY)
    assert run("2026-01-15T06:00:00Z") == 0
    edited = edit_one_char(redeploy(BODY, 1))
    run.serve(edited)
    assert run("2026-01-16T06:00:00Z") == 0  # drift, but no --fail-on
    assert len(counted) == 2, "a changed article is parsed"
    first, second = run.entry(0), run.entry(-1)
    assert second["article"] == fingerprint(edited) != first["article"]
    assert second["records"] != first["records"] and second["markdown"] != first["markdown"]
    changes = run.report(-1)["changes"]
    assert [c["kind"] for c in changes] == ["messages_changed"]


def test_a_corrupt_baseline_object_is_parsed_instead(
    tmp_path: Path, site: LocalSite, counted: list[int]
) -> None:
    """Reuse reads the baseline's markdown hash-checked: a damaged object is never copied
    onward; the page is parsed and its markdown written afresh."""
    run = Runner(tmp_path, site)
    run.serve(BODY)
    assert run("2026-01-15T06:00:00Z") == 0
    first = run.entry(0)
    md = SnapshotStore(run.snapshots).objects_dir / first["markdown"][:2] / first["markdown"][2:]
    md.chmod(0o644)
    md.write_bytes(b"# tampered\n")
    run.serve(redeploy(BODY, 1))
    assert run("2026-01-16T06:00:00Z") == 0
    assert len(counted) == 2
    second = run.entry(-1)
    assert second["records"] == first["records"] and second["markdown"] == first["markdown"]
    assert md.read_bytes() != b"# tampered\n", "the object is rewritten from fresh content"
    assert run.report(-1)["changes"] == []


def test_a_304_day_carries_the_fingerprint_forward(
    tmp_path: Path, site: LocalSite, counted: list[int]
) -> None:
    run = Runner(tmp_path, site)
    run.serve(BODY)
    assert run("2026-01-15T06:00:00Z") == 0
    assert run("2026-01-16T06:00:00Z") == 0  # 304
    assert run.entry(-1)["status"] == "not_modified"
    assert run.entry(-1)["article"] == run.entry(0)["article"]
    run.serve(redeploy(BODY, 1))
    assert run("2026-01-17T06:00:00Z") == 0
    assert len(counted) == 1 and run.entry(-1)["records"] == run.entry(0)["records"]


def test_a_redeploy_run_imports_neither_bs4_nor_markdownify(
    tmp_path: Path, site: LocalSite
) -> None:
    """Lazy imports: bs4 + markdownify (~150 ms) are loaded only when a page is parsed."""
    import subprocess
    import sys

    run = Runner(tmp_path, site)
    run.serve(BODY)
    assert run("2026-01-15T06:00:00Z") == 0
    run.serve(redeploy(BODY, 1))
    argv = [
        "run",
        "--snapshots",
        str(run.snapshots),
        "--reports",
        str(run.reports),
        "--base-url",
        site.base_url,
        "--config",
        str(run.config),
        "--at",
        "2026-01-16T06:00:00Z",
        *PAGES,
    ]
    code = (
        f"import sys\nfrom scraper.cli import main\nrc = main({argv!r})\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'bs4', 'markdownify'}))\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    imported = proc.stdout.strip().splitlines()[-1]
    assert "bs4" not in imported and "markdownify" not in imported, imported
    assert run.entry(-1)["records"] == run.entry(0)["records"]  # it was a reuse


def test_a_fingerprint_that_fails_never_fails_the_page(
    tmp_path: Path, site: LocalSite, counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scraper.reuse

    def broken(text: str | bytes) -> tuple[str | None, object]:
        raise RuntimeError("fingerprint bug")

    run = Runner(tmp_path, site)
    run.serve(BODY)
    assert run("2026-01-15T06:00:00Z") == 0
    monkeypatch.setattr(scraper.reuse, "_fingerprint_tree", broken)
    run.serve(redeploy(BODY, 1))
    assert run("2026-01-16T06:00:00Z") == 0
    second = run.entry(-1)
    assert second["status"] == "ok" and second["article"] is None
    assert len(counted) == 2, "no fingerprint, no reuse: the page is parsed"
    assert second["records"] == run.entry(0)["records"]
    assert run.report(-1)["changes"] == []


def test_a_changed_page_is_read_by_the_html_parser_once(
    tmp_path: Path, site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fingerprint's tree is handed on to parse_html: a changed page is not parsed twice."""
    run = Runner(tmp_path, site)
    run.serve(BODY)
    assert run("2026-01-15T06:00:00Z") == 0
    loads: list[int] = []
    real = parse._load

    def counting(*args: Any, **kw: Any) -> Any:
        loads.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(parse, "_load", counting)
    run.serve(edit_one_char(redeploy(BODY, 1)))
    assert run("2026-01-16T06:00:00Z") == 0
    assert len(loads) == 1
    assert [c["kind"] for c in run.report(-1)["changes"]] == ["messages_changed"]
