"""Funding settings (prefix ``SASAR_FUNDING_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings


class FundingSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SASAR_FUNDING_", extra="ignore")

    component: str = "funding"
    database_url: str = "sqlite:///var/funding.db"
    registry_url: str = "http://127.0.0.1:8001"  # where rostered workers are looked up


@lru_cache(maxsize=1)
def get_settings() -> FundingSettings:
    return FundingSettings()
