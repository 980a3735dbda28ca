"""`python deploy/serve.py --replicas N`: N Streamlit replicas of the dashboard behind nginx.

The replicas listen on 127.0.0.1, ports public+1 … public+N; nginx listens on the public port and
sends each browser to one replica (sticky sessions, see nginx.conf.template). Every replica reads
the same warehouse folder (KYOTEN_WAREHOUSE_DIR, read-only) and follows its CURRENT pointer by
itself, so a publish reaches all of them without a restart.

nginx gets its configuration, pid file, logs and temp folders in a runtime folder of its own
(under the system's temp folder, not the repository) and runs in the foreground. Ctrl-C or
SIGTERM stops nginx and every replica, each with its whole process group.

Standard library only: this runs before anything is known about the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
NGINX_PACKAGE = "nginx"  # Debian's package (nginx-light/-full/-extras work as well)
STOP_SECONDS = 10.0  # how long a process group gets after SIGTERM before SIGKILL


class Failure(Exception):
    """Something the person starting the launcher can fix; the message is shown as it is."""


class Stop(Exception):
    """SIGINT or SIGTERM arrived."""


def listen_address(bind: str, port: int) -> str:
    return f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}"


def upload_limit_mb(config: Path = PROJECT_DIR / ".streamlit" / "config.toml") -> int:
    """Streamlit's own upload limit (server.maxUploadSize, MB; 200 when not set)."""
    try:
        server = tomllib.loads(config.read_text(encoding="utf-8")).get("server", {})
    except (OSError, tomllib.TOMLDecodeError):
        server = {}
    return int(os.environ.get("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", server.get("maxUploadSize", 200)))


def nginx_config(replica_ports: list[int], public_port: int, bind: str, runtime_dir: Path,
                 upload_mb: int = 20) -> str:  # fmt: skip
    """The nginx configuration for these replicas, from nginx.conf.template."""
    if not replica_ports:
        raise ValueError("at least one replica")
    servers = "\n".join(f"        server 127.0.0.1:{port};" for port in replica_ports)
    values = {"RUNTIME": str(runtime_dir), "SERVERS": servers,
              "LISTEN": listen_address(bind, public_port), "BODY_MB": str(upload_mb + 5)}  # fmt: skip
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise ValueError(f"placeholders left in the template: {left}")
    return text


def find_nginx() -> str | None:
    """nginx on PATH, or in the sbin folders a normal user's PATH often lacks."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    return shutil.which("nginx", path=path)


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # as nginx and Streamlit do: a port left in TIME_WAIT by a stopped server is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(name: str, command: list[str], log: Path, env: dict[str, str] | None = None) -> Child:
    """A child in a process group of its own (what it starts is stopped with it)."""
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdin=subprocess.DEVNULL,
                                   stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    return Child(name, process, log)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def wait_healthy(url: str, children: list[Child], deadline: float) -> None:
    while not healthy(url):
        for child in children:
            if child.process.poll() is not None:
                raise Failure(f"{child.name} が起動中に終了しました（終了コード "
                              f"{child.process.returncode}）。ログ {child.log} の最後:\n{child.tail()}")  # fmt: skip
        if time.monotonic() > deadline:
            raise Failure(f"{url} が時間内に応答しませんでした（/_stcore/health）。"
                          f"ログは {children[0].log.parent} にあります。")  # fmt: skip
        time.sleep(0.3)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_all(children: list[Child]) -> None:
    """SIGTERM to every child's process group, SIGKILL to what is left after STOP_SECONDS."""
    for child in reversed(children):  # nginx first: no new requests reach a stopping replica
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
    while time.monotonic() < deadline and any(group_alive(c.process.pid) for c in children):
        time.sleep(0.1)  # grandchildren (an export's Chromium, a publish's build) end too
    for child in children:
        if group_alive(child.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()


def replica_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
            "--server.headless", "true", "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]  # fmt: skip


def nginx_command(nginx: str, conf: Path, runtime_dir: Path, *extra: str) -> list[str]:
    return [nginx, "-p", str(runtime_dir), "-c", str(conf), *extra]


def check_ports(public_port: int, bind: str, replica_ports: list[int]) -> None:
    if not port_is_free(bind, public_port):
        raise Failure(f"ポート {public_port}（{bind}）は使用中です。"
                      "--port で別のポートを指定するか、使っているプロセスを止めてください。")  # fmt: skip
    taken = [port for port in replica_ports if not port_is_free("127.0.0.1", port)]
    if taken:
        raise Failure(f"レプリカ用のポート {', '.join(map(str, taken))}（127.0.0.1）は使用中です。"
                      f"レプリカは公開ポートの次の番号（{replica_ports[0]}–{replica_ports[-1]}）を"
                      "使います。--port で別のポートを指定してください。")  # fmt: skip


def serve(args: argparse.Namespace) -> None:
    nginx = find_nginx()
    if nginx is None:
        raise Failure(f"nginx が見つかりません。Debian では `apt-get install {NGINX_PACKAGE}`（パッケージ "
                      f"{NGINX_PACKAGE}。root で `make system-deps` でも入ります）で導入してください。")  # fmt: skip
    replica_ports = [args.port + i for i in range(1, args.replicas + 1)]
    check_ports(args.port, args.bind, replica_ports)
    warehouse = Path(os.environ.get("KYOTEN_WAREHOUSE_DIR", PROJECT_DIR / "data" / "warehouse"))
    if not (warehouse / "CURRENT").exists():
        print(f"注意: データ倉庫がまだありません（{warehouse}）。`make warehouse` で作成してください。",
              file=sys.stderr, flush=True)  # fmt: skip

    runtime_dir = Path(tempfile.mkdtemp(prefix="kyoten-serve-"))
    # nginx's workers (user nobody when nginx starts as root) must reach their temp folders here
    runtime_dir.chmod(0o711)
    conf = runtime_dir / "nginx.conf"
    conf.write_text(nginx_config(replica_ports, args.port, args.bind, runtime_dir, upload_limit_mb()),
                    encoding="utf-8")  # fmt: skip
    checked = subprocess.run(nginx_command(nginx, conf, runtime_dir, "-t", "-q"),
                             capture_output=True, text=True)  # fmt: skip
    if checked.returncode != 0:
        raise Failure(f"nginx の設定を確認できませんでした（{conf}）:\n{checked.stderr.strip()}")

    # One cookie secret for all replicas, so a signed cookie from one is valid on the others.
    env = dict(os.environ)
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
    children: list[Child] = []
    keep_logs = False
    try:
        for number, port in enumerate(replica_ports, 1):
            children.append(start(f"レプリカ {number}（ポート {port}）", replica_command(port),
                                  runtime_dir / f"streamlit-{port}.log", env))  # fmt: skip
        children.append(start("nginx", nginx_command(nginx, conf, runtime_dir, "-g", "daemon off;"),
                              runtime_dir / "nginx.out"))  # fmt: skip
        print(f"レプリカ {args.replicas} 台（ポート {replica_ports[0]}–{replica_ports[-1]}）と nginx を"
              f"起動しています… ログ: {runtime_dir}", flush=True)  # fmt: skip
        deadline = time.monotonic() + args.timeout
        for port in replica_ports:
            wait_healthy(f"http://127.0.0.1:{port}", children, deadline)
        host = f"[{args.bind}]" if ":" in args.bind else args.bind
        url = f"http://{host}:{args.port}"
        wait_healthy(url, children, deadline)
        print(f"公開中: {url}  （レプリカ {args.replicas} 台、スティッキーセッション。停止は Ctrl-C）",
              flush=True)  # fmt: skip
        while True:
            for child in children:
                if child.process.poll() is not None:
                    raise Failure(f"{child.name} が終了しました（終了コード {child.process.returncode}）。"
                                  f"すべて停止します。ログの最後:\n{child.tail()}")  # fmt: skip
            time.sleep(1)
    except Failure:
        keep_logs = True
        raise
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the cleanup
            signal.signal(number, signal.SIG_IGN)
        if children:
            print("停止しています…", flush=True)
            stop_all(children)
        if keep_logs:
            print(f"ログを残しました: {runtime_dir}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(runtime_dir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python deploy/serve.py",
        description="N Streamlit replicas of the dashboard behind nginx, with sticky sessions.",
    )
    parser.add_argument("--replicas", type=int, default=2, help="how many Streamlit processes")
    parser.add_argument("--port", type=int, default=8501,
                        help="public port (nginx); replicas use the next N ports")  # fmt: skip
    parser.add_argument("--bind", default="127.0.0.1", help="address nginx listens on")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for every replica to answer")  # fmt: skip
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas は 1 以上にしてください")
    if not 1 <= args.port <= 65535 - args.replicas:
        parser.error("--port は 1–65535 の範囲で、レプリカの分（--replicas）の余裕が要ります")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_signal(number, _frame):
        raise Stop(number)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        serve(args)
    except Stop:
        print("停止しました。", flush=True)
        return 0
    except Failure as failure:
        print(f"エラー: {failure}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
