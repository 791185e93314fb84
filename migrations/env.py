"""Alembic environment shared by every component; each has its own branch, database and version table."""

from __future__ import annotations

import importlib
import os
from typing import Any

from alembic import context
from sqlalchemy import MetaData

from services.common.db import create_db_engine
from services.common.migrations import version_table

config = context.config

_METADATA = {
    "registry": ("services.registry.models", "RegistryBase"),
    "funding": ("services.funding.models", "FundingBase"),
    "outreach": ("services.outreach.models", "OutreachBase"),
    "webhooks": ("services.webhooks.models", "WebhooksBase"),
    "gateway": ("gateway.models", "GatewayBase"),
}
_SETTINGS = {
    "registry": ("services.registry.config", "RegistrySettings"),
    "funding": ("services.funding.config", "FundingSettings"),
    "outreach": ("services.outreach.config", "OutreachSettings"),
    "webhooks": ("services.webhooks.config", "WebhooksSettings"),
    "gateway": ("gateway.config", "GatewaySettings"),
}


def _component() -> str:
    component = config.attributes.get("component") or os.environ.get("SASAR_COMPONENT")
    if component not in _METADATA:
        raise SystemExit(
            "set the component: sasar migrate, or SASAR_COMPONENT=registry|funding|outreach|webhooks|gateway"
        )
    return str(component)


def _metadata(component: str) -> MetaData:
    module, name = _METADATA[component]
    metadata: MetaData = getattr(importlib.import_module(module), name).metadata
    return metadata


def _url(component: str) -> str:
    url = config.attributes.get("url")
    if url:
        return str(url)
    module, name = _SETTINGS[component]
    return str(getattr(importlib.import_module(module), name)().database_url)


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Other components' version tables (when databases are shared) are not ours to diff.
    return not (type_ == "table" and name is not None and name.startswith("alembic_version"))


def run_migrations() -> None:
    component = _component()
    engine = create_db_engine(_url(component))
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch migrations rebuild a table (copy, drop, rename): with foreign keys enforced, dropping
                # a table other rows refer to fails. Off for the migration (a no-op inside a transaction, so
                # on the driver's connection, before SQLAlchemy begins one), checked once at the end.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            context.configure(
                connection=connection,
                target_metadata=_metadata(component),
                version_table=version_table(component),
                compare_type=True,
                render_as_batch=sqlite,
                include_object=_include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"migration left rows whose foreign keys point nowhere: {broken[:5]}"
                        )
            connection.commit()
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations()
