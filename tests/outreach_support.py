"""Test helpers for the outreach service: a small fake registry (served over real HTTP) and builders."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from services.common.principal import PRINCIPAL_HEADER, Principal, decode_principal
from tests.support import TEST_SECRET


@dataclass
class FakeRegistry:
    """Just enough of the registry contract: POST /v1/workers (Idempotency-Key, 409 with
    existing_worker_id on a duplicate NIK), GET /v1/workers/{id} and GET /v1/worker-counts."""

    workers: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, Principal, dict[str, Any] | None]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.workers.clear()
            self.replies.clear()
            self.calls.clear()

    def app(self) -> FastAPI:
        app = FastAPI()

        def principal(request: Request) -> Principal:
            return decode_principal(request.headers[PRINCIPAL_HEADER], TEST_SECRET)

        @app.post("/v1/workers")
        def create_worker(
            request: Request, body: dict[str, Any], idempotency_key: str | None = Header(None)
        ) -> JSONResponse:
            caller = principal(request)
            with self.lock:
                self.calls.append(("POST /v1/workers", caller, body))
                if idempotency_key and (caller.actor, idempotency_key) in self.replies:
                    status, reply = self.replies[(caller.actor, idempotency_key)]
                    return JSONResponse(reply, status_code=status)
                if not caller.can_access_village(body["village_code"]):
                    return JSONResponse({"type": "/problems/not-found", "status": 404}, status_code=404)
                nik = body.get("nik")
                for worker in self.workers.values():
                    if nik and worker.get("nik") == nik:
                        problem = {
                            "type": "/problems/duplicate-nik",
                            "status": 409,
                            "detail": "NIK already registered",
                            "existing_worker_id": worker["id"],
                        }
                        return JSONResponse(problem, status_code=409)
                worker = {**body, "id": str(uuid.uuid4()), "status": "registered"}
                self.workers[worker["id"]] = worker
                if idempotency_key:
                    self.replies[(caller.actor, idempotency_key)] = (201, worker)
                return JSONResponse(worker, status_code=201)

        @app.get("/v1/workers/{worker_id}")
        def get_worker(worker_id: str) -> JSONResponse:
            worker = self.workers.get(worker_id)
            if worker is None:
                return JSONResponse({"type": "/problems/not-found", "status": 404}, status_code=404)
            return JSONResponse(worker)

        @app.get("/v1/worker-counts")
        def worker_counts(request: Request, area: str) -> JSONResponse:
            caller = principal(request)
            with self.lock:
                self.calls.append(("GET /v1/worker-counts", caller, {"area": area}))
                per: dict[str, Counter[str]] = {}
                for worker in self.workers.values():
                    if worker["village_code"].startswith(area):
                        per.setdefault(worker["village_code"], Counter())[worker["status"]] += 1
            items = [
                {
                    "village_code": code,
                    **{s: c[s] for s in ("registered", "active", "lapsed", "inactive", "deceased")},
                }
                for code, c in sorted(per.items())
            ]
            return JSONResponse({"area": area, "items": items})

        return app

    def add_worker(self, village_code: str, status: str, nik: str | None = None) -> str:
        worker_id = str(uuid.uuid4())
        with self.lock:
            self.workers[worker_id] = {
                "id": worker_id,
                "village_code": village_code,
                "status": status,
                "nik": nik,
            }
        return worker_id


def future(days: int = 3, hour: int = 9, offset: str = "+07:00") -> str:
    """An RFC 3339 time ``days`` ahead at ``hour`` local time in the given offset."""
    day = dt.date.today() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00{offset}"


def lead_item(village_code: str, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "village_code": village_code,
        "name": "Siti Aminah",
        "phone": "+6281234567890",
        "occupation": "petani",
        "consent_given_at": "2026-11-20T10:00:00+07:00",
    }
    item.update(overrides)
    return item
