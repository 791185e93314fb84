"""Gateway settings (prefix ``SASAR_GATEWAY_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings

# Development default for signing officer/client access tokens; production refuses it.
DEFAULT_JWT_SECRET = "dev-gateway-jwt-secret-change-me-0123456789"


class GatewaySettings(ComponentSettings):
    # populate_by_name: tests and tools may pass ``redis_url=…`` although its variable is SASAR_REDIS_URL.
    model_config = SettingsConfigDict(env_prefix="SASAR_GATEWAY_", extra="ignore", populate_by_name=True)

    component: str = "gateway"
    database_url: str = "sqlite:///var/gateway.db"
    registry_url: str = "http://127.0.0.1:8001"
    funding_url: str = "http://127.0.0.1:8002"
    outreach_url: str = "http://127.0.0.1:8003"
    webhooks_url: str = "http://127.0.0.1:8004"
    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 30.0
    readiness_timeout_seconds: float = 2.0
    max_body_bytes: int = 32 * 1024 * 1024  # a 100,000-row CSV import fits with room to spare
    upstream_connections: int = 200

    # Tokens issued by POST /v1/auth/token (HS256, PyJWT).
    jwt_secret: SecretStr = SecretStr(DEFAULT_JWT_SECRET)
    jwt_issuer: str = "sasar-gateway"
    jwt_audience: str = "sasar-api"
    access_token_seconds: int = 15 * 60
    refresh_token_days: int = 30

    # Verified API keys are remembered this long per replica; revocation clears the local entry at once,
    # other replicas stop accepting the key within this many seconds.
    api_key_cache_seconds: float = 30.0

    # Officer logins: after this many failures for one (NRP, address) within the window, that pair
    # is refused until the window ends; each failure is answered after a doubling delay.
    login_max_failures: int = 5
    login_failure_window_minutes: int = 15
    login_failure_delay_seconds: float = 0.25
    login_failure_delay_max_seconds: float = 2.0

    # Rate limits "<count>/<second|minute|hour>", per credential (anonymous: per client address).
    rate_limit_village: str = "600/minute"
    rate_limit_officer: str = "300/minute"
    rate_limit_internal: str = "6000/minute"
    rate_limit_anonymous: str = "300/minute"
    rate_limit_login: str = "10/minute"  # token requests per (username or client id, address)
    rate_limit_login_address: str = "30/minute"  # password grants per address, any NRP
    rate_limit_login_global: str = "600/minute"  # password grants overall: bounds argon2 CPU
    # Unknown API keys tried per client address; once exceeded, that address's uncached look-ups are
    # refused until the window ends. Valid keys are never counted (one address may serve many villages).
    rate_limit_key_lookup: str = "60/minute"
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SASAR_REDIS_URL", "SASAR_GATEWAY_REDIS_URL")
    )
    redis_prefix: str = "sasar:ratelimit:"

    def service_urls(self) -> dict[str, str]:
        return {
            "registry": self.registry_url.rstrip("/"),
            "funding": self.funding_url.rstrip("/"),
            "outreach": self.outreach_url.rstrip("/"),
            "webhooks": self.webhooks_url.rstrip("/"),
        }

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        secret = self.jwt_secret.get_secret_value()
        if secret == DEFAULT_JWT_SECRET:
            problems.append("SASAR_GATEWAY_JWT_SECRET is the development default")
        elif len(secret) < 32:
            problems.append("SASAR_GATEWAY_JWT_SECRET must be at least 32 characters")
        return problems


@lru_cache(maxsize=1)
def get_settings() -> GatewaySettings:
    return GatewaySettings()
