"""Statuses of agreements, invoices and roster members, with the one table of moves each allows.

Agreements: ``draft`` → ``active`` → ``ended`` (terms change while not ended; ended is terminal).
Invoices: ``draft`` → ``issued`` (billing run) → ``partially_paid`` → ``paid``; ``issued`` → ``overdue``
after the due date, and an overdue invoice is still paid in part or in full; an unpaid ``draft``,
``issued`` or ``overdue`` invoice may become ``void``. ``paid`` and ``void`` are terminal.
Members: ``active`` ↔ ``removed`` (a removed worker may be added to the roster again).

Python code changes a status through :func:`check_transition`; SQL that sets statuses in bulk restricts
its ``WHERE`` to the statuses the table allows it to move from.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from services.common.messages import Message, Phrase
from services.funding.exceptions import InvalidState


class AgreementStatus(StrEnum):
    draft = "draft"
    active = "active"
    ended = "ended"


class InvoiceStatus(StrEnum):
    draft = "draft"
    issued = "issued"
    partially_paid = "partially_paid"
    paid = "paid"
    overdue = "overdue"
    void = "void"


class MemberStatus(StrEnum):
    active = "active"
    removed = "removed"


class PaymentMethod(StrEnum):
    bank_transfer = "bank_transfer"
    virtual_account = "virtual_account"
    cash = "cash"
    giro = "giro"


S = TypeVar("S", bound=StrEnum)
A, Inv, M = AgreementStatus, InvoiceStatus, MemberStatus

AGREEMENT_ALLOWED: dict[AgreementStatus, frozenset[AgreementStatus]] = {
    A.draft: frozenset({A.active}),
    A.active: frozenset({A.ended}),
    A.ended: frozenset(),
}
INVOICE_ALLOWED: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    Inv.draft: frozenset({Inv.issued, Inv.void}),
    Inv.issued: frozenset({Inv.partially_paid, Inv.paid, Inv.overdue, Inv.void}),
    Inv.overdue: frozenset({Inv.partially_paid, Inv.paid, Inv.void}),
    Inv.partially_paid: frozenset({Inv.paid}),
    Inv.paid: frozenset(),
    Inv.void: frozenset(),
}
MEMBER_ALLOWED: dict[MemberStatus, frozenset[MemberStatus]] = {
    M.active: frozenset({M.removed}),
    M.removed: frozenset({M.active}),
}
ALLOWED: dict[type[StrEnum], Mapping[Any, frozenset[Any]]] = {
    AgreementStatus: AGREEMENT_ALLOWED,
    InvoiceStatus: INVOICE_ALLOWED,
    MemberStatus: MEMBER_ALLOWED,
}

# Invoices a payment may still be applied to (and whose status settles after one).
PAYABLE: frozenset[InvoiceStatus] = frozenset({Inv.issued, Inv.overdue, Inv.partially_paid})


def can_transition(kind: type[S], current: str, target: S) -> bool:
    return target in ALLOWED[kind][kind(current)]


def check_transition(kind: type[S], current: str, target: S, detail: str | None = None) -> S:
    """Return ``target`` if ``current`` may move to it; otherwise a 409 (InvalidState)."""
    if not can_transition(kind, current, target):
        raise InvalidState(
            detail or Message("funding.transition", current=current, noun=_noun(kind), target=target.value)
        )
    return target


_NOUNS: dict[type[StrEnum], Phrase] = {
    AgreementStatus: Phrase("perjanjian", "agreement"),
    InvoiceStatus: Phrase("tagihan", "invoice"),
    MemberStatus: Phrase("peserta perjanjian", "roster member"),
}


def _noun(kind: type[StrEnum]) -> Phrase:
    return _NOUNS[kind]
