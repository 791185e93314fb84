"""Schemathesis over the merged OpenAPI document as a village key and as an assigned officer (see
``test_robustness``)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from tests.e2e.system import E2E_TODAY, RunningSystem
from tests.e2e.test_robustness import assert_clean, run_schemathesis

pytestmark = pytest.mark.e2e


def test_every_operation_survives_fuzzing_by_a_village_key(system: RunningSystem) -> None:
    key = system.cli_json("keys", "create-village", system.fresh_village())["key"]
    assert_clean(run_schemathesis(system, "-H", f"Authorization: Bearer {key}"))


def test_every_operation_survives_fuzzing_by_an_officer(system: RunningSystem) -> None:
    admin = system.cli_json("keys", "create-client", "fuzz desk", "--scope", "outreach:admin")
    admin_token = httpx.post(
        system.gateway + "/v1/auth/token", data={"grant_type": "client_credentials", **admin}, timeout=10
    ).json()["access_token"]
    nrp = f"{uuid.uuid4().int % 10**8:08d}"
    officer = httpx.post(
        system.gateway + "/v1/officers",
        json={"nrp": nrp, "name": "Bripka Fuzz", "rank": "Bripka", "unit": "Polsek Wonokerto"},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    )
    assert officer.status_code == 201, officer.text
    assigned = httpx.post(
        f"{system.gateway}/v1/officers/{officer.json()['id']}/assignments",
        json={
            "village_code": system.fresh_village(),
            "valid_from": min(dt.date.fromisoformat(E2E_TODAY), dt.date.today()).isoformat(),
        },
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    )
    assert assigned.status_code == 201, assigned.text
    password = system.cli_json("keys", "set-officer-password", nrp)["password"]
    token = httpx.post(
        system.gateway + "/v1/auth/token",
        data={"grant_type": "password", "username": nrp, "password": password},
        timeout=10,
    ).json()["access_token"]
    assert_clean(run_schemathesis(system, "-H", f"Authorization: Bearer {token}"))
