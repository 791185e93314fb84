"""Registry settings (prefix ``SASAR_REGISTRY_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings


class RegistrySettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SASAR_REGISTRY_", extra="ignore")

    component: str = "registry"
    database_url: str = "sqlite:///var/registry.db"


@lru_cache(maxsize=1)
def get_settings() -> RegistrySettings:
    return RegistrySettings()
