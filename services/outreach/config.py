"""Outreach settings (prefix ``SASAR_OUTREACH_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings


class OutreachSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SASAR_OUTREACH_", extra="ignore")

    component: str = "outreach"
    database_url: str = "sqlite:///var/outreach.db"
    # Where lead conversion registers workers and where worker counts come from.
    registry_url: str = "http://127.0.0.1:8001"
    registry_timeout_seconds: float = 10.0
    # "local" (default): the counts table as registry events keep it (services/outreach/events.py);
    # "registry": also refresh it from the registry's counts on each progress request (a repair tool
    # for a copy that missed events, e.g. restored from an older backup).
    counts_source: Literal["registry", "local"] = "local"


@lru_cache(maxsize=1)
def get_settings() -> OutreachSettings:
    return OutreachSettings()
