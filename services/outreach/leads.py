"""Leads: reading them within the caller's tenancy, and converting one into a registry worker.

Conversion registers the worker through the registry's public API as the calling officer, with an
``Idempotency-Key`` derived from the lead id (a retry can never register the person twice), and keeps
the worker id, officer and session on the lead. A NIK the registry already knows (409 with
``existing_worker_id``) links that worker instead of failing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.common.errors import Forbidden, ValidationProblem
from services.common.messages import Message
from services.common.pagination import ListParams, paginate_list
from services.common.principal import Principal, PrincipalKind, Scope
from services.common.timeutil import utcnow
from services.outreach import officers
from services.outreach.events import publish_lead_converted
from services.outreach.exceptions import LeadNotFound
from services.outreach.models import Lead
from services.outreach.registry_client import RegistryClient
from services.outreach.schemas import LeadConvertIn, LeadConvertOut, LeadOut, LeadStatus


def mask_nik(nik: str | None) -> str | None:
    """``3326**********01``: region prefix and the last two digits only (PII stays out of lists)."""
    if nik is None:
        return None
    return nik[:4] + "*" * (len(nik) - 6) + nik[-2:]


def lead_out(lead: Lead) -> LeadOut:
    return LeadOut(
        id=lead.id,
        client_id=lead.client_id,
        session_id=lead.session_id,
        village_code=lead.village_code,
        officer_id=lead.officer_id,
        name=lead.name,
        phone=lead.phone,
        nik=mask_nik(lead.nik),
        occupation=lead.occupation,
        consent_given_at=lead.consent_given_at,
        consent_captured_by=lead.consent_captured_by,
        status=LeadStatus(lead.status),
        worker_id=lead.worker_id,
        linked_existing=lead.linked_existing,
        converted_at=lead.converted_at,
        converted_by=lead.converted_by,
        created_at=lead.created_at,
        updated_at=lead.updated_at,
    )


def _visible(statement: Select[Any], principal: Principal) -> Select[Any]:
    """Officers: their own leads in villages assigned today; villages: their village; internal: scope."""
    if principal.kind is PrincipalKind.officer:
        own = officers.own_officer_id(principal)
        return statement.where(
            Lead.officer_id == (own if own is not None else -1),
            Lead.village_code.in_(sorted(principal.villages)),
        )
    if principal.kind is PrincipalKind.village:
        return statement.where(Lead.village_code.in_(sorted(principal.villages)))
    if not (principal.has_scope(Scope.outreach_admin) or principal.has_scope(Scope.reports_read)):
        raise Forbidden(Message("outreach.leads_scope"))
    return statement


def get_lead(session: Session, lead_id: int, principal: Principal, *, lock: bool = False) -> Lead:
    statement = _visible(select(Lead), principal).where(Lead.id == lead_id)
    if lock:
        statement = statement.with_for_update()
    lead: Lead | None = session.scalars(statement).first()
    if lead is None:
        raise LeadNotFound(Message("outreach.lead_not_found_id", lead_id=lead_id))
    return lead


def list_leads(
    session: Session,
    principal: Principal,
    params: ListParams,
    *,
    village_code: str | None = None,
    status: LeadStatus | None = None,
    session_id: int | None = None,
) -> tuple[list[Lead], str | None]:
    statement = _visible(select(Lead), principal)
    if village_code is not None:
        statement = statement.where(Lead.village_code == village_code)
    if status is not None:
        statement = statement.where(Lead.status == status.value)
    if session_id is not None:
        statement = statement.where(Lead.session_id == session_id)
    return paginate_list(
        session,
        statement,
        created_at=Lead.created_at,
        updated_at=Lead.updated_at,
        id_column=Lead.id,
        params=params,
        ids_follow_creation=True,
    )


def idempotency_key(lead: Lead) -> str:
    return f"outreach-lead-{lead.id}-convert"


def convert(
    session: Session,
    lead_id: int,
    data: LeadConvertIn,
    principal: Principal,
    registry: RegistryClient,
) -> LeadConvertOut:
    if principal.kind is PrincipalKind.village:
        raise Forbidden(Message("outreach.leads_by_officers"))
    if principal.kind is PrincipalKind.internal:
        principal.require_scope(Scope.outreach_admin)
    # Row lock (PostgreSQL) so two conversions of one lead queue up; the registry's idempotency
    # key makes even an unlocked race register one worker.
    lead = get_lead(session, lead_id, principal, lock=True)
    officers.require_active_officer(session, principal)
    if lead.worker_id is not None and lead.converted_at is not None:
        return LeadConvertOut.model_validate(
            {
                "lead_id": lead.id,
                "worker_id": lead.worker_id,
                "linked_existing": lead.linked_existing,
                "converted_at": lead.converted_at,
            },
            context={"village_code": lead.village_code},
        )
    # Registering is a write in the lead's village: only while assigned there (the registry asks too).
    officers.require_assigned_today(session, principal, lead.village_code)
    if lead.consent_given_at is None:
        raise ValidationProblem.single("consent_given_at", Message("outreach.no_consent"))
    nik = lead.nik or data.nik
    if lead.nik and data.nik and data.nik != lead.nik:
        raise ValidationProblem.single("nik", Message("outreach.nik_differs"))
    occupation = data.occupation or lead.occupation
    if occupation is None:
        raise ValidationProblem.single("occupation", Message("outreach.occupation_required"))
    if nik is None and not data.temporary:
        raise ValidationProblem.single("nik", Message("outreach.nik_required"))
    body: dict[str, Any] = {
        "name": lead.name,
        "village_code": lead.village_code,
        "occupation": occupation,
        "declared_income_idr": data.declared_income_idr,
        "programs": list(dict.fromkeys(data.programs)),
        "lead_id": str(lead.id),
    }
    if nik is not None:
        body["nik"] = nik
    else:
        body["temporary"] = True
    phone = data.phone or lead.phone
    for field, value in (
        ("phone", phone),
        ("birth_date", data.birth_date.isoformat() if data.birth_date else None),
        ("sex", data.sex),
        ("funding", data.funding),
        ("officer_id", str(lead.officer_id) if lead.officer_id is not None else None),
        ("outreach_session_id", str(lead.session_id) if lead.session_id is not None else None),
    ):
        if value is not None:
            body[field] = value
    registration = registry.register_worker(body, principal, idempotency_key(lead))
    now = utcnow()
    lead.worker_id = registration.worker_id
    lead.linked_existing = registration.existing
    lead.status = LeadStatus.converted.value
    lead.converted_at = now
    lead.converted_by = principal.actor
    if nik is not None and lead.nik is None:
        lead.nik = nik
    if lead.occupation is None:
        lead.occupation = occupation
    session.flush()
    publish_lead_converted(session, lead)
    return LeadConvertOut.model_validate(
        {
            "lead_id": lead.id,
            "worker_id": registration.worker_id,
            "linked_existing": registration.existing,
            "converted_at": now,
        },
        context={"village_code": lead.village_code},
    )
