"""Calls from one service to another over HTTP, with the caller's principal and the request id.

Services never import each other; when one must ask another (e.g. outreach registering a worker in the
registry), it goes through this client. Connection failures are retried briefly (tenacity) and then
surface as a 503 problem; the other service's problems are re-raised with their status and fields.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from services.common.errors import ProblemError
from services.common.messages import Message, current_language
from services.common.principal import PRINCIPAL_HEADER, Principal, encode_principal
from services.common.requestid import current_request_id


class UpstreamUnavailable(ProblemError):
    status, slug = 503, "service-unavailable"


class UpstreamProblem(ProblemError):
    """A problem answered by another service, passed on with its status, type and field errors."""


class ServiceClient:
    def __init__(self, base_url: str, secret: str, *, service: str, timeout: float = 10.0) -> None:
        self.service = service
        self.secret = secret
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._client.close()

    @retry(
        retry=retry_if_exception_type(httpx.TransportError),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.1, max=1.0),
        reraise=True,
    )
    def _send(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self._client.request(method, path, headers=headers, **kwargs)

    def request(self, method: str, path: str, principal: Principal, **kwargs: Any) -> httpx.Response:
        """Send as ``principal``; 2xx/404 responses are returned, other errors raised as problems."""
        headers = {PRINCIPAL_HEADER: encode_principal(principal, self.secret)}
        request_id = current_request_id()
        if request_id:
            headers["X-Request-Id"] = request_id
        # The other service answers problems in our caller's language, so forwarded details match ours.
        headers["Accept-Language"] = current_language()
        headers.update(kwargs.pop("headers", {}) or {})
        try:
            response = self._send(method, path, headers, **kwargs)
        except httpx.TransportError:
            raise UpstreamUnavailable(Message("gateway.service_unavailable", service=self.service)) from None
        if response.status_code >= 500:
            raise UpstreamUnavailable(
                Message("upstream.failed", service=self.service, status=response.status_code)
            )
        return response

    def raise_problem(self, response: httpx.Response) -> None:
        """Re-raise another service's problem answer as our own (same status, slug and fields)."""
        try:
            body = response.json()
        except ValueError:
            body = {}
        slug = str(body.get("type", "/problems/bad-request")).rsplit("/", 1)[-1]
        raise UpstreamProblem(
            body.get("detail") or Message("upstream.refused", service=self.service),
            errors=body.get("errors"),
            status=response.status_code,
            slug=slug,
        )
