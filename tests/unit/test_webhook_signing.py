"""Webhook signatures checked by an implementation written here from the Standard Webhooks
specification (not by the library that signs): HMAC-SHA256 over ``{id}.{timestamp}.{body}`` keyed with
the base64-decoded part of ``whsec_…``, sent as space-separated ``v1,<base64>`` signatures."""

from __future__ import annotations

import base64
import datetime as dt

from services.webhooks.signing import new_secret, signed_headers
from tests.webhooks_support import verify_per_specification

MOMENT = dt.datetime(2026, 11, 29, 4, 30, 15, 123456, tzinfo=dt.UTC)
BODY = '{"id":"e1","type":"payment.received","data":{"amount_idr":16800,"note":"Rp16.800 ✓"}}'


def test_a_fresh_secret_is_32_random_bytes_in_base64() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_signature_verifies_by_the_specification() -> None:
    secret = new_secret()
    headers = signed_headers([secret], "e1", MOMENT, BODY)
    assert headers["webhook-id"] == "e1"
    assert headers["webhook-timestamp"] == str(int(MOMENT.replace(microsecond=0).timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert verify_per_specification(secret, headers, BODY.encode())


def test_a_changed_body_id_timestamp_or_secret_does_not_verify() -> None:
    secret = new_secret()
    headers = signed_headers([secret], "e1", MOMENT, BODY)
    assert not verify_per_specification(secret, headers, BODY.replace("16800", "16801").encode())
    assert not verify_per_specification(secret, {**headers, "webhook-id": "e2"}, BODY.encode())
    later = str(int(headers["webhook-timestamp"]) + 1)
    assert not verify_per_specification(secret, {**headers, "webhook-timestamp": later}, BODY.encode())
    assert not verify_per_specification(new_secret(), headers, BODY.encode())


def test_during_a_rotation_both_secrets_verify() -> None:
    new, old = new_secret(), new_secret()
    headers = signed_headers([new, old], "e1", MOMENT, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify_per_specification(new, headers, BODY.encode())
    assert verify_per_specification(old, headers, BODY.encode())
