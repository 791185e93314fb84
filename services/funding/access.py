"""Who may call funding endpoints (shared by every route module).

- rate schedules and quotes: any authenticated caller; new schedule versions: internal ``funding:admin``;
- agreements, invoices, payments, statements: a village principal for its own village only (another
  village's resources answer 404); internal callers read with ``funding:admin`` or ``reports:read``
  and write with ``funding:admin``; officers have no access to money (403);
- billing runs, overdue and lapse runs, voids: internal ``funding:admin`` only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.errors import Forbidden, NotFound
from services.common.messages import Message
from services.common.principal import Principal, PrincipalKind, Scope
from services.funding.dependencies import CurrentPrincipal

ADMIN_SCOPE = Scope.funding_admin.value
READ_SCOPES = (ADMIN_SCOPE, Scope.reports_read.value)


def require_reader(principal: Principal) -> None:
    if principal.kind is PrincipalKind.village:
        return
    if principal.is_internal and any(principal.has_scope(s) for s in READ_SCOPES):
        return
    raise Forbidden(Message("funding.access"))


def require_writer(principal: Principal, village_code: str | None = None) -> None:
    if principal.kind is PrincipalKind.village:
        if village_code is not None and not principal.can_access_village(village_code):
            raise Forbidden(Message("funding.own_village"))
        return
    principal.require_scope(ADMIN_SCOPE)


def require_admin(principal: Principal) -> None:
    principal.require_scope(ADMIN_SCOPE)


def require_internal_reader(principal: Principal) -> None:
    """Billing runs span every village, so village keys never see them."""
    if not (principal.is_internal and any(principal.has_scope(s) for s in READ_SCOPES)):
        raise Forbidden(Message("funding.billing_runs_access"))


def require_village_reader(principal: Principal, village_code: str) -> None:
    require_reader(principal)
    if not principal.can_access_village(village_code):
        raise NotFound(Message("funding.village_not_found", village_code=village_code))


def _reader(principal: CurrentPrincipal) -> Principal:
    require_reader(principal)
    return principal


def _admin(principal: CurrentPrincipal) -> Principal:
    require_admin(principal)
    return principal


FundingReader = Annotated[Principal, Depends(_reader)]
"""A caller allowed to read funding data (village key, or internal funding:admin / reports:read)."""

FundingAdmin = Annotated[Principal, Depends(_admin)]
"""An internal caller with funding:admin."""
