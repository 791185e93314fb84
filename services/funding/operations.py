"""Funding's operations as the public OpenAPI document names them, and who may call each (the rules
live in access.py; this table documents them)."""

from __future__ import annotations

from services.common.openapi import AUTHENTICATED, VILLAGE, OperationKey, OperationTable, internal

READERS = (VILLAGE, *internal("funding:admin", "reports:read"))
WRITERS = (VILLAGE, *internal("funding:admin"))
ADMIN = internal("funding:admin")
INTERNAL_READERS = internal("funding:admin", "reports:read")

OPERATION_IDS: dict[OperationKey, str] = {
    ("GET", "/v1/rate-schedules"): "rate_schedules_list",
    ("POST", "/v1/rate-schedules/{code}/versions"): "rate_schedules_versions_create",
    ("POST", "/v1/contribution-quotes"): "contribution_quotes_create",
    ("POST", "/v1/funding-agreements"): "funding_agreements_create",
    ("GET", "/v1/funding-agreements"): "funding_agreements_list",
    ("GET", "/v1/funding-agreements/{agreement_id}"): "funding_agreements_get",
    ("PATCH", "/v1/funding-agreements/{agreement_id}"): "funding_agreements_update",
    ("POST", "/v1/funding-agreements/{agreement_id}/activate"): "funding_agreements_activate",
    ("POST", "/v1/funding-agreements/{agreement_id}/end"): "funding_agreements_end",
    ("POST", "/v1/funding-agreements/{agreement_id}/members"): "funding_agreements_members_add",
    ("DELETE", "/v1/funding-agreements/{agreement_id}/members/{worker_id}"): (
        "funding_agreements_members_remove"
    ),
    ("POST", "/v1/funding-agreements/{agreement_id}/back-billing-runs"): "back_billing_runs_create",
    ("POST", "/v1/billing-runs"): "billing_runs_create",
    ("GET", "/v1/billing-runs/{run_id}"): "billing_runs_get",
    ("GET", "/v1/jobs/{job_id}"): "jobs_get",
    ("POST", "/v1/invoices/overdue-runs"): "invoices_overdue_runs_create",
    ("POST", "/v1/invoices/lapse-runs"): "invoices_lapse_runs_create",
    ("GET", "/v1/invoices"): "invoices_list",
    ("GET", "/v1/invoices/export"): "invoices_export",
    ("GET", "/v1/invoices/{invoice_id}"): "invoices_get",
    ("GET", "/v1/invoices/{invoice_id}/printable"): "invoices_printable_get",
    ("POST", "/v1/invoices/{invoice_id}/void"): "invoices_void",
    ("POST", "/v1/payments"): "payments_create",
    ("GET", "/v1/payments"): "payments_list",
    ("GET", "/v1/payments/export"): "payments_export",
    ("GET", "/v1/villages/{code}/statement"): "villages_statement_get",
    ("GET", "/v1/villages/{code}/statement/export"): "villages_statement_export",
    ("GET", "/v1/villages/{code}/arrears"): "villages_arrears_list",
    ("GET", "/v1/villages/{code}/budget-exhausted"): "villages_budget_exhausted_get",
    ("GET", "/v1/villages/{code}/agreements-ending"): "villages_agreements_ending_list",
}

SECURITY: dict[OperationKey, tuple[str, ...]] = {
    ("GET", "/v1/rate-schedules"): AUTHENTICATED,
    ("POST", "/v1/rate-schedules/{code}/versions"): ADMIN,
    ("POST", "/v1/contribution-quotes"): AUTHENTICATED,
    ("POST", "/v1/funding-agreements"): WRITERS,
    ("GET", "/v1/funding-agreements"): READERS,
    ("GET", "/v1/funding-agreements/{agreement_id}"): READERS,
    ("PATCH", "/v1/funding-agreements/{agreement_id}"): WRITERS,
    ("POST", "/v1/funding-agreements/{agreement_id}/activate"): WRITERS,
    ("POST", "/v1/funding-agreements/{agreement_id}/end"): WRITERS,
    ("POST", "/v1/funding-agreements/{agreement_id}/members"): WRITERS,
    ("DELETE", "/v1/funding-agreements/{agreement_id}/members/{worker_id}"): WRITERS,
    ("POST", "/v1/funding-agreements/{agreement_id}/back-billing-runs"): ADMIN,
    ("POST", "/v1/billing-runs"): ADMIN,
    ("GET", "/v1/billing-runs/{run_id}"): INTERNAL_READERS,
    # A job is shown to whoever may see what it works on.
    ("GET", "/v1/jobs/{job_id}"): AUTHENTICATED,
    ("POST", "/v1/invoices/overdue-runs"): ADMIN,
    ("POST", "/v1/invoices/lapse-runs"): ADMIN,
    ("GET", "/v1/invoices"): READERS,
    ("GET", "/v1/invoices/export"): READERS,
    ("GET", "/v1/invoices/{invoice_id}"): READERS,
    ("GET", "/v1/invoices/{invoice_id}/printable"): READERS,
    ("POST", "/v1/invoices/{invoice_id}/void"): ADMIN,
    ("POST", "/v1/payments"): WRITERS,
    ("GET", "/v1/payments"): READERS,
    ("GET", "/v1/payments/export"): READERS,
    ("GET", "/v1/villages/{code}/statement"): READERS,
    ("GET", "/v1/villages/{code}/statement/export"): READERS,
    ("GET", "/v1/villages/{code}/arrears"): READERS,
    ("GET", "/v1/villages/{code}/budget-exhausted"): READERS,
    ("GET", "/v1/villages/{code}/agreements-ending"): READERS,
}

OPERATIONS = OperationTable(
    ids=OPERATION_IDS,
    security=SECURITY,
    # routes/payments.py refuses a payment without one (422).
    idempotency_key_required=frozenset({("POST", "/v1/payments")}),
)
