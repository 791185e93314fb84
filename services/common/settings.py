"""Settings shared by every component, read from the environment (pydantic-settings).

Each component subclasses :class:`ComponentSettings` with its own prefix (``SASAR_REGISTRY_`` …);
the few settings that every component shares (``SASAR_ENV``, ``SASAR_INTERNAL_SECRET``,
``SASAR_LOG_LEVEL``) keep their global names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from services.common.timeutil import PINNED_TODAY_ENV, pinned_today

# Development defaults. The production profile refuses to start while any of these is in use.
DEFAULT_INTERNAL_SECRET = "dev-internal-secret-change-me-0123456789"

Environment = Literal["development", "test", "production"]

HOME_ENV = "SASAR_HOME"
# The checkout (editable install): where `make run` has always kept var/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def state_home() -> Path:
    """Where local state (the SQLite files under var/) lives: ``SASAR_HOME`` if set, else the project.

    Never the current directory, so ``sasar`` run from anywhere finds the same databases."""
    configured = os.environ.get(HOME_ENV, "").strip()
    return Path(configured).expanduser().resolve() if configured else PROJECT_ROOT


def anchor_sqlite_url(url: str, home: Path | None = None) -> str:
    """A SQLite URL with a relative file path made absolute under ``home`` (default :func:`state_home`);
    every other URL (PostgreSQL, in-memory, already absolute) unchanged."""
    if not url.startswith("sqlite"):
        return url
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:") or Path(database).is_absolute():
        return url
    anchored = (home or state_home()) / database
    return parsed.set(database=str(anchored)).render_as_string(hide_password=False)


class ComponentSettings(BaseSettings):
    """Settings every component (service or gateway) has."""

    # populate_by_name: code and tests may pass `env=`, `internal_secret=` directly.
    model_config = SettingsConfigDict(extra="ignore", env_file=None, populate_by_name=True)

    component: str = "component"
    env: Environment = Field(default="development", validation_alias=AliasChoices("SASAR_ENV"))
    internal_secret: SecretStr = Field(
        default=SecretStr(DEFAULT_INTERNAL_SECRET), validation_alias=AliasChoices("SASAR_INTERNAL_SECRET")
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("SASAR_LOG_LEVEL"))
    log_json: bool = Field(default=True, validation_alias=AliasChoices("SASAR_LOG_JSON"))
    database_url: str = "sqlite:///var/component.db"
    # When set, GET /metrics needs `Authorization: Bearer <token>` (Prometheus' bearer_token).
    metrics_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SASAR_METRICS_TOKEN")
    )
    # Where clients reach the gateway: the OpenAPI document's ``servers`` and the base of problem ``type``
    # URIs. Unset, ``servers`` follows the request and problem types use http://127.0.0.1:8000.
    public_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SASAR_PUBLIC_BASE_URL"), pattern=r"^https?://[^\s?#]+$"
    )

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production (empty when fit)."""
        problems: list[str] = []
        if self.internal_secret.get_secret_value() == DEFAULT_INTERNAL_SECRET:
            problems.append("SASAR_INTERNAL_SECRET is the development default")
        elif len(self.internal_secret.get_secret_value()) < 32:
            problems.append("SASAR_INTERNAL_SECRET must be at least 32 characters")
        if self.database_url.startswith("sqlite"):
            problems.append(f"{self.component} database is SQLite; production needs PostgreSQL")
        if pinned_today() is not None:
            problems.append(f"{PINNED_TODAY_ENV} pins the business date (tests and demos only)")
        return problems

    @model_validator(mode="after")
    def _anchor_local_database(self) -> ComponentSettings:
        self.database_url = anchor_sqlite_url(self.database_url)
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> ComponentSettings:
        if self.env == "production":
            problems = self.production_problems()
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self
