"""The registry's operations as the public OpenAPI document names them, and who may call each
(the rules themselves live in access.py and the domain functions; this table documents them)."""

from __future__ import annotations

from services.common.openapi import (
    ANONYMOUS,
    AUTHENTICATED,
    OFFICER,
    VILLAGE,
    OperationKey,
    OperationTable,
    internal,
)

READERS = (VILLAGE, OFFICER, *internal("registry:read", "registry:write"))
WRITERS = (VILLAGE, OFFICER, *internal("registry:write"))
PUBLIC = (ANONYMOUS, *AUTHENTICATED)

OPERATION_IDS: dict[OperationKey, str] = {
    ("GET", "/v1/areas"): "areas_list",
    ("GET", "/v1/areas/{code}"): "areas_get",
    ("GET", "/v1/areas/{code}/children"): "areas_children_list",
    ("POST", "/v1/workers"): "workers_create",
    ("GET", "/v1/workers"): "workers_list",
    ("GET", "/v1/workers/export"): "workers_export",
    ("POST", "/v1/workers/lookup"): "workers_lookup",
    ("GET", "/v1/workers/{worker_id}"): "workers_get",
    ("PATCH", "/v1/workers/{worker_id}"): "workers_update",
    ("POST", "/v1/workers/{worker_id}/deactivate"): "workers_deactivate",
    ("POST", "/v1/workers/{worker_id}/coverage"): "workers_coverage_set",
    ("GET", "/v1/workers/{worker_id}/history"): "workers_history_list",
    ("GET", "/v1/worker-counts"): "worker_counts_get",
    ("POST", "/v1/worker-imports"): "worker_imports_create",
    ("GET", "/v1/worker-imports"): "worker_imports_list",
    ("GET", "/v1/worker-imports/template"): "worker_imports_template_get",
    ("GET", "/v1/worker-imports/{import_id}"): "worker_imports_get",
    ("GET", "/v1/worker-imports/{import_id}/rows"): "worker_imports_rows_list",
    ("GET", "/v1/duplicate-candidates"): "duplicate_candidates_list",
    ("POST", "/v1/duplicate-candidates/{candidate_id}/resolve"): "duplicate_candidates_resolve",
    ("GET", "/v1/jobs/{job_id}"): "jobs_get",
}

SECURITY: dict[OperationKey, tuple[str, ...]] = {
    ("GET", "/v1/areas"): PUBLIC,
    ("GET", "/v1/areas/{code}"): PUBLIC,
    ("GET", "/v1/areas/{code}/children"): PUBLIC,
    ("POST", "/v1/workers"): WRITERS,
    ("GET", "/v1/workers"): READERS,
    ("GET", "/v1/workers/export"): READERS,
    ("POST", "/v1/workers/lookup"): READERS,
    ("GET", "/v1/workers/{worker_id}"): READERS,
    ("PATCH", "/v1/workers/{worker_id}"): WRITERS,
    ("POST", "/v1/workers/{worker_id}/deactivate"): WRITERS,
    ("POST", "/v1/workers/{worker_id}/coverage"): internal("registry:write"),
    ("GET", "/v1/workers/{worker_id}/history"): READERS,
    ("GET", "/v1/worker-counts"): (*READERS, *internal("reports:read")),
    ("POST", "/v1/worker-imports"): WRITERS,
    ("GET", "/v1/worker-imports"): READERS,
    ("GET", "/v1/worker-imports/template"): AUTHENTICATED,
    ("GET", "/v1/worker-imports/{import_id}"): READERS,
    ("GET", "/v1/worker-imports/{import_id}/rows"): READERS,
    ("GET", "/v1/duplicate-candidates"): READERS,
    ("POST", "/v1/duplicate-candidates/{candidate_id}/resolve"): WRITERS,
    # A job is shown to whoever may see what it works on (checked per job kind).
    ("GET", "/v1/jobs/{job_id}"): AUTHENTICATED,
}

OPERATIONS = OperationTable(
    ids=OPERATION_IDS,
    security=SECURITY,
    body_schema_names={("POST", "/v1/worker-imports"): "WorkerImportUpload"},
)
