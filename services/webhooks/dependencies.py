"""Webhooks FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.common.db import session_scope
from services.common.principal import Principal, authenticated_principal
from services.webhooks.config import WebhooksSettings


def get_app_settings(request: Request) -> WebhooksSettings:
    settings: WebhooksSettings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(session_scope, scope="function")]
CurrentPrincipal = Annotated[Principal, Depends(authenticated_principal)]
Settings = Annotated[WebhooksSettings, Depends(get_app_settings)]
