"""`sasar up` for real: started from another directory on chosen ports, ready only when its own processes
answer, and stopping everything when one of them dies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sasar.ports import COMPONENT_ORDER, port_holders, port_is_free

pytestmark = pytest.mark.e2e


def _free_base_port() -> int:
    for _ in range(200):
        base = random.randrange(20000, 60000)
        if all(port_is_free("127.0.0.1", base + offset) for offset in range(len(COMPONENT_ORDER))):
            return base
    raise RuntimeError("no five free ports in a row")


def _wait_for_text(path: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content:
            return content
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not printed: {path.read_text(errors='replace')[-3000:]}")


def test_up_from_another_directory_on_a_base_port_and_stop_when_a_component_dies(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    base = _free_base_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update({"SASAR_HOME": str(home), "SASAR_LOG_LEVEL": "WARNING"})
    sasar = Path(sys.executable).with_name("sasar")
    out, err = tmp_path / "up.out", tmp_path / "up.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        up = subprocess.Popen(
            [str(sasar), "up", "--base-port", str(base)], cwd=elsewhere, env=env, stdout=stdout, stderr=stderr
        )
    try:
        printed = _wait_for_text(out, "Sasar is ready.", up, timeout=180)
        assert f"gateway   http://127.0.0.1:{base}" in printed
        assert f"webhooks http://127.0.0.1:{base + 4}" in printed
        gateway = f"http://127.0.0.1:{base}"
        ready = httpx.get(gateway + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert httpx.get(gateway + "/v1/areas/33.75", timeout=10).json()["name"] == "Kota Pekalongan"
        assert (home / "var" / "registry.db").is_file()
        assert list(elsewhere.iterdir()) == []  # nothing written where it was started

        (registry,) = port_holders(base + 1)
        os.kill(registry.pid, signal.SIGKILL)
        assert up.wait(timeout=60) == 1
        assert "registry exited; stopping the others" in err.read_text(errors="replace")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(
            port_is_free("127.0.0.1", base + offset) for offset in range(len(COMPONENT_ORDER))
        ):
            time.sleep(0.2)
        assert all(port_is_free("127.0.0.1", base + offset) for offset in range(len(COMPONENT_ORDER)))
    finally:
        if up.poll() is None:
            up.terminate()
            up.wait(timeout=30)
