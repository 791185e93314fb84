"""Funding agreements (perjanjian pendanaan) and their rosters.

Rules chosen here (documented in docs/funding.md):

- a desa or customary desa pays from ``dana_desa`` (village fund), ``csr`` or ``other``; a kelurahan has
  no village fund, so its city pays from ``apbd_kelurahan`` (the city budget) - or ``csr``/``other``;
- start and end months lie inside the fiscal year (January-December);
- a worker is billed from the month they join the roster (this month in the village, or the agreement's
  first month if later), never for earlier months unless an admin back-bills them (a recorded run);
- the budget is committed by what was invoiced (net of credit notes, void invoices excluded) plus each
  member's months not billed yet, priced month by month; remaining = ceiling minus committed. Both are
  computed in SQL whenever asked, so they are always current;
- a worker is on at most one draft/active agreement per fiscal year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import UTCDateTime
from services.common.errors import ValidationProblem
from services.common.events import EventType
from services.common.messages import Message
from services.common.principal import Principal
from services.common.timeutil import today_in_area, utcnow
from services.common.wilayah import VillageKind, check_village_code, village_kind
from services.funding import invoices
from services.funding.events import publish_agreement, publish_handover_due
from services.funding.exceptions import AgreementNotFound, InvalidState
from services.funding.models import (
    AgreementMember,
    CreditNote,
    FundedWorker,
    FundingAgreement,
    Invoice,
    InvoiceLine,
)
from services.funding.pricing import FundingSource, Period, PricingError, Program
from services.funding.pricing_sql import (
    MONTH_OFFSETS_SQL,
    member_billed_sql,
    member_unbilled_sql,
    priced_lines,
)
from services.funding.rates import period_index
from services.funding.registry_client import RegistryWorker, WorkerDirectory
from services.funding.statuses import AgreementStatus, MemberStatus, check_transition

SOURCES_BY_KIND: dict[VillageKind, frozenset[str]] = {
    VillageKind.kelurahan: frozenset({"apbd_kelurahan", "csr", "other"}),
    VillageKind.desa: frozenset({"dana_desa", "csr", "other"}),
    VillageKind.desa_adat: frozenset({"dana_desa", "csr", "other"}),
}
UNBILLABLE_STATUSES = frozenset({"deceased", "inactive"})


@dataclass(frozen=True)
class AgreementTerms:
    village_code: str
    fiscal_year: int
    source: str
    legal_reference: str
    budget_ceiling_idr: int
    start_period: str
    end_period: str
    programs: Sequence[str]
    allow_over_budget: bool = False


@dataclass(frozen=True)
class MemberResult:
    worker_id: str
    status: str  # added | unchanged | rejected
    reason: str | None = None
    cost_idr: int | None = None
    over_budget_by_idr: int | None = None


def validate_terms(terms: AgreementTerms) -> tuple[int, int, bool]:
    """Check the terms; return (start_idx, end_idx, includes_jht). 422 listing every bad field."""
    errors: list[dict[str, str]] = []
    reason = check_village_code(terms.village_code)
    if reason:
        errors.append({"field": "village_code", "reason": reason})
    else:
        kind = village_kind(terms.village_code)
        allowed = SOURCES_BY_KIND.get(kind) if kind else None
        if allowed is not None and terms.source not in allowed:
            errors.append(
                {
                    "field": "source",
                    "reason": Message(
                        "funding.sources_for_kind", kind=kind, sources=", ".join(sorted(allowed))
                    ),
                }
            )
    if terms.source not in {s.value for s in FundingSource} - {"self_pay"}:
        errors.append({"field": "source", "reason": Message("funding.source_values")})
    periods: dict[str, Period] = {}
    for field in ("start_period", "end_period"):
        try:
            periods[field] = Period.parse(getattr(terms, field), field=field)
        except PricingError as exc:
            errors.append({"field": field, "reason": exc.reason})
            continue
        if periods[field].year != terms.fiscal_year:
            errors.append({"field": field, "reason": Message("funding.fiscal_year", year=terms.fiscal_year)})
    if len(periods) == 2 and periods["end_period"] < periods["start_period"]:
        errors.append({"field": "end_period", "reason": Message("funding.end_before_start")})
    programs = set(terms.programs)
    unknown = programs - {p.value for p in Program}
    if unknown:
        errors.append(
            {"field": "programs", "reason": Message("funding.unknown_programmes", programmes=sorted(unknown))}
        )
    if not {"JKK", "JKM"} <= programs:
        errors.append({"field": "programs", "reason": Message("funding.jkk_jkm_required")})
    if errors:
        raise ValidationProblem(Message("funding.terms_invalid"), errors=errors)  # type: ignore[arg-type]
    return period_index(periods["start_period"]), period_index(periods["end_period"]), "JHT" in programs


def create_agreement(session: Session, terms: AgreementTerms) -> FundingAgreement:
    start_idx, end_idx, includes_jht = validate_terms(terms)
    now = utcnow()
    agreement = FundingAgreement(
        village_code=terms.village_code,
        fiscal_year=terms.fiscal_year,
        source=terms.source,
        legal_reference=terms.legal_reference,
        budget_ceiling_idr=terms.budget_ceiling_idr,
        start_idx=start_idx,
        end_idx=end_idx,
        includes_jht=includes_jht,
        allow_over_budget=terms.allow_over_budget,
        status=AgreementStatus.draft,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(agreement)
    session.flush()
    return agreement


def get_agreement(session: Session, principal: Principal, agreement_id: int) -> FundingAgreement:
    agreement = session.get(FundingAgreement, agreement_id)
    if agreement is None or not principal.can_access_village(agreement.village_code):
        raise AgreementNotFound(Message("funding.agreement_not_found", agreement_id=agreement_id))
    return agreement


def lock_agreement(session: Session, agreement: FundingAgreement) -> None:
    """Serialise roster changes of one agreement (budget checks read-then-write).

    ``FOR NO KEY UPDATE`` on PostgreSQL, not ``FOR UPDATE``: the latter also blocks the foreign-key checks
    of a payment updating one of the agreement's invoices twice, which deadlocked a payment and a roster
    removal running at once. The ceiling is re-read under the lock."""
    session.refresh(agreement, with_for_update={"key_share": True})


def update_terms(session: Session, agreement: FundingAgreement, changes: dict[str, Any]) -> FundingAgreement:
    """Apply a PATCH: periods and programmes only while draft; the others at any time before the end."""
    if agreement.status == AgreementStatus.ended:
        raise InvalidState(Message("funding.agreement_ended"))
    draft_only = {"start_period", "end_period", "programs", "source"} & changes.keys()
    if draft_only and agreement.status != AgreementStatus.draft:
        raise InvalidState(Message("funding.draft_only", fields=", ".join(sorted(draft_only))))
    current = agreement_view(session, agreement)
    merged = AgreementTerms(
        village_code=agreement.village_code,
        fiscal_year=agreement.fiscal_year,
        source=changes.get("source", agreement.source),
        legal_reference=changes.get("legal_reference", agreement.legal_reference),
        budget_ceiling_idr=changes.get("budget_ceiling_idr", agreement.budget_ceiling_idr),
        start_period=changes.get("start_period", current["start_period"]),
        end_period=changes.get("end_period", current["end_period"]),
        programs=changes.get("programs", current["programs"]),
        allow_over_budget=changes.get("allow_over_budget", agreement.allow_over_budget),
    )
    start_idx, end_idx, includes_jht = validate_terms(merged)
    agreement.source = merged.source
    agreement.legal_reference = merged.legal_reference
    agreement.budget_ceiling_idr = merged.budget_ceiling_idr
    agreement.start_idx, agreement.end_idx, agreement.includes_jht = start_idx, end_idx, includes_jht
    agreement.allow_over_budget = merged.allow_over_budget
    agreement.updated_at = utcnow()
    session.flush()
    return agreement


def activate(session: Session, agreement: FundingAgreement) -> FundingAgreement:
    agreement.status = check_transition(
        AgreementStatus,
        agreement.status,
        AgreementStatus.active,
        Message("funding.only_draft_activated", status=agreement.status),
    )
    agreement.updated_at = utcnow()
    session.flush()
    publish_agreement(session, agreement, EventType.agreement_activated)
    return agreement


def end_agreement(session: Session, agreement: FundingAgreement) -> FundingAgreement:
    agreement.status = check_transition(
        AgreementStatus,
        agreement.status,
        AgreementStatus.ended,
        Message("funding.only_active_ended", status=agreement.status),
    )
    agreement.updated_at = utcnow()
    session.flush()
    release_months(session, agreement.id)
    publish_agreement(session, agreement, EventType.agreement_ended)
    publish_handover_due(session, agreement)
    return agreement


def unbilled_member_months(agreement_filter: str) -> str:
    """(agreement, worker, month) rows for every month a member is billable in and not billed yet."""
    p = "a.start_idx + o.n"
    return f"""
        SELECT m.agreement_id AS agreement_id, m.worker_id AS worker_id, {p} AS period_idx
        FROM agreement_members m
        JOIN funding_agreements a ON a.id = m.agreement_id
        JOIN funded_workers w ON w.worker_id = m.worker_id
        JOIN ({MONTH_OFFSETS_SQL}) o ON {p} <= a.end_idx
        WHERE {agreement_filter} AND {member_billed_sql(p)} AND {member_unbilled_sql(p)}
    """


def committed_by_agreement(session: Session, agreement_ids: Sequence[int]) -> dict[int, int]:
    """Budget committed per agreement: invoiced (net, not void) + the members' months not billed yet,
    priced (from the month each joined: past months before that are not owed)."""
    if not agreement_ids:
        return {}
    ids: Any = bindparam("ids", expanding=True)
    projected = unbilled_member_months("a.status <> 'ended' AND a.id IN :ids")
    dialect = session.get_bind().dialect.name
    statement = text(f"""
        SELECT a.id,
          COALESCE((SELECT SUM(i.total_idr - i.credited_idr) FROM invoices i
                    WHERE i.agreement_id = a.id AND i.status <> 'void'), 0)
          + COALESCE((SELECT SUM(l.amount_idr) FROM ({priced_lines(projected, dialect)}) l
                      WHERE l.agreement_id = a.id), 0)
        FROM funding_agreements a WHERE a.id IN :ids
    """).bindparams(ids)
    return {int(row[0]): int(row[1]) for row in session.execute(statement, {"ids": list(agreement_ids)})}


def agreement_view(
    session: Session, agreement: FundingAgreement, committed: int | None = None
) -> dict[str, Any]:
    from services.funding.rates import period_from_index

    if committed is None:
        committed = committed_by_agreement(session, [agreement.id]).get(agreement.id, 0)
    members = session.scalar(
        text("SELECT COUNT(*) FROM agreement_members WHERE agreement_id = :a AND status = 'active'"),
        {"a": agreement.id},
    )
    return {
        "id": agreement.id,
        "village_code": agreement.village_code,
        "fiscal_year": agreement.fiscal_year,
        "source": agreement.source,
        "legal_reference": agreement.legal_reference,
        "budget_ceiling_idr": agreement.budget_ceiling_idr,
        "budget_committed_idr": committed,
        "budget_remaining_idr": agreement.budget_ceiling_idr - committed,
        "start_period": str(period_from_index(agreement.start_idx)),
        "end_period": str(period_from_index(agreement.end_idx)),
        "programs": ["JKK", "JKM", *(["JHT"] if agreement.includes_jht else [])],
        "allow_over_budget": agreement.allow_over_budget,
        "status": agreement.status,
        "member_count": int(members or 0),
        "version": agreement.version,
        "created_at": agreement.created_at,
        "updated_at": agreement.updated_at,
    }


def upsert_worker_copies(
    session: Session, workers: Iterable[RegistryWorker], *, only_newer: bool = False
) -> None:
    """Store funding's copy of each worker in one multi-row upsert.

    ``only_newer`` (events): a copy already at the same or a later registry version is left alone, so
    an event delivered late never undoes a newer one.
    """
    now = utcnow()
    rows = [
        {
            "worker_id": w.id,
            "village_code": w.village_code,
            "occupation": w.occupation,
            "declared_income_idr": w.declared_income_idr,
            "has_jht": "JHT" in w.programs,
            "status": w.status,
            "registry_version": w.version,
            "temporary_id_expires_on": w.temporary_id_expires_on,
            "synced_at": now,
        }
        for w in workers
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(FundedWorker).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["worker_id"],
        set_={
            column: statement.excluded[column]
            for column in (
                "village_code",
                "occupation",
                "declared_income_idr",
                "has_jht",
                "status",
                "registry_version",
                "temporary_id_expires_on",
                "synced_at",
            )
        },
        where=(
            FundedWorker.registry_version.is_(None)
            | (FundedWorker.registry_version < statement.excluded.registry_version)
        )
        if only_newer
        else None,
    )
    session.execute(statement)


def _candidate_costs(
    session: Session, agreement: FundingAgreement, worker_ids: Sequence[str], first_idx: int
) -> dict[str, int]:
    """What each worker would cost this agreement from month ``first_idx`` (the month they join) on."""
    if not worker_ids:
        return {}
    source = f"""
        SELECT a.id AS agreement_id, w.worker_id AS worker_id, a.start_idx + o.n AS period_idx
        FROM funded_workers w
        JOIN funding_agreements a ON a.id = :agreement
        JOIN ({MONTH_OFFSETS_SQL}) o ON a.start_idx + o.n <= a.end_idx AND a.start_idx + o.n >= :first
        WHERE w.worker_id IN :workers
    """
    dialect = session.get_bind().dialect.name
    statement = text(
        f"SELECT l.worker_id, SUM(l.amount_idr) FROM ({priced_lines(source, dialect)}) l GROUP BY l.worker_id"
    ).bindparams(
        bindparam("workers", expanding=True),
        bindparam("agreement", type_=Integer()),
        bindparam("first", type_=Integer()),
    )
    rows = session.execute(
        statement, {"agreement": agreement.id, "workers": list(worker_ids), "first": first_idx}
    )
    return {str(row[0]): int(row[1]) for row in rows}


def joining_month(agreement: FundingAgreement) -> int:
    """The first month a worker added today is billed for: this month in the village (or the agreement's
    first month if later). Earlier months are never billed by a roster change (see back-billing)."""
    today = period_index(Period.of(today_in_area(agreement.village_code)))
    return max(agreement.start_idx, today)


def add_members(
    session: Session, agreement: FundingAgreement, worker_ids: Sequence[str], directory: WorkerDirectory
) -> list[MemberResult]:
    """Add workers to the roster, each checked against the registry and the remaining budget."""
    if agreement.status == "ended":
        raise InvalidState(Message("funding.ended_no_members"))
    first_idx = joining_month(agreement)
    if first_idx > agreement.end_idx:
        raise InvalidState(Message("funding.last_month_over"))
    lock_agreement(session, agreement)
    results: dict[str, MemberResult] = {}
    fetched: list[RegistryWorker] = []
    ordered = list(dict.fromkeys(worker_ids))
    existing = {
        row.worker_id: row
        for row in session.scalars(
            select(AgreementMember).where(
                AgreementMember.agreement_id == agreement.id, AgreementMember.worker_id.in_(ordered)
            )
        )
    }
    elsewhere = {
        str(row[0]): int(row[1])
        for row in session.execute(
            select(AgreementMember.worker_id, AgreementMember.agreement_id)
            .join(FundingAgreement, FundingAgreement.id == AgreementMember.agreement_id)
            .where(
                AgreementMember.worker_id.in_(ordered),
                AgreementMember.status == "active",
                AgreementMember.agreement_id != agreement.id,
                FundingAgreement.status != "ended",
                FundingAgreement.fiscal_year == agreement.fiscal_year,
            )
        )
    }
    for worker_id in ordered:
        member = existing.get(worker_id)
        if member is not None and member.status == "active":
            results[worker_id] = MemberResult(worker_id, "unchanged")
            continue
        if worker_id in elsewhere:
            reason = Message("roster.funded_elsewhere", agreement_id=elsewhere[worker_id])
            results[worker_id] = MemberResult(worker_id, "rejected", reason)
            continue
        worker = directory.fetch_worker(worker_id)
        if worker is None:
            results[worker_id] = MemberResult(worker_id, "rejected", Message("roster.unknown_worker"))
        elif worker.village_code != agreement.village_code:
            results[worker_id] = MemberResult(worker_id, "rejected", Message("roster.other_village"))
        elif worker.status in UNBILLABLE_STATUSES:
            results[worker_id] = MemberResult(
                worker_id, "rejected", Message("registry.worker_is", status=worker.status)
            )
        elif temporary_id_overdue(worker):
            reason = Message("roster.temporary_expired", date=worker.temporary_id_expires_on)
            results[worker_id] = MemberResult(worker_id, "rejected", reason)
        else:
            fetched.append(worker)
    upsert_worker_copies(session, fetched)
    candidates = [w.id for w in fetched]
    costs = _candidate_costs(session, agreement, candidates, first_idx)
    remaining = agreement.budget_ceiling_idr - committed_by_agreement(session, [agreement.id]).get(
        agreement.id, 0
    )
    now = utcnow()
    for worker_id in candidates:
        cost = costs.get(worker_id, 0)
        if cost > remaining and not agreement.allow_over_budget:
            results[worker_id] = MemberResult(
                worker_id,
                "rejected",
                Message("roster.over_budget", excess=cost - remaining),
                cost_idr=cost,
                over_budget_by_idr=cost - remaining,
            )
            continue
        if not claim_months(session, agreement, worker_id, first_idx):
            reason = Message("roster.months_taken")
            results[worker_id] = MemberResult(worker_id, "rejected", reason)
            continue
        remaining -= cost
        member = existing.get(worker_id)
        if member is None:
            session.add(
                AgreementMember(
                    agreement_id=agreement.id,
                    worker_id=worker_id,
                    status=MemberStatus.active,
                    added_at=now,
                    first_period_idx=first_idx,
                )
            )
        else:
            member.status = check_transition(MemberStatus, member.status, MemberStatus.active)
            member.added_at, member.removed_at = now, None
            # Months billed before the earlier removal stay billed (the unbilled check skips them).
            member.first_period_idx = min(member.first_period_idx, first_idx)
            member.last_period_idx = None
        results[worker_id] = MemberResult(worker_id, "added", cost_idr=cost)
    session.flush()
    return [results[worker_id] for worker_id in ordered]


def temporary_id_overdue(worker: RegistryWorker, now: dt.datetime | None = None) -> bool:
    """A worker still without a NIK whose 90-day temporary id is past its deadline in the village's zone
    (the deadline day itself still counts)."""
    if worker.temporary_id_expires_on is None:
        return False
    return today_in_area(worker.village_code, now=now) > worker.temporary_id_expires_on


def claim_months(session: Session, agreement: FundingAgreement, worker_id: str, first_idx: int) -> bool:
    """Record the months from ``first_idx`` this agreement funds the worker; ``False`` when another
    agreement funds any of them (the primary key decides, also between two concurrent requests)."""
    try:
        with session.begin_nested():
            session.execute(
                text(f"""
                INSERT INTO funded_months (worker_id, period_idx, agreement_id)
                SELECT CAST(:w AS VARCHAR(64)), a.start_idx + o.n, a.id FROM funding_agreements a
                JOIN ({MONTH_OFFSETS_SQL}) o ON a.start_idx + o.n <= a.end_idx AND a.start_idx + o.n >= :first
                WHERE a.id = :a
                  AND NOT EXISTS (SELECT 1 FROM funded_months f WHERE f.worker_id = CAST(:w AS VARCHAR(64))
                                  AND f.period_idx = a.start_idx + o.n AND f.agreement_id = a.id)
                """),
                {"w": worker_id, "a": agreement.id, "first": first_idx},
            )
    except IntegrityError:
        return False
    return True


def release_months(
    session: Session, agreement_id: int, worker_id: str | None = None, *, after_idx: int = -1
) -> None:
    """Free the months after ``after_idx`` not yet invoiced (the worker left, or the agreement ended),
    so another agreement may fund them."""
    worker_filter = "AND worker_id = :w" if worker_id is not None else ""
    session.execute(
        text(f"""
        DELETE FROM funded_months WHERE agreement_id = :a {worker_filter} AND period_idx > :after
          AND period_idx NOT IN (SELECT i.period_idx FROM invoices i
                                 WHERE i.agreement_id = :a AND i.status <> 'void')
        """),
        {"a": agreement_id, "w": worker_id, "after": after_idx},
    )


def end_memberships(session: Session, worker_id: str, *, effective_date: dt.date, reason: str) -> int:
    """End every active membership of a worker who died, moved or withdrew (the registry's fact, so it
    may lie in the past): billed through the month of ``effective_date``; later invoiced months credited."""
    credited = 0
    agreements = session.scalars(
        select(FundingAgreement)
        .join(AgreementMember, AgreementMember.agreement_id == FundingAgreement.id)
        .where(AgreementMember.worker_id == worker_id, AgreementMember.status == "active")
        .order_by(FundingAgreement.id)
    ).all()
    for agreement in agreements:
        credited += remove_member(
            session, agreement, worker_id, reason=reason, effective_date=effective_date, may_backdate=True
        )
    return credited


def remove_member(
    session: Session,
    agreement: FundingAgreement,
    worker_id: str,
    *,
    reason: str,
    effective_date: dt.date,
    may_backdate: bool = False,
) -> int:
    """Take a worker off the roster from ``effective_date``: the month it falls in stays payable (a
    worker who died on the 10th was covered that month), and only months after it that were already
    invoiced get credit notes, for their unpaid part (paid amounts are never credited: no refunds here).

    Only the agency (``may_backdate``) may end a membership before today, which credits past months; a
    village cannot wipe what it owes for months already covered. Returns the rupiah credited.
    """
    today = today_in_area(agreement.village_code)
    if effective_date < today and not may_backdate:
        raise ValidationProblem.single("effective_date", Message("funding.backdate"))
    effective_idx = period_index(Period.of(effective_date))
    lock_agreement(session, agreement)
    member = session.scalars(
        select(AgreementMember).where(
            AgreementMember.agreement_id == agreement.id,
            AgreementMember.worker_id == worker_id,
            AgreementMember.status == "active",
        )
    ).first()
    if member is None:
        raise AgreementNotFound(Message("funding.not_on_roster", worker_id=worker_id))
    member.status = check_transition(MemberStatus, member.status, MemberStatus.removed)
    member.removed_at = utcnow()
    member.last_period_idx = effective_idx
    release_months(session, agreement.id, worker_id, after_idx=effective_idx)
    credited = credit_months_after(session, agreement, worker_id, effective_idx, reason)
    session.execute(
        update(FundingAgreement).where(FundingAgreement.id == agreement.id).values(updated_at=utcnow())
    )
    session.flush()
    return credited


def credit_months_after(
    session: Session, agreement: FundingAgreement, worker_id: str, after_idx: int, reason: str
) -> int:
    """Credit notes for what the worker still owes on the agreement's open invoices of months after
    ``after_idx``; returns the rupiah credited.

    Locks the invoices (id order) before their lines, as payments do, so a payment and a removal at the
    same time queue instead of deadlocking. An invoice never gets more credit than it still has
    outstanding: money already paid to it (even an amount short of a whole worker-month) stays paid.
    """
    from services.funding.payments import PAYABLE_STATUSES, allocate, outstanding, settle_statuses

    open_invoices = session.scalars(
        select(Invoice)
        .where(
            Invoice.agreement_id == agreement.id,
            Invoice.period_idx > after_idx,
            Invoice.status.in_(PAYABLE_STATUSES),
        )
        .order_by(Invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if not open_invoices:
        return 0
    lines = session.scalars(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id.in_([i.id for i in open_invoices]), InvoiceLine.worker_id == worker_id)
        .order_by(InvoiceLine.invoice_id, InvoiceLine.line_no.desc())
    ).all()
    now = utcnow()
    total = 0
    touched: list[int] = []
    for invoice in open_invoices:
        # The worker's unpaid lines, last programme first, credited up to what the invoice still owes.
        room = outstanding(invoice)
        given = 0
        for line in (line for line in lines if line.invoice_id == invoice.id):
            take = min(line.amount_idr - line.paid_idr - line.credited_idr, room - given)
            if take > 0:
                line.credited_idr += take
                given += take
        if given > 0:
            session.add(
                CreditNote(
                    invoice_id=invoice.id,
                    worker_id=worker_id,
                    amount_idr=given,
                    reason=reason,
                    created_at=now,
                )
            )
            touched.append(invoice.id)
            total += given
    session.flush()
    if touched:
        session.execute(
            text("""
            UPDATE invoices SET credited_idr = (SELECT COALESCE(SUM(l.credited_idr), 0) FROM invoice_lines l
                                                WHERE l.invoice_id = invoices.id),
                                version = version + 1, updated_at = :now
            WHERE id IN :ids
            """).bindparams(bindparam("ids", expanding=True), bindparam("now", type_=UTCDateTime())),
            {"ids": touched, "now": utcnow()},
        )
        allocate(session, touched)
        settle_statuses(session, invoice_ids=touched)
        invoices.forget_loaded(session)
    return total


def list_statement(
    principal: Principal, *, village_code: str | None, fiscal_year: int | None, status: AgreementStatus | None
) -> Select[FundingAgreement]:
    """Agreements the principal may see, narrowed by the given filters (unpaginated)."""
    statement = select(FundingAgreement)
    allowed = principal.village_filter()
    if allowed is not None:
        statement = statement.where(FundingAgreement.village_code.in_(allowed))
    if village_code:
        statement = statement.where(FundingAgreement.village_code == village_code)
    if fiscal_year:
        statement = statement.where(FundingAgreement.fiscal_year == fiscal_year)
    if status:
        statement = statement.where(FundingAgreement.status == status)
    return statement
