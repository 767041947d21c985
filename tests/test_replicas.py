"""Replicas over one index: each follows the index link by itself (`BotService.refresh`),
never mixes versions in one answer, and nginx (`deploy/nginx.conf.template`, rendered by
`replicas.py`) balances them; the end-to-end run puts 3 replicas behind nginx under load
while a new version is published."""

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bench.replicas import Askers, free_ports, replicas_behind_nginx
from bench.serve import chat_turn
from bot.pipeline import WARM_UP_QUESTION
from conftest import REPO, write_file
from held_connections import HELD, VISITORS, visit_while_held
from index import build, load_index
from replicas import (
    TEMPLATE,
    Layout,
    LogJoiner,
    ServeError,
    check_ports,
    nginx_config,
    rotate,
    start_nginx,
    stop_nginx,
)
from web.service import BotService, link_target

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
NEEDS_NGINX = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run installs it)"
)
KANTINE = "Kantine\n\nDie Kantine im Erdgeschoss öffnet um {hour} Uhr und schließt um 15 Uhr.\n"


def passage_ids(index_dir: Path) -> set[str]:
    return {passage.passage_id for passage in load_index(index_dir).passages}


@pytest.fixture
def replica_pair(small_corpus, tmp_path, fake_embedder, fake_settings):
    """Two services over one index, as two replicas would be; the builder is outside both."""
    build(small_corpus, tmp_path / "index", embedder=fake_embedder)

    def replica() -> BotService:
        service = BotService(
            tmp_path / "index", small_corpus, embedder=fake_embedder, settings=fake_settings
        )
        assert service.warm_up()
        return service

    return replica(), replica()


def publish(data: Path, index_dir: Path, embedder, hour: int) -> str:
    """A new index version with the canteen opening at `hour`; returns its version."""
    write_file(data / "kantine.txt", KANTINE.format(hour=hour))
    build(data, index_dir, embedder=embedder)
    return link_target(index_dir)


def test_a_replica_serves_a_version_built_elsewhere_after_refresh(
    replica_pair, small_corpus, tmp_path, fake_embedder
):
    first, second = replica_pair
    old = first.status().version
    assert old and old == second.status().version
    new = publish(small_corpus, tmp_path / "index", fake_embedder, hour=7)
    assert new != old
    assert first.status().version == old  # nothing changes until it looks
    assert first.refresh() and second.refresh()
    assert first.status().version == second.status().version == new
    assert first.ready and second.ready
    reply, version = first.versioned_answer("Wann öffnet die Kantine?")
    assert version == new and "7 Uhr" in reply.text
    assert not first.refresh()  # the same version: nothing to do


def test_a_replica_started_before_the_first_build_waits_for_it(
    small_corpus, tmp_path, fake_embedder, fake_settings
):
    service = BotService(
        tmp_path / "index", small_corpus, embedder=fake_embedder, settings=fake_settings
    )
    assert service.serving is None and not service.refresh()
    build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    assert service.refresh() and service.ready
    assert service.status().version == link_target(tmp_path / "index")


def test_a_version_that_cannot_be_loaded_leaves_the_old_one_in_service(
    replica_pair, small_corpus, tmp_path, fake_embedder
):
    replica, _ = replica_pair
    old = replica.status().version
    publish(small_corpus, tmp_path / "index", fake_embedder, hour=8)
    (tmp_path / "index" / "passages.jsonl").write_text("kaputt\n")
    assert not replica.refresh()
    assert replica.status().version == old and replica.ready
    assert replica.answer("Was ist Arctic Sentry?").answered


def test_an_older_version_never_replaces_a_newer_one(
    replica_pair, small_corpus, tmp_path, fake_embedder, monkeypatch
):
    """The link moves on while a replica loads a version: that version is not swapped in,
    and the next refresh serves the newest."""
    replica, _ = replica_pair
    index_dir = tmp_path / "index"
    middle = publish(small_corpus, index_dir, fake_embedder, hour=9)
    real_load = BotService._serving_of
    newest: list[str] = []

    def load_then_publish_again(self, model):
        loaded = real_load(self, model)
        if not newest:
            newest.append(publish(small_corpus, index_dir, fake_embedder, hour=10))
        return loaded

    monkeypatch.setattr(BotService, "_serving_of", load_then_publish_again)
    assert not replica.refresh()
    assert replica.status().version not in (middle, "")
    monkeypatch.undo()
    assert replica.refresh() and replica.status().version == newest[0]
    assert "10 Uhr" in replica.answer("Wann öffnet die Kantine?").text


def test_answers_during_refreshes_never_mix_versions(
    replica_pair, small_corpus, tmp_path, fake_embedder
):
    replica, _ = replica_pair
    index_dir = tmp_path / "index"
    ids = {link_target(index_dir): passage_ids(index_dir)}
    stop, seen, problems = threading.Event(), [], []

    def ask() -> None:
        while not stop.is_set():
            reply, version = replica.versioned_answer("Wann öffnet die Kantine im Erdgeschoss?")
            seen.append((version, {hit.passage_id for hit in reply.citations}))

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for asker in askers:
        asker.start()
    try:
        for hour in (6, 7, 8, 9):
            version = publish(small_corpus, index_dir, fake_embedder, hour=hour)
            ids[version] = passage_ids(index_dir)
            assert replica.refresh()
    finally:
        stop.set()
        for asker in askers:
            asker.join(30)
    for version, cited in seen:
        if not cited <= ids[version]:
            problems.append((version, cited - ids[version]))
    assert len({version for version, _ in seen}) >= 3 and not problems


def test_a_bot_whose_warm_up_failed_is_warmed_by_the_next_refresh(replica_pair, monkeypatch):
    replica, _ = replica_pair
    monkeypatch.setattr(replica, "_serving", replace(replica.serving, warm=False))
    assert not replica.ready
    assert not replica.refresh()  # nothing new to serve …
    assert replica.ready  # … but the bot in service is warm now


def test_following_picks_up_a_new_version_by_itself(
    replica_pair, small_corpus, tmp_path, fake_embedder
):
    replica, _ = replica_pair
    stop = threading.Event()
    follower = threading.Thread(target=replica.follow, args=(0.05, stop), daemon=True)
    follower.start()
    try:
        new = publish(small_corpus, tmp_path / "index", fake_embedder, hour=11)
        deadline = time.monotonic() + 20
        while replica.status().version != new and time.monotonic() < deadline:
            time.sleep(0.05)
        assert replica.status().version == new
    finally:
        stop.set()
        follower.join(10)


def test_warming_up_is_not_counted_as_an_answer(
    replica_pair, small_corpus, tmp_path, fake_embedder
):
    replica, _ = replica_pair
    seen = []
    replica.answer_listeners.append(seen.append)
    publish(small_corpus, tmp_path / "index", fake_embedder, hour=12)
    assert replica.warm_up() and replica.refresh() and seen == []
    replica.answer(WARM_UP_QUESTION)
    assert len(seen) == 1


# ---------------------------------------------------------------- the nginx configuration


def test_the_nginx_configuration_names_every_replica_and_fills_every_placeholder(tmp_path):
    layout = Layout(
        replicas=3, listen="127.0.0.1:9000", first_port=9101, rate=7, burst=11,
        connections_per_client=5, request_seconds=2.5, worker_connections=4096,
    )  # fmt: skip
    rendered = nginx_config(layout, tmp_path, TEMPLATE.read_text())
    assert "{{" not in rendered and "listen 127.0.0.1:9000;" in rendered
    for port in (9101, 9102, 9103):
        assert rendered.count(f"server 127.0.0.1:{port} ") == 2  # chat and API upstreams
    assert "rate=7r/s" in rendered and "burst=11" in rendered
    assert "limit_conn connections 5;" in rendered
    assert "client_header_timeout 2500ms;" in rendered
    assert "client_body_timeout 2500ms;" in rendered
    assert "worker_connections 4096;" in rendered and "worker_rlimit_nofile 8192;" in rendered
    assert f"pid {tmp_path}/nginx.pid;" in rendered
    with pytest.raises(ServeError, match="does not fill"):
        nginx_config(layout, tmp_path, "listen {{nowhere}};")


def test_ports_in_use_are_refused_before_anything_starts():
    first = free_ports(3)
    layout = Layout(replicas=2, listen=f"127.0.0.1:{first}", first_port=first + 1, rate=1, burst=1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first + 2))
        taken.listen()
        with pytest.raises(ServeError, match=f"ports in use: {first + 2}"):
            check_ports(layout)
    check_ports(layout)  # free again


def test_the_joined_log_keeps_every_line_when_the_terminal_is_gone(tmp_path, monkeypatch):
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    logs = LogJoiner(tmp_path / "replicas.log")
    lines = io.StringIO("".join(f"Zeile {n}\n" for n in range(1000)))
    logs.follow("replica 1", lines)
    deadline = time.monotonic() + 10
    while (tmp_path / "replicas.log").read_text().count("\n") < 1000:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    logs.close()
    written = (tmp_path / "replicas.log").read_text().splitlines()
    assert written[0] == "[replica 1] Zeile 0" and written[-1] == "[replica 1] Zeile 999"


def test_the_joined_log_is_rotated_at_its_cap(tmp_path):
    """A visitor who makes the replicas log (before: 3.5 MB from 400 requests) fills at most
    the file and its three older copies."""
    logs = LogJoiner(tmp_path / "replicas.log", max_bytes=10_000)
    for number in range(2_000):
        logs.write("replica 1", f"Zeile {number} " + "x" * 80)
    logs.close()
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == ["replicas.log", "replicas.log.1", "replicas.log.2", "replicas.log.3"]
    assert all((tmp_path / name).stat().st_size <= 10_000 for name in files)
    last = (tmp_path / "replicas.log").read_text().splitlines()[-1]
    assert last.startswith("[replica 1] Zeile 1999 ")


def test_a_log_beyond_its_cap_is_moved_aside_and_three_older_ones_kept(tmp_path):
    log = tmp_path / "nginx-access.log"
    assert not rotate(log, 100)  # none yet
    for generation in range(5):
        log.write_text(f"{generation}\n" * 60)
        assert rotate(log, 100) and not log.exists()
    kept = {path.name: path.read_text()[0] for path in tmp_path.iterdir()}
    assert kept == {"nginx-access.log.1": "4", "nginx-access.log.2": "3", "nginx-access.log.3": "2"}
    log.write_text("klein\n")
    assert not rotate(log, 100)


class _Echo(BaseHTTPRequestHandler):
    """A stand-in replica: answers every request with the headers it received."""

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def nginx_before_echoes(tmp_path) -> Iterator[str]:
    """nginx with the rendered configuration in front of two stand-in replicas, at most
    one question per second and client with a burst of 2; yields nginx's URL."""
    first = free_ports(3)
    echoes = [ThreadingHTTPServer(("127.0.0.1", first + n), _Echo) for n in (1, 2)]
    for echo in echoes:
        threading.Thread(target=echo.serve_forever, daemon=True).start()
    layout = Layout(replicas=2, listen=f"127.0.0.1:{first}", first_port=first + 1, rate=1, burst=2)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(nginx_config(layout, prefix, TEMPLATE.read_text()))
    nginx = start_nginx(prefix / "nginx.conf", prefix)
    url = f"http://127.0.0.1:{first}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        stop_nginx(nginx)
        for echo in echoes:
            echo.shutdown()
            echo.server_close()


@NEEDS_NGINX
def test_nginx_limits_questions_per_client_and_passes_the_real_address(nginx_before_echoes):
    url = nginx_before_echoes
    with httpx.Client(timeout=10) as client:
        forged = client.get(f"{url}/", headers={"X-Forwarded-For": "10.9.8.7"}).json()
        assert forged["headers"]["X-Forwarded-For"] == "127.0.0.1"  # overwritten, not appended
        pages = [client.get(f"{url}/assets/x.js").status_code for _ in range(10)]
        assert pages == [200] * 10  # page loads are not limited
        assert client.get(f"{url}/metrics").status_code == 404  # scraped per replica


@NEEDS_NGINX
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/answer"),
        ("POST", "/gradio_api/queue/join"),
        ("GET", "/gradio_api/queue/data?session_hash=unbekannt"),
        ("GET", "/quelle/bmF0bw"),
    ],
)
def test_nginx_limits_questions_streams_and_source_pages_per_client(
    nginx_before_echoes, method, path
):
    with httpx.Client(timeout=10) as client:
        asked = [
            client.request(method, f"{nginx_before_echoes}{path}").status_code for _ in range(10)
        ]
    assert asked[:3] == [200, 200, 200] and asked.count(429) >= 5


@NEEDS_NGINX
@pytest.mark.model
def test_twenty_visitors_are_served_through_nginx_while_one_client_holds_1100_connections(
    seed_index, tmp_path
):
    """Before: 1,100 unfinished requests took nginx's 1,024 worker connections ("1024
    worker_connections are not enough"), and every other client failed for about 55 s."""
    environment = {
        **os.environ, "FAQBOT_INDEX_DIR": str(seed_index), "FAQBOT_DATA_DIR": str(REPO / "data"),
        "FAQBOT_LOG_DIR": str(tmp_path / "logs"), "HF_HUB_OFFLINE": "1",
    }  # fmt: skip
    first = free_ports(2)
    with replicas_behind_nginx(tmp_path, environment, 1, first) as url:
        holder, visitors = visit_while_held(url, first)
    assert visitors.errors == []
    assert holder.opened >= HELD and holder.closed_by_server > 0
    assert visitors.answers >= VISITORS and visitors.health_checks >= VISITORS


# ---------------------------------------------------------------- 3 replicas under load

LOAD_CLIENTS = 20
LOAD_SECONDS = 60
PICKUP_SECONDS = 30.0
"""Every replica must serve a new version within this time after the build (README: the
follow interval of 2 s, plus loading and warming the index; seconds on an idle machine)."""
QUESTIONS = (
    "Wann öffnet die Kantine im Erdgeschoss?",
    "Wer führt die Mission Arctic Sentry?",
    "Was ist NATO 3.0?",
    "Welche Länder überschreiten das Ziel von 3,5 %?",
)


def _status_version(port: int) -> str:
    status = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=10).json()
    return status["index"]["version"] if status["index"] else ""


def _build(environment: dict[str, str]) -> None:
    """`python -m index build` as the operator runs it, with the faster bundled model (three
    replicas and a build share 2 cores)."""
    subprocess.run(
        [sys.executable, "-m", "index", "build", "--model", "use-multilingual-v3"],
        env=environment, cwd=REPO, check=True, capture_output=True, timeout=600,
    )  # fmt: skip


def _pickup_seconds(ports: list[int], version: str, since: float) -> dict[int, float]:
    """Seconds after `since` at which each replica reported `version`, within the bound."""
    picked_up: dict[int, float] = {}
    while len(picked_up) < len(ports) and time.monotonic() - since < PICKUP_SECONDS:
        for port in ports:
            if port not in picked_up and _status_version(port) == version:
                picked_up[port] = time.monotonic() - since
        time.sleep(0.2)
    return picked_up


@NEEDS_NGINX
@pytest.mark.model
def test_three_replicas_behind_nginx_serve_twenty_clients_through_a_new_version(tmp_path):
    """The chat answers through nginx; then 20 clients ask through nginx for 60 s while
    `python -m index build` publishes a new version: no errors, every replica serves the new
    version within `PICKUP_SECONDS`, and every answer cites passages of the one version it
    names (`X-Index-Version`)."""
    data, index_dir = tmp_path / "data", tmp_path / "index"
    shutil.copytree(REPO / "data", data)
    write_file(data / "kantine.txt", KANTINE.format(hour=7))
    environment = {
        **os.environ, "FAQBOT_DATA_DIR": str(data), "FAQBOT_INDEX_DIR": str(index_dir),
        "FAQBOT_LOG_DIR": str(tmp_path / "logs"), "HF_HUB_OFFLINE": "1",
    }  # fmt: skip
    _build(environment)
    ids = {link_target(index_dir): passage_ids(index_dir)}
    first = free_ports(4)
    ports = [first + 1, first + 2, first + 3]
    with replicas_behind_nginx(tmp_path, environment, 3, first) as url:
        with httpx.Client(timeout=120) as http:  # the chat's own protocol, streamed by nginx
            _, (history, *_) = chat_turn(http, f"{url}/", QUESTIONS[1], uuid.uuid4().hex)
        assert "Joint Force Command Norfolk" in json.dumps(history, ensure_ascii=False)
        with Askers(url, LOAD_CLIENTS, QUESTIONS) as askers:
            started = time.monotonic()
            time.sleep(LOAD_SECONDS / 4)
            write_file(data / "kantine.txt", KANTINE.format(hour=8))
            _build(environment)
            built, new = time.monotonic(), link_target(index_dir)
            ids[new] = passage_ids(index_dir)
            picked_up = _pickup_seconds(ports, new, built)
            all_new = built + max(picked_up.values(), default=PICKUP_SECONDS)
            remaining = LOAD_SECONDS - (time.monotonic() - started)
            time.sleep(max(remaining, all_new + 5 - time.monotonic()))
    assert askers.errors == []
    assert sorted(picked_up) == ports, picked_up
    results = askers.results
    mixed = [(a.version, a.cited) for a in results if not a.cited <= ids[a.version]]
    assert mixed == []
    assert {asked.version for asked in results} == set(ids)
    # A question sent before the switch may wait in a busy replica's queue for seconds and
    # still be answered by the old version: only questions sent after it must get the new one.
    assert {asked.version for asked in results if asked.sent > all_new} == {new}
