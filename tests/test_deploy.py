"""deploy/serve.py: the nginx configuration it renders, its messages, and two replicas behind a
real nginx (skipped when nginx is not installed: `make system-deps` installs it as root)."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from core.settings import PROJECT_DIR
from deploy import serve
from tests.browser import free_port

PORTS = [18502, 18503, 18504]


def render(runtime_dir: Path) -> str:
    return serve.nginx_config(PORTS, 18501, "127.0.0.1", runtime_dir)


def block(text: str, opening: str) -> str:
    """The body of the first `opening { … }` block (no nested braces in the ones checked)."""
    match = re.search(re.escape(opening) + r"\s*\{(.*?)\}", text, flags=re.S)
    assert match, opening
    return match.group(1)


def require_nginx() -> str:
    nginx = serve.find_nginx()
    if nginx is None:
        pytest.skip("nginx がありません（apt-get install nginx）")
    return nginx


def test_the_upstream_lists_every_replica(tmp_path):
    text = render(tmp_path)
    upstream = block(text, "upstream streamlit")
    assert re.findall(r"server 127\.0\.0\.1:(\d+);", upstream) == [str(p) for p in PORTS]
    assert "listen 127.0.0.1:18501;" in text


def test_sessions_are_sticky(tmp_path):
    text = render(tmp_path)
    assert re.search(r"^\s*hash \$replica_key consistent;", block(text, "upstream streamlit"), re.M)
    # the key is the browser's cookie, and a browser without one is given it
    assert "map $cookie_kyoten_replica $replica_key" in text
    assert "add_header Set-Cookie $replica_cookie always;" in text


def test_the_websocket_is_upgraded_and_kept_open(tmp_path):
    text = render(tmp_path)
    stream = block(text, "location /_stcore/stream")
    assert "proxy_http_version 1.1;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $connection_upgrade;" in stream
    assert "proxy_set_header Host $http_host;" in stream
    timeout = re.search(r"proxy_read_timeout (\d+)s;", stream)
    assert timeout and int(timeout.group(1)) >= 3600
    assert "proxy_pass http://streamlit;" in block(text, "location = /_stcore/health")


def test_nginx_writes_only_into_the_runtime_folder(tmp_path):
    text = render(tmp_path)
    paths = re.findall(r"^\s*(?:pid|error_log|access_log|\w+_temp_path) (\S+?)[ ;]", text, re.M)
    assert len(paths) == 8
    assert all(path.startswith(str(tmp_path)) for path in paths), paths


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = require_nginx()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render(tmp_path), encoding="utf-8")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf)],
                             capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_a_missing_nginx_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(serve, "find_nginx", lambda: None)
    with pytest.raises(serve.Failure, match=r"apt-get install nginx"):
        serve.serve(serve.parse_args([]))


def test_a_taken_port_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(serve.Failure, match=rf"ポート {port}（127.0.0.1）は使用中"):
            serve.check_ports(port, "127.0.0.1", [])
        with pytest.raises(serve.Failure, match=rf"レプリカ用のポート {port}"):
            serve.check_ports(free_port(), "127.0.0.1", [port])


def free_ports(count: int) -> int:
    """A port whose next `count - 1` ports are free as well."""
    for _ in range(50):
        port = free_port()
        if port + count < 65536 and all(
            serve.port_is_free("127.0.0.1", port + i) for i in range(count)
        ):
            return port
    raise RuntimeError("no free run of ports")


def process_tree(root: int) -> set[int]:
    """Every living descendant of `root`, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
def test_two_replicas_behind_nginx_start_answer_and_stop(sample_settings, tmp_path):
    require_nginx()
    port = free_ports(3)
    env = {**os.environ, "KYOTEN_WAREHOUSE_DIR": str(sample_settings.warehouse_dir),
           "KYOTEN_BOUNDARIES_DIR": str(tmp_path / "no-boundaries")}  # fmt: skip
    command = [sys.executable, "deploy/serve.py", "--replicas", "2", "--port", str(port),
               "--timeout", "45"]  # fmt: skip
    launcher = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        for line in launcher.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    tree: set[int] = set()
    try:
        deadline = time.monotonic() + 50
        while not any(line.startswith("公開中:") for line in output):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the launcher stopped:\n{''.join(output)}"
            output.append(line)
        tree = process_tree(launcher.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ") for pid in tree]
        assert sum(b"streamlit run app.py" in c for c in commands) == 2, commands
        assert sum(b"nginx" in c for c in commands) >= 2, commands  # master and worker
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/_stcore/health", timeout=10
        ) as response:  # noqa: S310
            assert response.read().strip() == b"ok"
            assert response.headers["Server"].startswith("nginx")
            assert any("kyoten_replica=" in c for c in response.headers.get_all("Set-Cookie"))
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in [launcher.pid, *tree]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise
    assert launcher.returncode == 0, "".join(output)
    assert not [pid for pid in tree if alive(pid)]
    assert serve.port_is_free("127.0.0.1", port)


def test_the_server_config_keeps_per_run_work_off():
    """Two Streamlit defaults that cost a busy server most of its time (`bench load`): a full
    garbage collection after every run (~100 ms holding the GIL) and the source watcher's scan
    of every imported module. `make run`, `make serve` and the tests all read this file."""
    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"
