"""Migrations are the only way schemas are made: upgrade from empty must equal the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from services.common.db import create_db_engine
from services.common.migrations import COMPONENTS, current_revision, head_revision, upgrade, version_table
from tests.support import DatabaseFactory, component_metadata


@pytest.mark.parametrize("component", COMPONENTS)
def test_upgrade_from_empty_matches_the_models(
    databases: DatabaseFactory, backend: str, component: str
) -> None:
    url = databases.url(component, backend, fresh=True, load_areas=False)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            assert current_revision(connection, component) == head_revision(component)
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        not (type_ == "table" and name is not None and name.startswith("alembic_version"))
                    ),
                },
            )
            diff = compare_metadata(context, component_metadata(component))
        assert diff == [], f"{component} models and migrations differ: {diff}"
    finally:
        engine.dispose()


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_has_its_own_version_table(
    databases: DatabaseFactory, backend: str, component: str
) -> None:
    url = databases.url(component, backend, fresh=True, load_areas=False)
    upgrade(component, url)  # a second upgrade is a no-op
    engine = create_db_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert version_table(component) in tables
        assert not {version_table(other) for other in COMPONENTS if other != component} & tables
    finally:
        engine.dispose()
