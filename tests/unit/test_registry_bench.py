"""The import benchmark runs end to end at a tiny scale, so it cannot rot."""

from __future__ import annotations

import pytest

from bench import registry_import


@pytest.mark.postgres
def test_import_bench_small_scale(postgres_url: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    if postgres_url is None:
        pytest.skip("PostgreSQL not reachable")
    result = registry_import.main(["--rows", "300", "--postgres-url", postgres_url])
    assert result.rows == 300 and result.accepted == 300
    assert result.import_seconds > 0 and result.copy_seconds > 0
    output = capsys.readouterr().out
    assert "rows/s" in output and "ratio import / COPY" in output


def test_roster_rows_are_distinct_and_valid() -> None:
    content = registry_import.roster(30_000).decode().splitlines()
    niks = [line.split(",")[0] for line in content[1:]]
    assert len(set(niks)) == 30_000
