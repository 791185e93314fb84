"""Standard Webhooks signatures (https://www.standardwebhooks.com), by the ``standardwebhooks`` library.

Headers: ``webhook-id`` (the event id: the same on every retry, so receivers can drop duplicates),
``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256
of "{id}.{timestamp}.{body}">`` under each secret in force, space-separated (during a rotation both the
new and the previous secret sign, so a receiver still on the old one keeps verifying).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secrets_in_force: Sequence[str], message_id: str, timestamp: dt.datetime, body: str) -> str:
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_in_force)


def signed_headers(
    secrets_in_force: Sequence[str], message_id: str, timestamp: dt.datetime, body: str
) -> dict[str, str]:
    whole_seconds = timestamp.astimezone(dt.UTC).replace(microsecond=0)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(whole_seconds.timestamp())),
        "webhook-signature": signature(secrets_in_force, message_id, whole_seconds, body),
        "content-type": "application/json",
    }
