"""Run N replicas of the app behind nginx on this machine: `make serve REPLICAS=N`.

    python replicas.py [--replicas N] [--port 8080] [--first-port 7861] [--rate R] [--burst B]
                       [--worker-connections C]
    python replicas.py --print-nginx-config [--replicas N] …

Each replica is `python app.py` on 127.0.0.1 and its own port, over the same index
directory, which it only reads: a new version, built by `/admin` of any replica or by
`python -m index build`, is picked up by every replica by itself (`BotService.follow`).
Replicas never build; without an index this refuses to start and says how to build one.
nginx (`deploy/nginx.conf.template`, rendered into the run directory `.faqbot/serve`)
balances them: the chat sticks to one replica per client address, the REST API goes to
the least busy one, questions are rate-limited per client, connections are limited per
client (`$FAQBOT_CONNECTIONS_PER_CLIENT`) and unfinished requests closed after
`$FAQBOT_REQUEST_TIMEOUT_SECONDS`: the limits a replica applies when it is alone. The
replicas' logs go into one file, `replicas.log`, each line whole and marked with its
replica; it and nginx's logs are rotated at `$FAQBOT_LOG_MAX_BYTES` (3 older files
kept); feedback logs are shared files written under a lock (`web.feedback`). A replica
that exits is started again; Ctrl-C stops everything.
"""

import argparse
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO

from index import index_exists
from index.settings import (
    DEFAULT_CONNECTIONS_PER_CLIENT,
    DEFAULT_LOG_MAX_BYTES,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    ServerSettings,
    SettingsError,
    child_environment,
)

REPO = Path(__file__).resolve().parent
TEMPLATE = REPO / "deploy" / "nginx.conf.template"
RUN_DIR = Path(".faqbot") / "serve"
READY_SECONDS = 300.0
"""How long a replica may take to load the model and the index and answer its warm-up
question (some 10 s with the default model; a large index takes longer)."""
NGINX_LOGS = ("nginx-access.log", "nginx-error.log")
"""nginx's logs in the run directory, rotated by this script (nginx cannot rotate them)."""
LOG_BACKUPS = 3
DEFAULT_WORKER_CONNECTIONS = 8192
"""Connections per nginx worker (one worker per core), visitors' and replicas' together: a
proxied request holds two. 1,024 were exhausted by one client holding 1,100 unfinished
requests; 8,192 hold several such clients, each let go after the request timeout, beside
some 3,000 visitors with an answer under way at once. A connection with a request being
read costs nginx about 10 KB (1,100 held: 10.6 MB more in its workers), so a full worker
takes some 80 MB."""
RESTART_PAUSE_SECONDS = 5.0
"""A replica that exits is started again after this pause, so a replica that cannot start
(a broken index, a port in use) does not spin."""


class ServeError(Exception):
    """Why the replicas cannot be served: one line for the operator."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything listens: nginx at `listen`, replica i at `first_port + i`."""

    replicas: int
    listen: str
    first_port: int
    rate: int
    """Questions per second and client address (nginx `limit_req`)."""
    burst: int
    connections_per_client: int = DEFAULT_CONNECTIONS_PER_CLIENT
    """Connections at once per client address (nginx `limit_conn`)."""
    request_seconds: float = DEFAULT_REQUEST_TIMEOUT_SECONDS
    """How long a request's header may take, and its body pause (nginx `client_*_timeout`)."""
    worker_connections: int = DEFAULT_WORKER_CONNECTIONS

    @property
    def ports(self) -> list[int]:
        return [self.first_port + number for number in range(self.replicas)]


def nginx_config(layout: Layout, prefix: Path, template: str) -> str:
    """The template with this layout's addresses and limits filled in."""
    servers = [
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in layout.ports
    ]
    values = {
        "listen": layout.listen,
        "prefix": str(prefix),
        "servers": "\n".join(servers),
        "rate": str(layout.rate),
        "burst": str(layout.burst),
        "connections_per_client": str(layout.connections_per_client),
        "request_timeout": str(round(layout.request_seconds * 1000)),
        "worker_connections": str(layout.worker_connections),
        "worker_files": str(2 * layout.worker_connections),
    }
    rendered = template
    for name, value in values.items():
        rendered = rendered.replace("{{" + name + "}}", value)
    if "{{" in rendered:
        left = rendered[rendered.index("{{") :].split("}}")[0] + "}}"
        raise ServeError(f"the nginx template has a placeholder this script does not fill: {left}")
    return rendered


class LogJoiner:
    """Copies lines from the replicas' outputs into one file (and stdout), each line whole,
    prefixed with its replica: one writer, so no two lines tear each other. The file is
    rotated at `max_bytes` with `LOG_BACKUPS` older ones kept: whatever visitors make the
    replicas log, the logs never take more than (1 + LOG_BACKUPS) × `max_bytes`."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_LOG_MAX_BYTES) -> None:
        self._out = RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
        self._lock = threading.Lock()

    def follow(self, name: str, stream: IO[str]) -> None:
        threading.Thread(target=self._copy, args=(name, stream), daemon=True).start()

    def write(self, name: str, line: str) -> None:
        text = f"[{name}] {line.rstrip()}"
        with self._lock:
            self._out.emit(logging.makeLogRecord({"msg": text}))
            # A closed terminal or pipe must not stop the copying: the file still has it.
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.write(text + "\n")

    def _copy(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self.write(name, line)

    def close(self) -> None:
        self._out.close()


def rotate(path: Path, max_bytes: int) -> bool:
    """`path` moved to `path.1` (`.1` to `.2`, …, `LOG_BACKUPS` kept) once it is larger
    than `max_bytes`; True if it was, and its writer must open it anew (nginx: SIGUSR1)."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    for number in range(LOG_BACKUPS - 1, 0, -1):
        older = path.with_name(f"{path.name}.{number}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{number + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))
    return True


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ready", timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Replicas:
    """The replica processes, started again when one exits."""

    def __init__(self, layout: Layout, logs: LogJoiner) -> None:
        self.layout = layout
        self.logs = logs
        self.processes: dict[int, subprocess.Popen[str]] = {}
        self.stopping = threading.Event()

    def _start(self, number: int) -> None:
        env = child_environment(
            GRADIO_SERVER_NAME="127.0.0.1",
            GRADIO_SERVER_PORT=str(self.layout.ports[number]),
            FAQBOT_TRUSTED_PROXIES="127.0.0.1",
            HF_HUB_OFFLINE="1",
            PYTHONUNBUFFERED="1",
        )
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # Ctrl-C reaches this script, which stops them in order
        )
        assert process.stdout is not None
        self.logs.follow(f"replica {number + 1}", process.stdout)
        self.processes[number] = process

    def start(self) -> None:
        for number in range(self.layout.replicas):
            self._start(number)

    def wait_ready(self, timeout: float, stop: threading.Event) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(range(self.layout.replicas))
        while waiting:
            if stop.is_set():
                raise ServeError("stopped before the replicas were ready")
            for number in list(waiting):
                if self.processes[number].poll() is not None:
                    raise ServeError(f"replica {number + 1} exited; see {RUN_DIR}/replicas.log")
                if _ready(self.layout.ports[number]):
                    waiting.discard(number)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(str(number + 1) for number in sorted(waiting))
                raise ServeError(f"replicas {names} not ready after {timeout:.0f} s")
            time.sleep(0.5)

    def supervise(self) -> None:
        """Start a replica again when it exits, until `stopping` is set."""
        while not self.stopping.wait(1.0):
            for number, process in list(self.processes.items()):
                if process.poll() is not None and not self.stopping.is_set():
                    self.logs.write("serve", f"replica {number + 1} exited ({process.returncode})")
                    time.sleep(RESTART_PAUSE_SECONDS)
                    if not self.stopping.is_set():
                        self._start(number)

    def stop(self) -> None:
        self.stopping.set()
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _kill_group(process)


def _kill_group(process: subprocess.Popen) -> None:
    """Kill a process started in a session of its own and everything it started (nginx's
    workers, an app's build child): killing the leader alone would orphan them."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop_nginx(nginx: subprocess.Popen[bytes]) -> None:
    """Graceful (SIGQUIT: open answers finish), then the whole group after 15 s."""
    if nginx.poll() is None:
        nginx.send_signal(signal.SIGQUIT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            nginx.wait(timeout=15)
    _kill_group(nginx)  # workers outlive a master killed early


def _free(address: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def check_ports(layout: Layout) -> None:
    """Refuse ports something already listens on: readiness would be checked against it,
    and nginx would send visitors to it."""
    host, _, port = layout.listen.rpartition(":")
    taken = [str(p) for p in layout.ports if not _free("127.0.0.1", p)]
    taken += [port] if not _free(host, int(port)) else []
    if taken:
        raise ServeError(f"ports in use: {', '.join(taken)} (another faqbot?); choose others")


def start_nginx(config_path: Path, prefix: Path) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise ServeError("nginx is not installed: apt-get install nginx")
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    command = [nginx, "-p", str(prefix), "-e", str(prefix / "nginx-error.log"), "-c"]
    checked = subprocess.run([*command, str(config_path), "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise ServeError(f"nginx refuses the configuration: {checked.stderr.strip()}")
    return subprocess.Popen(
        [*command, str(config_path), "-g", "daemon off;"], start_new_session=True
    )


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--host", default="127.0.0.1", help="nginx's address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    parser.add_argument("--first-port", type=int, default=7861, help="replica 1's port")
    parser.add_argument("--rate", type=int, default=5, help="questions/s per client (default 5)")
    parser.add_argument("--burst", type=int, default=20, help="questions at once (default 20)")
    parser.add_argument(
        "--worker-connections", type=int, default=DEFAULT_WORKER_CONNECTIONS,
        help=f"nginx's connections per worker (default {DEFAULT_WORKER_CONNECTIONS})",
    )  # fmt: skip
    parser.add_argument("--print-nginx-config", action="store_true", help="print it and stop")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.replicas <= 64:
        parser.error("--replicas must be between 1 and 64")
    if arguments.worker_connections < 512:
        parser.error("--worker-connections must be at least 512")
    return arguments


def serve(layout: Layout, run_dir: Path, settings: ServerSettings) -> None:
    if not index_exists(settings.index_dir):
        raise ServeError(
            f"no index at {settings.index_dir}: replicas never build; run `make index` "
            "(or `python -m index build`) first"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    prefix = run_dir.resolve()
    config_path = prefix / "nginx.conf"
    config_path.write_text(nginx_config(layout, prefix, TEMPLATE.read_text()), encoding="utf-8")
    check_ports(layout)
    logs = LogJoiner(prefix / "replicas.log", settings.log_max_bytes)
    replicas = Replicas(layout, logs)
    nginx: subprocess.Popen[bytes] | None = None
    stop = threading.Event()
    for stopping in (signal.SIGTERM, signal.SIGHUP):  # a closed terminal stops it all too
        signal.signal(stopping, lambda *_: stop.set())
    try:
        replicas.start()
        replicas.wait_ready(READY_SECONDS, stop)
        nginx = start_nginx(config_path, prefix)
        threading.Thread(target=replicas.supervise, daemon=True).start()
        logs.write("serve", f"{layout.replicas} replicas behind http://{layout.listen}/")
        while not stop.wait(1.0):
            if nginx.poll() is not None:
                raise ServeError(f"nginx exited; see {prefix / 'nginx-error.log'}")
            if [name for name in NGINX_LOGS if rotate(prefix / name, settings.log_max_bytes)]:
                nginx.send_signal(signal.SIGUSR1)  # reopen its logs
    except KeyboardInterrupt:
        pass
    except ServeError:
        if not stop.is_set():
            raise
    finally:
        if nginx is not None:
            stop_nginx(nginx)
        replicas.stop()
        logs.close()


def main(argv: Sequence[str] | None = None) -> None:
    arguments = _arguments(argv)
    try:
        settings = ServerSettings()
        layout = Layout(
            arguments.replicas,
            f"{arguments.host}:{arguments.port}",
            arguments.first_port,
            arguments.rate,
            arguments.burst,
            settings.connections_per_client,
            settings.request_timeout_seconds,
            arguments.worker_connections,
        )
        if arguments.print_nginx_config:
            print(nginx_config(layout, RUN_DIR.resolve(), TEMPLATE.read_text()), end="")
            return
        serve(layout, RUN_DIR, settings)
    except (ServeError, SettingsError) as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
