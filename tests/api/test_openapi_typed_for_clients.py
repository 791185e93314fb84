"""What the generated client (tests/e2e/test_generated_client.py) needed from the public document:
typed sync items, the grant types as an enum, the agreement's enums on the way out, a typed job error,
and each enum as one named schema (one generated type) instead of an inline copy per field.

Each fix is checked in the merged document (built in process, as the gateway merges it), and the
behaviour behind it is checked to be unchanged where the document now says more than the code checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gateway.openapi import merge_documents
from services.common import jobs
from tests.api.test_openapi_document import SERVICES, _documents


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    documents = _documents()
    return merge_documents(documents["gateway"], {name: documents[name] for name in SERVICES})


@pytest.fixture(scope="module")
def schemas(merged: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = merged["components"]["schemas"]
    return found


def _enum(schemas: dict[str, Any], prop: dict[str, Any]) -> list[str]:
    for candidate in (prop, *prop.get("anyOf", []), *prop.get("allOf", [])):
        if "$ref" in candidate:
            return list(schemas[candidate["$ref"].rsplit("/", 1)[-1]]["enum"])
        if "enum" in candidate:
            return list(candidate["enum"])
    raise AssertionError(f"not an enum: {prop}")


def test_sync_items_are_documented_by_their_schemas(schemas: dict[str, Any]) -> None:
    # Loose at runtime (each item is judged alone) but no longer `items: {}` in the document, so a
    # generated client builds typed attendance and lead items.
    sync_in = schemas["SyncIn"]["properties"]
    assert sync_in["attendance"]["items"] == {"$ref": "#/components/schemas/AttendanceSyncItem"}
    assert sync_in["leads"]["items"] == {"$ref": "#/components/schemas/LeadSyncItem"}
    assert sync_in["leads"]["maxItems"] == 5000
    lead = schemas["LeadSyncItem"]
    assert set(lead["required"]) == {"client_id", "village_code", "name", "consent_given_at"}
    assert lead["properties"]["client_id"]["format"] == "uuid"
    attendance = schemas["AttendanceSyncItem"]
    assert set(attendance["required"]) == {"client_id", "session_id", "name"}


def test_grant_type_is_an_enum_of_the_three_grants(schemas: dict[str, Any]) -> None:
    grant_type = schemas["TokenRequest"]["properties"]["grant_type"]
    assert grant_type["enum"] == ["password", "client_credentials", "refresh_token"]
    assert "grant_type" in schemas["TokenRequest"]["required"]
    # tests/api/gateway/test_tokens.py keeps the answer to any other grant: OAuth's unsupported_grant_type.


def test_an_agreement_is_answered_with_its_enums(schemas: dict[str, Any]) -> None:
    out = schemas["FundingAgreementOut"]["properties"]
    assert _enum(schemas, out["source"]) == ["dana_desa", "apbd_kelurahan", "csr", "other"]
    assert _enum(schemas, out["programs"]["items"]) == ["JKK", "JKM", "JHT"]
    # The same values the agreement is created with.
    created = schemas["FundingAgreementIn"]["properties"]
    assert _enum(schemas, created["source"]) == _enum(schemas, out["source"])


def test_a_failed_jobs_error_is_typed(schemas: dict[str, Any]) -> None:
    error = schemas["JobOut"]["properties"]["error"]
    assert {"$ref": "#/components/schemas/JobError"} in error["anyOf"]
    job_error = schemas["JobError"]
    assert set(job_error["required"]) == {"title", "status", "detail"}
    assert job_error["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldErrorModel"}


def _job(error: dict[str, Any] | None) -> jobs.Job:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return jobs.Job(
        id="fun_x",
        kind="billing",
        status=(jobs.JobStatus.failed if error else jobs.JobStatus.succeeded).value,
        actor="client:test",
        village_code=None,
        payload={},
        progress_done=0,
        progress_total=None,
        result=None if error else {"invoices_issued": 0},
        error=error,
        attempts=1,
        max_attempts=3,
        owner=None,
        heartbeat_at=None,
        run_after=now,
        created_at=now,
        started_at=now,
        finished_at=now,
    )


def test_every_stored_job_error_reads_as_a_job_error() -> None:
    # What the workers store (jobs.problem, the sweeper's STALE_ERROR) is what the document promises.
    failed = jobs.job_out(
        _job(
            jobs.problem(
                "No rate schedule", "no schedule for 2020-01", errors=[{"field": "period", "reason": "x"}]
            )
        )
    )
    assert failed.error is not None
    assert (failed.error.title, failed.error.status, failed.error.detail) == (
        "No rate schedule",
        422,
        "no schedule for 2020-01",
    )
    assert [(e.field, e.reason) for e in failed.error.errors] == [("period", "x")]
    stale = jobs.job_out(_job(jobs.STALE_ERROR)).model_dump(mode="json")["error"]
    assert stale == {**jobs.STALE_ERROR, "errors": []}
    assert jobs.job_out(_job(None)).error is None


def test_programs_and_sex_are_one_named_schema_each(schemas: dict[str, Any]) -> None:
    # One `Program` and one `Sex` shared by every service's operations (a generated client gets one type
    # each, not one per field), and no inline copy of either left behind.
    assert schemas["Program"] == {"type": "string", "enum": ["JKK", "JKM", "JHT"]}
    assert schemas["Sex"] == {"type": "string", "enum": ["M", "F"]}
    program_ref = {"$ref": "#/components/schemas/Program"}
    for schema in ("WorkerCreate", "WorkerOut", "FundingAgreementIn", "FundingAgreementOut", "LeadConvertIn"):
        assert schemas[schema]["properties"]["programs"]["items"] == program_ref, schema
    assert schemas["WorkerOut"]["properties"]["sex"] == {"$ref": "#/components/schemas/Sex"}
    assert {"$ref": "#/components/schemas/Sex"} in schemas["LeadConvertIn"]["properties"]["sex"]["anyOf"]

    def inline_enums(node: Any) -> list[list[str]]:
        if isinstance(node, dict):
            found = [node["enum"]] if "enum" in node else []
            return found + [e for value in node.values() for e in inline_enums(value)]
        if isinstance(node, list):
            return [e for item in node for e in inline_enums(item)]
        return []

    others = {name: schema for name, schema in schemas.items() if name not in ("Program", "Sex")}
    assert ["JKK", "JKM", "JHT"] not in inline_enums(others)
    assert ["M", "F"] not in inline_enums(others)


def test_no_enum_is_written_out_twice(merged: dict[str, Any], schemas: dict[str, Any]) -> None:
    # An enum written inline becomes one generated type per field (`PaymentInMethod` beside
    # `PaymentMethod`); each set of values is one named schema, referred to wherever it is used.
    named = {tuple(schema["enum"]): name for name, schema in schemas.items() if "enum" in schema}
    inline: dict[tuple[str, ...], list[str]] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "enum" in node:
                inline.setdefault(tuple(node["enum"]), []).append(where)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]")

    walk(merged["paths"], "paths")
    for name, schema in schemas.items():
        if "enum" not in schema:
            walk(schema, name)
    assert {values: where for values, where in inline.items() if values in named} == {}
    assert {values: where for values, where in inline.items() if len(where) > 1} == {}

    def refers(schema: str, field: str, to: str) -> bool:
        prop = schemas[schema]["properties"][field]
        return {"$ref": f"#/components/schemas/{to}"} in [prop, *prop.get("anyOf", [])]

    assert refers("PaymentIn", "method", "PaymentMethod")
    assert refers("WorkerArrearsOut", "status", "WorkerStatus")
    assert refers("LeadSyncItem", "occupation", "WorkerOccupation")
    assert refers("LeadConvertIn", "funding", "WorkerFunding")
    assert refers("DuplicateCandidateOut", "status", "DuplicateCandidateStatus")
    assert refers("WorkerImportOut", "status", "WorkerImportStatus")
    assert refers("WorkerImportRowOut", "result", "WorkerImportRowResult")
    assert refers("FundingAgreementPatch", "source", "AgreementSource")


def test_the_calendar_feed_is_documented_as_text(merged: dict[str, Any]) -> None:
    # Without a schema a generated client returns None for the feed; with one, its text.
    answer = merged["paths"]["/v1/officers/{officer_id}/calendar.ics"]["get"]["responses"]["200"]
    assert answer["content"] == {"text/calendar": {"schema": {"type": "string"}}}
    for path, item in merged["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                for media, content in response.get("content", {}).items():
                    assert content.get("schema"), (method, path, status, media)
