"""Registry settings (prefix ``SASAR_REGISTRY_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings


class RegistrySettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SASAR_REGISTRY_", extra="ignore")

    component: str = "registry"
    database_url: str = "sqlite:///var/registry.db"
    # Outreach owns officers' assignments: officer writes are confirmed there (outreach_client.py).
    outreach_url: str = "http://127.0.0.1:8003"
    outreach_timeout_seconds: float = 5.0
    # How long an answer is reused; at most 30 s, the longest an ended assignment may still write.
    officer_check_ttl_seconds: float = Field(default=20.0, ge=0, le=30)


@lru_cache(maxsize=1)
def get_settings() -> RegistrySettings:
    return RegistrySettings()
