"""Webhook test helpers: a signature check written from the Standard Webhooks specification (independent
of the library that signs), and a receiver that records what it was sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response


def verify_per_specification(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """HMAC-SHA256 over ``{webhook-id}.{webhook-timestamp}.{body}`` keyed with the base64-decoded part
    of ``whsec_…``; ``webhook-signature`` holds space-separated ``v1,<base64>`` candidates."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
            return True
    return False


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A partner's endpoint: records each request; answers ``status`` (a 3xx points elsewhere)."""

    status: int = 204
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append(Received("/" + path, dict(request.headers), body))
            headers = {"Location": "/elsewhere"} if 300 <= self.status < 400 else {}
            return Response(status_code=self.status, headers=headers)

        return app

    def bodies(self) -> list[Any]:
        with self.lock:
            return [json.loads(r.body) for r in self.received]
