"""The gateway sends ``/v1/jobs/{id}`` to the service named by the id's prefix."""

from __future__ import annotations

from gateway.routing import service_for_path


def test_job_ids_route_by_prefix() -> None:
    assert service_for_path("/v1/jobs/reg_0b5e6c1e-8f1d-4a57-9d7b-3f0e6c2a9b11") == "registry"
    assert service_for_path("/v1/jobs/fun_0b5e6c1e-8f1d-4a57-9d7b-3f0e6c2a9b11") == "funding"
    # The path template (merged OpenAPI) and unknown prefixes go to the registry, which answers 404/422.
    assert service_for_path("/v1/jobs/{job_id}") == "registry"
    assert service_for_path("/v1/jobs/xyz_1") == "registry"
    assert service_for_path("/v1/jobs") is None
    assert service_for_path("/v1/billing-runs") == "funding"
