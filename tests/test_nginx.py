"""The reports are servable as docker-compose serves them: a real nginx, workers as another user.

docker-compose's ``reports`` service is nginx whose workers run as an unprivileged user
that does not own the files errwatch wrote. This test starts Debian's nginx (package
``nginx-light``, installed by ``.ci/run``) on 127.0.0.1 with ``user nobody <group>;``,
serving the reports of ``errwatch demo`` run under umask 022, and fetches index.html,
every link in it and every file under reports/ over HTTP: each must be 200. A guard
checks that the set-up can fail: a file written 0600 (what ``tempfile.mkstemp`` gives)
is answered 403.

nginx missing is a failure with a clear message, not a skip. The master must run as root
to start its workers as another user (it does here and in CI); run as another user, the
workers keep that user and the test checks the permission bits instead.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
from conftest import ROOT
from lxml import html as lxml_html

pytestmark = [pytest.mark.nginx, pytest.mark.slow]

GUARD = 30.0  # seconds before a hung start gives up
IS_ROOT = os.geteuid() == 0
WORKER_USER = "nobody"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        pytest.fail(
            "nginx is not installed: this test serves the reports with a real nginx. "
            "Install it with `apt-get install -y nginx-light` (.ci/run does)",
            pytrace=False,
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Nginx:
    url: str
    master: subprocess.Popen[bytes]
    error_log: Path

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(urljoin(self.url, path), timeout=GUARD) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as exc:
            body = exc.read()
            exc.close()
            return int(exc.code), body

    def worker_uids(self) -> set[int]:
        uids: set[int] = set()
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(self.master.pid):
                uids.add(int(fields["Uid"].split()[1]))  # effective uid
        return uids


def _config(root: Path, work: Path, port: int) -> str:
    user = ""
    if IS_ROOT:
        group = grp.getgrgid(pwd.getpwnam(WORKER_USER).pw_gid).gr_name
        user = f"user {WORKER_USER} {group};"
    temps = "\n".join(
        f"    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
{user}
worker_processes 1;
daemon off;
master_process on;
pid {work / "nginx.pid"};
error_log {work / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log {work / "access.log"};
{temps}
    types {{ text/html html; text/css css; application/json json; text/markdown md;
             application/atom+xml atom xml; text/plain txt; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
    }}
}}
"""


@pytest.fixture(scope="module")
def served() -> Iterator[Path]:
    """``errwatch demo`` under umask 022 in a folder the worker user can traverse."""
    base = Path(tempfile.mkdtemp(prefix="errwatch-nginx-"))
    try:
        base.chmod(0o755)  # the test's own folder; what errwatch creates below is its own
        for parent in base.parents:
            if not parent.stat().st_mode & stat.S_IXOTH:
                pytest.fail(f"{parent} is not searchable by other users: set TMPDIR to /tmp")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-m", "scraper", "demo", "-q", "--workdir", str(base)],
            check=False,
            env=env,
            umask=0o022,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        yield base / "reports"
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def nginx(served: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    binary = nginx_binary()
    work = tmp_path_factory.mktemp("nginx")
    for attempt in range(5):
        port = free_port()
        conf = work / "nginx.conf"
        conf.write_text(_config(served, work, port), "utf-8")
        master = subprocess.Popen(
            [binary, "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        server = Nginx(f"http://127.0.0.1:{port}/", master, work / "error.log")
        deadline = time.monotonic() + GUARD
        while master.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        if master.poll() is None:
            break
        _out, err = master.communicate()
        log = server.error_log.read_text() if server.error_log.exists() else ""
        if "Address already in use" not in err.decode() + log or attempt == 4:
            pytest.fail(f"nginx did not start: {err.decode()}{log}")
    try:
        yield server
    finally:
        master.terminate()
        try:
            master.communicate(timeout=GUARD)
        except subprocess.TimeoutExpired:
            master.kill()
            master.communicate()


def test_workers_run_as_another_user(nginx: Nginx) -> None:
    uids = nginx.worker_uids()
    assert uids, "nginx started no worker process"
    if IS_ROOT:
        assert uids == {pwd.getpwnam(WORKER_USER).pw_uid}, uids
    else:
        assert uids == {os.geteuid()}


def _served_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_every_report_file_is_served(nginx: Nginx, served: Path) -> None:
    files = _served_files(served)
    assert "index.html" in files
    reports = [f for f in files if f.endswith("/report.html")]
    assert len(reports) == 2, files  # the demo's two days
    assert any(f.endswith("/report.json") for f in files)
    assert any(f.endswith("/report.md") for f in files)
    statuses = {f: nginx.get(quote(f))[0] for f in files}
    assert {f: s for f, s in statuses.items() if s != 200} == {}
    status, body = nginx.get("")
    assert status == 200 and body == (served / "index.html").read_bytes()


def test_every_link_of_the_index_is_served(nginx: Nginx) -> None:
    status, body = nginx.get("index.html")
    assert status == 200
    links = {
        href
        for href in lxml_html.fromstring(body).xpath("//a/@href")
        if not urlsplit(href).scheme and not href.startswith("#")
    }
    assert sum(link.endswith("report.html") for link in links) >= 2, links
    bad = {}
    for link in sorted(links):
        status, _ = nginx.get(urlsplit(link).path)
        if status != 200:
            bad[link] = status
    assert bad == {}


def test_written_files_honour_the_umask(served: Path) -> None:
    for path in [served, *served.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        want = 0o755 if path.is_dir() else 0o644
        assert mode == want, f"{path.relative_to(served.parent)}: {oct(mode)}"


def test_guard_a_private_file_is_refused(nginx: Nginx, served: Path) -> None:
    """The set-up can fail: what mkstemp's 0600 gave before is a 403 for the workers."""
    private = served / "private-guard.html"
    private.write_text("<p>private</p>", "utf-8")
    private.chmod(0o600)
    try:
        status, _ = nginx.get("private-guard.html")
        if IS_ROOT:
            assert status == 403
        else:  # workers share our uid: the permission bits are what a foreign worker sees
            assert status == 200 and not private.stat().st_mode & stat.S_IROTH
    finally:
        private.unlink()
