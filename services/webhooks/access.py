"""Who may manage webhook endpoints.

- a village key: endpoints of its own village only (``village_code`` is forced to it); endpoints of
  another village, or ones the agency set up for its village, answer 404;
- an internal client with ``webhooks:admin``: any endpoint, for one village or for all villages;
- anyone else (officers, internal clients without the scope): 403.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from services.common.errors import Forbidden
from services.common.messages import Message
from services.common.principal import Principal, PrincipalKind, Scope
from services.webhooks.models import WebhookEndpoint

ADMIN_SCOPE = Scope.webhooks_admin.value


def require_manager(principal: Principal) -> None:
    if principal.kind is PrincipalKind.village or principal.has_scope(ADMIN_SCOPE):
        return
    raise Forbidden(Message("webhooks.access"))


def visible_endpoints(principal: Principal) -> Select[WebhookEndpoint]:
    """Endpoints the caller may see, as a query (tenant scope in the query itself)."""
    require_manager(principal)
    statement = select(WebhookEndpoint)
    if principal.kind is PrincipalKind.village:
        statement = statement.where(
            WebhookEndpoint.owner_kind == PrincipalKind.village.value,
            WebhookEndpoint.village_code.in_(sorted(principal.villages)),
        )
    return statement


def village_for_new_endpoint(principal: Principal, requested: str | None) -> str | None:
    """The village a new endpoint listens to: a village key's own; the requested one (or all) for admins."""
    require_manager(principal)
    if principal.kind is not PrincipalKind.village:
        return requested
    if requested is not None and requested not in principal.villages:
        raise Forbidden(Message("webhooks.own_village"))
    if len(principal.villages) != 1:
        raise Forbidden(Message("webhooks.one_village"))
    return next(iter(principal.villages))
