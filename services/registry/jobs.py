"""The registry's durable jobs: worker imports run by ``sasar worker --component registry``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.common import jobs
from services.common.errors import NotFound
from services.common.messages import Message
from services.common.principal import Principal, PrincipalKind
from services.common.worker import JobContext, JobFailed, JobService
from services.registry import imports
from services.registry.models import WorkerImport, WorkerImportFile, jobs_table

PREFIX = "reg"
IMPORT = "registry.import"


def principal_payload(principal: Principal) -> dict[str, Any]:
    """The importer, as the job needs it to apply the same village rules later (no secret in it)."""
    return {
        "kind": principal.kind.value,
        "subject": principal.subject,
        "villages": sorted(principal.villages),
        "scopes": sorted(principal.scopes),
        "name": principal.name,
    }


def principal_of(payload: dict[str, Any]) -> Principal:
    return Principal(
        kind=PrincipalKind(payload["kind"]),
        subject=payload["subject"],
        villages=frozenset(payload["villages"]),
        scopes=frozenset(payload["scopes"]),
        name=payload.get("name"),
    )


def enqueue_import(session: Session, principal: Principal, record: WorkerImport) -> jobs.Job:
    """Queue the processing of ``record`` in the transaction that created it."""
    job = jobs.enqueue(
        session,
        jobs_table,
        prefix=PREFIX,
        kind=IMPORT,
        payload={"import_id": record.id, "principal": principal_payload(principal)},
        actor=principal.actor,
        village_code=record.village_code,
    )
    record.job_id = job.id
    return job


def import_result(record: WorkerImport) -> dict[str, Any]:
    return {
        "import_id": record.id,
        "status": record.status,
        "total": record.total,
        "accepted": record.accepted,
        "rejected": record.rejected,
        "duplicate_existing": record.duplicate_existing,
        "duplicate_in_file": record.duplicate_in_file,
        "error": record.error,
    }


def run_import_job(context: JobContext) -> None:
    import_id = str(context.job.payload["import_id"])
    with context.transaction() as session:
        file = session.get(WorkerImportFile, import_id)
        record = session.get(WorkerImport, import_id)
        if record is None:
            raise JobFailed(
                jobs.problem("Import not found", f"import {import_id} does not exist", status=404)
            )
        if file is None:  # already finished by an attempt whose job update was lost
            context.finish(session, import_result(record))
            return
        content = file.content

    def finished(session: Session, record: WorkerImport) -> None:
        if record.status == imports.ImportStatus.failed:
            errors = [{"field": "file", "reason": record.error or "unreadable"}]
            context.fail(session, jobs.problem("Import failed", record.error or "", errors=errors))
        else:
            context.finish(session, import_result(record))

    imports.run_import(
        context.database.sessions,
        import_id,
        content,
        principal_of(context.job.payload["principal"]),
        on_progress=lambda session, done, total: context.progress(session, done, total),
        on_finish=finished,
    )


def _import_job_failed(session: Session, job: jobs.Job) -> None:
    detail = (job.error or {}).get("detail", "the import job failed")
    imports.fail_import(session, str(job.payload["import_id"]), str(detail))


SERVICE = JobService(
    name="registry",
    prefix=PREFIX,
    table=jobs_table,
    handlers={IMPORT: run_import_job},
    on_failed=_import_job_failed,
)


def get_job(session: Session, principal: Principal, job_id: str) -> jobs.Job:
    """A registry job, visible to whoever may see its import (another village's answers 404)."""
    job = jobs.get_job(session, jobs_table, job_id)
    if job is None:
        raise NotFound(Message("jobs.not_found", job_id=job_id))
    if job.kind == IMPORT:
        try:
            imports.get_import(session, principal, str(job.payload["import_id"]))
        except NotFound:
            raise NotFound(Message("jobs.not_found", job_id=job_id)) from None
        return job
    raise NotFound(Message("jobs.not_found", job_id=job_id))
