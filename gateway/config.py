"""Gateway settings (prefix ``SASAR_GATEWAY_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings


class GatewaySettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SASAR_GATEWAY_", extra="ignore")

    component: str = "gateway"
    database_url: str = "sqlite:///var/gateway.db"
    registry_url: str = "http://127.0.0.1:8001"
    funding_url: str = "http://127.0.0.1:8002"
    outreach_url: str = "http://127.0.0.1:8003"
    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 30.0
    readiness_timeout_seconds: float = 2.0
    max_body_bytes: int = 32 * 1024 * 1024  # a 100,000-row CSV import fits with room to spare
    upstream_connections: int = 200

    def service_urls(self) -> dict[str, str]:
        return {
            "registry": self.registry_url.rstrip("/"),
            "funding": self.funding_url.rstrip("/"),
            "outreach": self.outreach_url.rstrip("/"),
        }


@lru_cache(maxsize=1)
def get_settings() -> GatewaySettings:
    return GatewaySettings()
