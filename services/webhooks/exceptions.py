"""Webhooks domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations

from services.common.errors import NotFound, ValidationProblem


class EndpointNotFound(NotFound):
    """Unknown endpoint, or one the caller may not see (no existence leak)."""

    message_key = "webhooks.endpoint_not_found"


class DeliveryNotFound(NotFound):
    """Unknown delivery of this endpoint."""

    message_key = "webhooks.delivery_not_found"


class UnsafeTarget(ValidationProblem):
    """The target URL is not http(s) or resolves to an address partners' webhooks may not reach."""

    message_key = "webhooks.unsafe_target"
