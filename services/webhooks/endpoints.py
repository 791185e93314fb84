"""Webhook endpoints: create, read, change, delete, rotate the secret (plain functions, no HTTP)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from services.common.messages import Message
from services.common.pagination import ListParams, paginate_list
from services.common.principal import Principal, PrincipalKind
from services.common.timeutil import utcnow
from services.webhooks import access, signing, targets
from services.webhooks.config import WebhooksSettings
from services.webhooks.exceptions import EndpointNotFound
from services.webhooks.models import WebhookEndpoint
from services.webhooks.schemas import EndpointStatus, WebhookEndpointIn, WebhookEndpointPatch


def _check_url(url: str, settings: WebhooksSettings, resolve: targets.Resolver) -> None:
    targets.check_target(url, targets.parse_allow_list(settings.allow_private_targets), resolve)


def create_endpoint(
    session: Session,
    principal: Principal,
    data: WebhookEndpointIn,
    settings: WebhooksSettings,
    resolve: targets.Resolver = targets.system_resolver,
) -> WebhookEndpoint:
    village_code = access.village_for_new_endpoint(principal, data.village_code)
    _check_url(data.url, settings, resolve)
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=f"we_{uuid.uuid4().hex}",
        url=data.url,
        event_types=sorted({t.value for t in data.event_types}),
        village_code=village_code,
        description=data.description,
        secret=signing.new_secret(),
        status=EndpointStatus.active.value,
        failed_deliveries=0,
        owner_kind=PrincipalKind.village.value if principal.kind is PrincipalKind.village else "internal",
        created_by=principal.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    statement = access.visible_endpoints(principal).where(WebhookEndpoint.id == endpoint_id)
    endpoint = session.scalars(statement).first()
    if endpoint is None:
        raise EndpointNotFound(Message("webhooks.endpoint_not_found_id", endpoint_id=endpoint_id))
    return endpoint


def list_endpoints(
    session: Session, principal: Principal, params: ListParams
) -> tuple[list[WebhookEndpoint], str | None]:
    return paginate_list(
        session,
        access.visible_endpoints(principal),
        created_at=WebhookEndpoint.created_at,
        updated_at=WebhookEndpoint.updated_at,
        id_column=WebhookEndpoint.id,
        params=params,
    )


def patch_endpoint(
    session: Session,
    endpoint: WebhookEndpoint,
    data: WebhookEndpointPatch,
    settings: WebhooksSettings,
    resolve: targets.Resolver = targets.system_resolver,
) -> WebhookEndpoint:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        _check_url(changes["url"], settings, resolve)
        endpoint.url = changes["url"]
    if data.event_types is not None:
        endpoint.event_types = sorted({t.value for t in data.event_types})
    if "description" in changes:
        endpoint.description = changes["description"]
    if data.enabled is True and endpoint.status != EndpointStatus.active:
        endpoint.status = EndpointStatus.active.value
        endpoint.disabled_reason = None
        endpoint.failed_deliveries = 0
    elif data.enabled is False:
        endpoint.status = EndpointStatus.disabled.value
        endpoint.disabled_reason = "disabled by its owner"
    endpoint.updated_at = utcnow()
    session.flush()
    return endpoint


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, endpoint: WebhookEndpoint, settings: WebhooksSettings
) -> tuple[str, dt.datetime]:
    """A new secret; the current one keeps signing (beside it) for ``previous_secret_hours``."""
    now = utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + dt.timedelta(hours=settings.previous_secret_hours)
    endpoint.secret = signing.new_secret()
    endpoint.updated_at = now
    session.flush()
    return endpoint.secret, endpoint.previous_secret_expires_at


def secrets_in_force(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        secrets.append(endpoint.previous_secret)
    return secrets
