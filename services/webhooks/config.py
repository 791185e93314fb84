"""Webhooks settings (prefix ``SASAR_WEBHOOKS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from services.common.settings import ComponentSettings


class WebhooksSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="SASAR_WEBHOOKS_", extra="ignore", populate_by_name=True)

    component: str = "webhooks"
    database_url: str = "sqlite:///var/webhooks.db"
    # Comma-separated networks a target may resolve into although they are private/loopback, e.g.
    # "127.0.0.1/32" for tests and the local demo. Empty in production: partners are on the internet.
    allow_private_targets: str = ""
    delivery_timeout_seconds: float = 10.0
    # How long a delivery keeps being retried before it (and its endpoint) is given up on.
    retry_window_hours: float = 24.0
    # Deliveries that exhausted their retries in a row before the endpoint is disabled (1: the first).
    disable_after_failed_deliveries: int = 1
    # How long the previous secret still signs (beside the new one) after a rotation.
    previous_secret_hours: float = 24.0
    poll_interval_seconds: float = 0.5
    batch_size: int = 50


@lru_cache(maxsize=1)
def get_settings() -> WebhooksSettings:
    return WebhooksSettings()
