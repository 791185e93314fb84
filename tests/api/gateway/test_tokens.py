"""POST /v1/auth/token: officer password grant, client credentials, refresh rotation, lockout."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import jwt
from fastapi.testclient import TestClient

from gateway import credentials
from tests.api.gateway.conftest import VILLAGE_A, VILLAGE_B, FakeOutreach, Store, bearer, client_token
from tests.api.gateway.test_tenancy import assert_problem, officer_login

NRP = "87654321"


def password_grant(gateway: TestClient, password: str, nrp: str = NRP) -> object:
    return gateway.post(
        "/v1/auth/token", data={"grant_type": "password", "username": nrp, "password": password}
    )


def test_access_token_claims(gateway: TestClient, store: Store, fake_outreach: FakeOutreach) -> None:
    tokens = officer_login(gateway, store, fake_outreach, [VILLAGE_A])
    settings = gateway.app.state.settings  # type: ignore[attr-defined]
    claims = jwt.decode(
        tokens["access_token"],
        settings.jwt_secret.get_secret_value(),
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["kind"] == "officer"
    assert claims["sub"] == "42"
    assert claims["nrp"] == NRP
    assert claims["villages"] == [VILLAGE_A]
    assert tokens["refresh_token"].startswith("rt_")


def test_refresh_rotates_and_reuse_revokes_the_family(
    gateway: TestClient, store: Store, fake_outreach: FakeOutreach
) -> None:
    first = officer_login(gateway, store, fake_outreach, [VILLAGE_A])
    # Assignments changed since login: the refreshed token reflects today's villages.
    fake_outreach.officers[NRP]["villages"] = [VILLAGE_B]
    response = gateway.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    seen = gateway.get("/v1/me", headers=bearer(second["access_token"])).json()["principal"]
    assert seen["villages"] == [VILLAGE_B]
    # Replaying the spent token (as a thief would) is refused and kills the newer one too.
    replay = gateway.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert assert_problem(replay, 400)["error"] == "invalid_grant"
    again = gateway.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    )
    assert assert_problem(again, 400)["error"] == "invalid_grant"
    unknown = gateway.post("/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": "rt_nope"})
    assert assert_problem(unknown, 400)["error"] == "invalid_grant"


def test_wrong_password_unknown_nrp_and_lockout(
    gateway_factory: Callable[..., TestClient], store: Store, fake_outreach: FakeOutreach
) -> None:
    gateway = gateway_factory(login_failure_delay_seconds=0)
    officer_login(gateway, store, fake_outreach, [VILLAGE_A])
    assert assert_problem(password_grant(gateway, "wrong", nrp="abc"), 400)["error"] == "invalid_grant"
    # A real NRP and an unknown one get the same answers, lockout included: nothing reveals which exists.
    for nrp in (NRP, "11112222"):
        for _ in range(5):
            wrong = password_grant(gateway, "wrong password", nrp=nrp)
            assert assert_problem(wrong, 400)["detail"] == "wrong NRP or password"
        locked = password_grant(gateway, "correct horse battery", nrp=nrp)
        assert assert_problem(locked, 400)["detail"] == (
            "too many failed logins from this address; wait before trying again"
        )
        assert int(locked.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    # The lock is per (NRP, address): the officer, elsewhere, still logs in.
    with TestClient(gateway.app, client=("10.20.30.40", 50000)) as elsewhere:
        response = elsewhere.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": NRP, "password": "correct horse battery"},
        )
    assert response.status_code == 200, response.text


def test_failed_logins_are_answered_ever_more_slowly(
    gateway_factory: Callable[..., TestClient], store: Store
) -> None:
    gateway = gateway_factory(login_failure_delay_seconds=0.4, login_failure_delay_max_seconds=1.6)
    elapsed = []
    for _ in range(3):
        started = time.perf_counter()
        assert_problem(password_grant(gateway, "wrong password", nrp="30000001"), 400)
        elapsed.append(time.perf_counter() - started)
    assert elapsed[0] >= 0.4
    assert elapsed[2] - elapsed[0] >= 0.8  # 0.4 s, 0.8 s, 1.6 s: the delay doubles per failure


def test_login_limits_apply_before_hashing(
    gateway_factory: Callable[..., TestClient], store: Store, fake_outreach: FakeOutreach
) -> None:
    gateway = gateway_factory(rate_limit_login_address="3/hour", login_failure_delay_seconds=0)
    for nrp in ("10000001", "10000002", "10000003"):  # spraying random NRPs from one address
        assert_problem(password_grant(gateway, "wrong password", nrp=nrp), 400)
    started = time.perf_counter()
    refused = password_grant(gateway, "wrong password", nrp="10000004")
    assert_problem(refused, 429)
    assert time.perf_counter() - started < 0.25  # refused before argon2 (~0.5 s here) runs
    # The overall limit bounds hashing however many addresses take part.
    overall = gateway_factory(rate_limit_login_global="2/hour", login_failure_delay_seconds=0)
    callers = [TestClient(overall.app, client=(f"10.0.0.{i}", 40000)) for i in range(3)]
    answers = [
        caller.post(
            "/v1/auth/token", data={"grant_type": "password", "username": "20000001", "password": "x"}
        )
        for caller in callers
    ]
    assert [a.status_code for a in answers] == [400, 400, 429]


def test_officer_unknown_to_outreach_gets_no_token(gateway: TestClient, store: Store) -> None:
    store(lambda s: credentials.set_officer_password(s, "22223333", "a long password here"))
    body = assert_problem(password_grant(gateway, "a long password here", nrp="22223333"), 400)
    assert body["error"] == "invalid_grant"


def test_outreach_down_is_503(gateway_factory: Callable[..., TestClient], store: Store) -> None:
    gateway = gateway_factory(outreach_url="http://127.0.0.1:9", connect_timeout_seconds=0.5)
    store(lambda s: credentials.set_officer_password(s, NRP, "correct horse battery"))
    assert_problem(password_grant(gateway, "correct horse battery"), 503)


def test_client_credentials(gateway: TestClient, store: Store) -> None:
    issued = store(lambda s: credentials.create_client(s, "dashboard", ["reports:read", "registry:read"]))
    form = {
        "grant_type": "client_credentials",
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
    }
    response = gateway.post("/v1/auth/token", data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "registry:read reports:read"
    assert "refresh_token" not in body
    seen = gateway.get("/v1/workers", headers=bearer(body["access_token"])).json()["principal"]
    assert seen == {
        "kind": "internal",
        "subject": issued.client_id,
        "villages": [],
        "scopes": ["registry:read", "reports:read"],
    }

    narrowed = gateway.post("/v1/auth/token", data={**form, "scope": "reports:read"}).json()
    assert narrowed["scope"] == "reports:read"
    wider = gateway.post("/v1/auth/token", data={**form, "scope": "keys:admin"})
    assert assert_problem(wider, 400)["error"] == "invalid_scope"

    basic = base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode()
    via_basic = gateway.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert via_basic.status_code == 200

    wrong = gateway.post("/v1/auth/token", data={**form, "client_secret": "cs_wrong"})
    assert assert_problem(wrong, 401)["error"] == "invalid_client"
    missing = gateway.post("/v1/auth/token", data={"grant_type": "client_credentials"})
    assert assert_problem(missing, 401)["error"] == "invalid_client"


def test_bad_token_requests(gateway: TestClient) -> None:
    body = assert_problem(gateway.post("/v1/auth/token", data={"grant_type": "implicit"}), 400)
    assert body["error"] == "unsupported_grant_type"
    assert assert_problem(gateway.post("/v1/auth/token", data={"grant_type": "password"}), 400)["error"] == (
        "invalid_request"
    )
    assert_problem(gateway.post("/v1/auth/token", data={}), 422)


def test_login_attempts_are_rate_limited(gateway_factory: Callable[..., TestClient]) -> None:
    gateway = gateway_factory(rate_limit_login="3/hour")
    for _ in range(3):
        assert password_grant(gateway, "x").status_code == 400  # type: ignore[attr-defined]
    limited = password_grant(gateway, "x")
    assert_problem(limited, 429)
    assert 1 <= int(limited.headers["retry-after"]) <= 3600  # type: ignore[attr-defined]


def test_refresh_survives_an_outreach_outage(
    gateway_factory: Callable[..., TestClient], store: Store, fake_outreach: FakeOutreach
) -> None:
    tokens = officer_login(gateway_factory(), store, fake_outreach, [VILLAGE_A])
    down = gateway_factory(outreach_url="http://127.0.0.1:9", connect_timeout_seconds=0.5)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert_problem(down.post("/v1/auth/token", data=form), 503)
    # Not spent by the failed attempt: it still works once outreach answers.
    assert gateway_factory().post("/v1/auth/token", data=form).status_code == 200


def test_racing_refreshes_spend_once_and_revoke_the_family(store: Store) -> None:
    import datetime as dt

    from gateway.models import RefreshToken

    store(lambda s: credentials.set_officer_password(s, NRP, "correct horse battery"))
    token = store(lambda s: credentials.issue_refresh_token(s, NRP, dt.timedelta(days=30)))
    # Two requests inspect the same token before either spends it.
    first = store(lambda s: credentials.inspect_refresh_token(s, token))
    second = store(lambda s: credentials.inspect_refresh_token(s, token))
    assert first.nrp == second.nrp == NRP
    successor = store(lambda s: credentials.spend_refresh_token(s, first, dt.timedelta(days=30)))
    assert successor is not None
    assert store(lambda s: credentials.spend_refresh_token(s, second, dt.timedelta(days=30))) is None
    assert store(lambda s: credentials.inspect_refresh_token(s, successor)).reason == "refresh token revoked"
    rows = store(
        lambda s: [(r.rotated_at is not None, r.revoked_at is not None) for r in s.query(RefreshToken)]
    )
    assert sorted(rows) == [(False, True), (True, True)]


def test_expired_refresh_token(store: Store) -> None:
    import datetime as dt

    store(lambda s: credentials.set_officer_password(s, NRP, "correct horse battery"))
    token = store(lambda s: credentials.issue_refresh_token(s, NRP, dt.timedelta(seconds=-1)))
    assert store(lambda s: credentials.inspect_refresh_token(s, token)).reason == "refresh token expired"


def test_password_reset_revokes_the_officers_refresh_tokens(
    gateway: TestClient, store: Store, fake_outreach: FakeOutreach
) -> None:
    tokens = officer_login(gateway, store, fake_outreach, [VILLAGE_A])
    store(lambda s: credentials.set_officer_password(s, NRP, "a brand new password"))
    response = gateway.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert assert_problem(response, 400)["error"] == "invalid_grant"
    assert password_grant(gateway, "a brand new password").status_code == 200  # type: ignore[attr-defined]


def test_revoked_internal_client_gets_no_token_and_its_tokens_are_refused(
    gateway: TestClient, store: Store
) -> None:
    admin = client_token(gateway, store, "keys:admin")
    issued = store(lambda s: credentials.create_client(s, "integration", ["keys:admin"]))
    grant = {
        "grant_type": "client_credentials",
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
    }
    token = gateway.post("/v1/auth/token", data=grant).json()["access_token"]
    assert gateway.get("/v1/api-keys", headers=bearer(token)).status_code == 200
    # Only keys:admin may revoke; an unknown client is a 404 problem.
    assert gateway.delete(f"/v1/internal-clients/{issued.client_id}").status_code == 401
    assert_problem(gateway.delete("/v1/internal-clients/ic_nobody", headers=bearer(admin)), 404)
    revoked = gateway.delete(f"/v1/internal-clients/{issued.client_id}", headers=bearer(admin))
    assert revoked.status_code == 204
    assert_problem(gateway.get("/v1/api-keys", headers=bearer(token)), 401)
    assert_problem(gateway.post("/v1/auth/token", data=grant), 401)
    assert gateway.get("/v1/api-keys", headers=bearer(admin)).status_code == 200
