"""Schemathesis over the merged OpenAPI document with each kind of principal - anonymous and an internal
client with every scope here, a village key and an assigned officer in ``test_robustness_tenants`` (a file
of their own, so the two test workers share the runs) - on SQLite and PostgreSQL: no 5xx, and every answer
matches its schema. A fixed seed keeps a failure reproducible (``SASAR_FUZZ_SEED``); ``make fuzz`` runs
the same with more examples."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.system import RunningSystem
from tests.support import ALL_SCOPES

pytestmark = pytest.mark.e2e

CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance"


def examples(default: int) -> int:
    return int(os.environ.get("SASAR_FUZZ_EXAMPLES", default))


def run_schemathesis(
    system: RunningSystem, *extra: str, max_examples: int = 25
) -> subprocess.CompletedProcess[str]:
    max_examples = examples(max_examples)
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", system.gateway + "/openapi.json",
        "--checks", CHECKS, "--max-examples", str(max_examples), "--phases", "examples,coverage,fuzzing",
        "--seed", os.environ.get("SASAR_FUZZ_SEED", "20261125"), "--workers", "1", *extra,
    ]  # fmt: skip
    # Run elsewhere: schemathesis and hypothesis keep .schemathesis/ and .hypothesis/ in the current
    # directory, which is the clone under `make test`.
    with tempfile.TemporaryDirectory(prefix="sasar-fuzz-") as scratch:
        return subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False, cwd=scratch)


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "Failures:" not in result.stdout


def test_every_operation_survives_fuzzing_by_an_all_scopes_client(system: RunningSystem) -> None:
    scopes = [arg for scope in ALL_SCOPES for arg in ("--scope", scope)]
    client = system.cli_json("keys", "create-client", "fuzzer", *scopes)
    token = httpx.post(
        system.gateway + "/v1/auth/token",
        data={"grant_type": "client_credentials", **client},
        timeout=10,
    ).json()["access_token"]
    assert_clean(run_schemathesis(system, "-H", f"Authorization: Bearer {token}"))


def test_public_operations_survive_fuzzing(system: RunningSystem) -> None:
    assert_clean(run_schemathesis(system))
