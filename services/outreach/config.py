"""Outreach settings (prefix ``SASAR_OUTREACH_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings


class OutreachSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SASAR_OUTREACH_", extra="ignore")

    component: str = "outreach"
    database_url: str = "sqlite:///var/outreach.db"


@lru_cache(maxsize=1)
def get_settings() -> OutreachSettings:
    return OutreachSettings()
