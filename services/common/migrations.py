"""Alembic helpers: one environment (``migrations/``), one version branch and database per component."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from services.common.db import normalise_url

COMPONENTS = ("registry", "funding", "outreach", "webhooks", "gateway")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def version_table(component: str) -> str:
    return f"alembic_version_{component}"


def alembic_config(component: str, url: str) -> Config:
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}")
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "version_locations", " ".join(str(MIGRATIONS_DIR / "versions" / name) for name in COMPONENTS)
    )
    config.attributes["component"] = component
    config.attributes["url"] = normalise_url(url)
    return config


def upgrade(component: str, url: str, revision: str = "heads") -> None:
    target = f"{component}@head" if revision == "heads" else revision
    command.upgrade(alembic_config(component, url), target)


@lru_cache(maxsize=8)
def head_revision(component: str) -> str:
    script = ScriptDirectory.from_config(alembic_config(component, "sqlite://"))
    heads = script.get_revisions(f"{component}@head")
    if len(heads) != 1 or heads[0] is None:
        raise RuntimeError(f"{component} must have exactly one migration head")
    return str(heads[0].revision)


def current_revision(connection: Connection, component: str) -> str | None:
    table = version_table(component)
    if not inspect(connection).has_table(table):
        return None
    row = connection.execute(text(f"SELECT version_num FROM {table}")).first()
    return None if row is None else str(row[0])
