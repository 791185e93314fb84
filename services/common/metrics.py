"""``/metrics`` in the Prometheus text format, on every component (prometheus-client).

Request metrics (by route template, method, status and principal kind: never by raw path, which would carry
ids and NIKs) come from one ASGI middleware; business gauges (workers by status, invoices, outbox lag, …)
are read from the component's database when scraped, at most once per ``cache_seconds``, so a scrape every
15 s costs one query per gauge family per half minute.

Each uvicorn worker process keeps its own counters; scrape each worker, or run one worker per container as
docker-compose's replicas do. ``SASAR_METRICS_TOKEN`` (when set) must be sent as a bearer token.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Gauge:
    """One business gauge family: ``read()`` returns (label values, value) pairs."""

    name: str
    documentation: str
    labels: Sequence[str]
    read: Callable[[], Iterable[tuple[Sequence[str], float]]]


class _CachedGauges(Collector):
    def __init__(self, gauges: Sequence[Gauge], cache_seconds: float) -> None:
        self.gauges = list(gauges)
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._at = 0.0

    def describe(self) -> Iterable[Metric]:
        # Registration must not query: the database exists only once the app has started.
        return []

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if time.monotonic() - self._at >= self.cache_seconds:
                self._cached = list(self._read())
                self._at = time.monotonic()
            return list(self._cached)

    def _read(self) -> Iterable[Metric]:
        for gauge in self.gauges:
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels))
            try:
                for labels, value in gauge.read():
                    family.add_metric(list(labels), value)
            except Exception:  # a gauge whose query fails is left out; the scrape still answers
                continue
            yield family


class Metrics:
    """The registry of one component (one per app, so test apps never share counters)."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "sasar_http_requests_total",
            "HTTP requests answered, by route template, method, status and principal kind",
            ["component", "route", "method", "status", "principal"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sasar_http_request_duration_seconds",
            "Time to answer, by route template and method",
            ["component", "route", "method"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "sasar_upstream_errors_total",
            "Calls to another component that failed (gateway: 502/503/504 answered for a service)",
            ["component", "service", "status"],
            registry=self.registry,
        )

    def add_gauges(self, gauges: Sequence[Gauge], *, cache_seconds: float = 30.0) -> None:
        self.registry.register(_CachedGauges(gauges, cache_seconds))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: no per-request task or body buffering)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "GET")
            state = scope.get("state") or {}
            principal = getattr(state.get("principal"), "kind", None)
            kind = getattr(principal, "value", None) or "none"
            component = self.metrics.component
            self.metrics.requests.labels(component, route, method, str(status), kind).inc()
            self.metrics.latency.labels(component, route, method).observe(time.perf_counter() - started)


def metrics_router(metrics: Metrics, token: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    def scrape(request: Request) -> Response:
        if token:
            sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not secrets.compare_digest(sent.encode(), token.encode()):
                return PlainTextResponse("metrics need the scrape token\n", status_code=401)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_metrics(app: Any, component: str, token: str | None) -> Metrics:
    """Add the middleware and ``GET /metrics``; returns the registry for gauges and extra counters."""
    metrics = Metrics(component)
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.include_router(metrics_router(metrics, token))
    return metrics


def query_gauge(app: Any, name: str, documentation: str, labels: Sequence[str], sql: str) -> Gauge:
    """A gauge read by one SQL query on the component's database: each row is the labels then the value."""

    def read() -> Iterable[tuple[Sequence[str], float]]:
        with app.state.database.engine.connect() as connection:
            rows = connection.execute(text(sql)).all()
        return [([str(v) for v in row[:-1]], float(row[-1] or 0)) for row in rows]

    return Gauge(name, documentation, labels, read)


def outbox_gauges(app: Any) -> list[Gauge]:
    """Events waiting in this component's outbox, and the age of the oldest (the relay's lag)."""

    def read(field: str) -> Callable[[], Iterable[tuple[Sequence[str], float]]]:
        def value() -> Iterable[tuple[Sequence[str], float]]:
            from sqlalchemy.orm import Session

            from services.common.events import outbox_lag

            with Session(app.state.database.engine) as session:
                lag = outbox_lag(session, app.state.outbox_table)
            return [((), float(lag[field]))]

        return value

    return [
        Gauge(
            "sasar_outbox_pending_events", "Events not yet delivered to every subscriber", (), read("pending")
        ),
        Gauge(
            "sasar_outbox_oldest_pending_seconds",
            "Age of the oldest undelivered event",
            (),
            read("oldest_pending_age_seconds"),
        ),
    ]
