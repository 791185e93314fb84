"""`sasar up` without starting the system: its ports, its refusals, and whom it believes is ready."""

from __future__ import annotations

import errno
import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from sasar import ports
from sasar.cli import answers_as, app, child_environment, wait_until_ready
from sasar.ports import PortPlanError, busy_port_report, port_holders, port_plan
from services.common.health import INSTANCE_HEADER, INSTANCE_TOKEN_ENV, health_router
from services.common.settings import PROJECT_ROOT, anchor_sqlite_url, state_home
from tests.support import live_server


def test_base_port_maps_each_component_in_order() -> None:
    assert port_plan(9100) == {
        "gateway": 9100,
        "registry": 9101,
        "funding": 9102,
        "outreach": 9103,
        "webhooks": 9104,
    }
    assert port_plan(8000, {"funding": 9902, "gateway": None})["funding"] == 9902
    assert port_plan(8000)["gateway"] == 8000


@pytest.mark.parametrize(
    ("base", "overrides", "message"),
    [
        (8000, {"gateway": 8003}, "8003 (gateway and outreach)"),
        (65534, {}, "outside 1-65535"),
    ],
)
def test_port_plans_that_cannot_work_are_refused(base: int, overrides: dict[str, int], message: str) -> None:
    with pytest.raises(PortPlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        port_plan(base, overrides)  # type: ignore[arg-type]


def test_up_refuses_a_port_clash_before_anything_starts() -> None:
    result = CliRunner().invoke(app, ["up", "--base-port", "9000", "--webhooks-port", "9000", "--skip-setup"])
    assert result.exit_code == 2
    assert "the same port for two components: 9000 (gateway and webhooks)" in result.output


def test_the_gateway_and_the_rest_are_told_the_chosen_ports() -> None:
    plan = port_plan(9100, {"outreach": 9555})
    exported = {"SASAR_GATEWAY_REGISTRY_URL": "http://elsewhere:8001", "PATH": "/bin"}
    env = child_environment(exported, "0.0.0.0", plan)
    assert env["SASAR_GATEWAY_REGISTRY_URL"] == "http://127.0.0.1:9101"  # ours, not what the shell had
    assert env["SASAR_GATEWAY_FUNDING_URL"] == "http://127.0.0.1:9102"
    assert env["SASAR_GATEWAY_OUTREACH_URL"] == "http://127.0.0.1:9555"
    assert env["SASAR_GATEWAY_WEBHOOKS_URL"] == "http://127.0.0.1:9104"
    assert env["SASAR_RELAY_OUTREACH_URL"] == "http://127.0.0.1:9555"
    assert env["SASAR_RELAY_WEBHOOKS_URL"] == "http://127.0.0.1:9104"
    assert env["SASAR_FUNDING_REGISTRY_URL"] == env["SASAR_OUTREACH_REGISTRY_URL"] == "http://127.0.0.1:9101"
    assert env["SASAR_REGISTRY_OUTREACH_URL"] == "http://127.0.0.1:9555"
    assert env["SASAR_PUBLIC_BASE_URL"] == "http://127.0.0.1:9100"  # problem types name this gateway
    assert env["PATH"] == "/bin"
    assert "SASAR_PUBLIC_BASE_URL" not in child_environment({}, "127.0.0.1", port_plan(8000))


@contextmanager
def _listening() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_busy_port_is_refused_naming_the_component_and_who_holds_it() -> None:
    with _listening() as port:
        result = CliRunner().invoke(
            app, ["up", "--skip-setup", "--base-port", "9000", "--funding-port", str(port)]
        )
    assert result.exit_code == 3, result.output
    (line,) = [line for line in result.output.splitlines() if f"port {port} " in line]
    assert f"port {port} (funding) is in use by pid {os.getpid()}: " in line
    assert sys.executable.rsplit("/", 1)[-1] in line  # the holder's command line
    assert f"kill {os.getpid()}" in line  # and how to stop it
    assert "--base-port" in result.output


def test_a_holder_that_cannot_be_seen_is_still_named_by_port(tmp_path: Path) -> None:
    with _listening() as port:
        (line,) = busy_port_report("127.0.0.1", {"registry": port}, proc=tmp_path)
        assert port_holders(port) != []  # the real /proc does show it
    assert line.startswith(f"port {port} (registry) is in use by a process this user cannot see")
    assert f":{port}" in line.split(";", 1)[1]


def test_a_privileged_port_is_refused_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(host: str, port: int) -> bool:
        # What bind() raises for a port below 1024 without privileges (the tests may run as root).
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(ports, "port_is_free", refused)
    (line,) = busy_port_report("127.0.0.1", {"gateway": 80})
    assert line == "port 80 (gateway) may not be bound by this user (below 1024 needs privileges)"


def _health_app(token: str | None, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    if token is None:
        monkeypatch.delenv(INSTANCE_TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(INSTANCE_TOKEN_ENV, token)
    application = FastAPI()
    application.include_router(health_router("registry"))
    return application


def test_a_process_proves_it_is_the_one_started_with_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    with live_server(_health_app("token-of-this-start", monkeypatch)) as url:
        assert answers_as(url, "token-of-this-start")
        assert not answers_as(url, "token-of-another-start")
    with live_server(_health_app(None, monkeypatch)) as url:
        assert not answers_as(url, "")  # started some other way: it proves nothing
        assert not answers_as(url, "token-of-this-start")


class _Impostor(http.server.BaseHTTPRequestHandler):
    """Any program on the port that answers 200 to everything, /readyz included."""

    def do_GET(self) -> None:
        body = b'{"status": "ready"}'
        self.send_response(200)
        self.send_header(INSTANCE_HEADER, "guess")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _child(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code])


def test_another_program_on_the_port_never_makes_up_say_ready(impostor: str) -> None:
    child = _child("import time; time.sleep(30)")
    try:
        reason = wait_until_ready({"gateway": (impostor, "our-token")}, {"gateway": child}, timeout=1.5)
    finally:
        child.kill()
        child.wait()
    assert reason is not None
    assert f"no answer from the process started for gateway ({impostor})" in reason
    assert "not the process `sasar up` started" in reason


def test_a_child_that_exits_early_is_named(impostor: str) -> None:
    quitter = _child("raise SystemExit(3)")
    quitter.wait()
    reason = wait_until_ready({"gateway": (impostor, "our-token")}, {"funding": quitter}, timeout=30)
    assert reason == "funding exited (code 3) before the system was ready"


def test_local_state_resolves_against_the_project_or_sasar_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SASAR_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert state_home() == PROJECT_ROOT
    assert anchor_sqlite_url("sqlite:///var/registry.db") == f"sqlite:///{PROJECT_ROOT}/var/registry.db"
    monkeypatch.setenv("SASAR_HOME", str(tmp_path / "home"))
    assert anchor_sqlite_url("sqlite:///var/registry.db") == f"sqlite:///{tmp_path}/home/var/registry.db"
    for unchanged in ("sqlite://", "sqlite:///:memory:", "sqlite:////srv/x.db", "postgresql://u:p@h/db"):
        assert anchor_sqlite_url(unchanged) == unchanged


def test_the_cli_keeps_its_databases_under_sasar_home_from_any_directory(tmp_path: Path) -> None:
    elsewhere, home = tmp_path / "elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env["SASAR_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "sasar.cli", "migrate", "-c", "gateway"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (home / "var" / "gateway.db").is_file()
    assert list(elsewhere.iterdir()) == []
