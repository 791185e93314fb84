"""Who may do what in the registry (tenancy rules shared by every endpoint)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from services.common.errors import Forbidden, ValidationProblem
from services.common.messages import Message, Phrase
from services.common.principal import Principal, PrincipalKind, Scope
from services.registry.models import Worker

READ_SCOPES = (Scope.registry_read.value, Scope.registry_write.value)
COUNT_SCOPES = (*READ_SCOPES, Scope.reports_read.value)


def require_read(principal: Principal, scopes: tuple[str, ...] = READ_SCOPES) -> None:
    if principal.is_internal and not any(principal.has_scope(s) for s in scopes):
        raise Forbidden(
            Message("access.needs_scopes", scopes=Phrase(" atau ".join(scopes), " or ".join(scopes)))
        )


def require_write(principal: Principal) -> None:
    if principal.is_internal:
        principal.require_scope(Scope.registry_write.value)
    else:
        principal.require_kind(PrincipalKind.village, PrincipalKind.officer)


def check_may_mark_deceased(principal: Principal, worker: Worker) -> None:
    """Deceased is terminal: an officer (substitutes included) may record it only for workers they
    registered themselves; the village or an internal client records the others."""
    if principal.kind is PrincipalKind.officer and worker.created_by != principal.actor:
        raise Forbidden(Message("registry.officer_deceased"))


def check_target_village(principal: Principal, village_code: str, field: str = "village_code") -> None:
    if not principal.can_access_village(village_code):
        raise ValidationProblem.single(field, Message("registry.outside_villages"))


def village_clause(principal: Principal) -> ColumnElement[bool]:
    villages = principal.village_filter()
    if villages is None:
        return true()
    return Worker.village_code.in_(sorted(villages))
