"""Webhooks HTTP routes (thin: parse, call the domain function, shape the answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from services.common.pagination import ListParams, list_params
from services.common.text import TextRule
from services.webhooks import deliveries, endpoints
from services.webhooks.dependencies import CurrentPrincipal, DbSession, Settings
from services.webhooks.models import WebhookDelivery, WebhookEndpoint
from services.webhooks.schemas import (
    SecretRotated,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPage,
    WebhookEndpointPatch,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])

# Lists integrators sync from: sort, updated_since and a cursor bound to the sort.
ListPagination = Annotated[ListParams, Depends(list_params)]
EndpointId = Annotated[str, TextRule(40), Path(examples=["we_0f3c…"])]
DeliveryId = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut.model_validate(endpoint, from_attributes=True)


def _delivery_out(delivery: WebhookDelivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut.model_validate(delivery, from_attributes=True)


@router.post(
    "/webhook-endpoints",
    status_code=201,
    response_model=WebhookEndpointCreated,
    summary="Subscribe a webhook endpoint (the secret is shown once)",
)
def create_webhook_endpoint(
    data: WebhookEndpointIn,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    response: Response,
) -> WebhookEndpointCreated:
    endpoint = endpoints.create_endpoint(session, principal, data, settings)
    response.headers["Location"] = f"/v1/webhook-endpoints/{endpoint.id}"
    return WebhookEndpointCreated.model_validate(endpoint, from_attributes=True)


@router.get("/webhook-endpoints", response_model=WebhookEndpointPage, summary="List webhook endpoints")
def list_webhook_endpoints(
    session: DbSession, principal: CurrentPrincipal, params: ListPagination
) -> WebhookEndpointPage:
    items, cursor = endpoints.list_endpoints(session, principal, params)
    return WebhookEndpointPage(items=[_out(e) for e in items], next_cursor=cursor)


@router.get(
    "/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointOut, summary="A webhook endpoint"
)
def get_webhook_endpoint(
    endpoint_id: EndpointId, session: DbSession, principal: CurrentPrincipal
) -> WebhookEndpointOut:
    return _out(endpoints.get_endpoint(session, principal, endpoint_id))


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    response_model=WebhookEndpointOut,
    summary="Change a webhook endpoint's URL or event types, or enable/disable it",
)
def patch_webhook_endpoint(
    endpoint_id: EndpointId,
    data: WebhookEndpointPatch,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
) -> WebhookEndpointOut:
    endpoint = endpoints.get_endpoint(session, principal, endpoint_id)
    return _out(endpoints.patch_endpoint(session, endpoint, data, settings))


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204, summary="Delete a webhook endpoint")
def delete_webhook_endpoint(
    endpoint_id: EndpointId, session: DbSession, principal: CurrentPrincipal
) -> Response:
    endpoints.delete_endpoint(session, endpoints.get_endpoint(session, principal, endpoint_id))
    return Response(status_code=204)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response_model=SecretRotated,
    summary="New signing secret (shown once); the previous one keeps signing for 24 h",
)
def rotate_webhook_secret(
    endpoint_id: EndpointId, session: DbSession, principal: CurrentPrincipal, settings: Settings
) -> SecretRotated:
    endpoint = endpoints.get_endpoint(session, principal, endpoint_id)
    secret, expires = endpoints.rotate_secret(session, endpoint, settings)
    return SecretRotated(id=endpoint.id, secret=secret, previous_secret_expires_at=expires)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryPage,
    summary="The delivery log of an endpoint",
)
def list_webhook_deliveries(
    endpoint_id: EndpointId, session: DbSession, principal: CurrentPrincipal, params: ListPagination
) -> WebhookDeliveryPage:
    endpoint = endpoints.get_endpoint(session, principal, endpoint_id)
    items, cursor = deliveries.list_deliveries(session, endpoint, params)
    return WebhookDeliveryPage(items=[_delivery_out(d) for d in items], next_cursor=cursor)


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=WebhookDeliveryOut,
    summary="Send a delivery again",
)
def replay_webhook_delivery(
    endpoint_id: EndpointId, delivery_id: DeliveryId, session: DbSession, principal: CurrentPrincipal
) -> WebhookDeliveryOut:
    endpoint = endpoints.get_endpoint(session, principal, endpoint_id)
    return _delivery_out(deliveries.replay(session, endpoint, delivery_id))
