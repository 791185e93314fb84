"""Funding's migrations build exactly its models (no autogenerate diff), with the seed rows in place."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from services.common.db import create_db_engine
from services.funding.models import FundingBase
from services.funding.rates import seed_rows


def test_migrations_match_models_and_seed(database_url: Callable[[str], str]) -> None:
    engine = create_db_engine(database_url("funding"))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "compare_server_default": False,
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        not (type_ == "table" and name is not None and name.startswith("alembic_version"))
                    ),
                },
            )
            assert compare_metadata(context, FundingBase.metadata) == []
            schedules = connection.execute(text("SELECT id FROM rate_schedules ORDER BY id")).scalars().all()
            assert schedules == [row["id"] for row in seed_rows()["rate_schedules"]]
            discounts = connection.execute(text("SELECT COUNT(*) FROM rate_discounts")).scalar_one()
            assert discounts == len(seed_rows()["rate_discounts"]) == 2
    finally:
        engine.dispose()
