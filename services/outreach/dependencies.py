"""Outreach FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.common.db import session_scope
from services.common.principal import Principal, authenticated_principal
from services.outreach.config import OutreachSettings


def get_app_settings(request: Request) -> OutreachSettings:
    settings: OutreachSettings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(session_scope, scope="function")]
CurrentPrincipal = Annotated[Principal, Depends(authenticated_principal)]
Settings = Annotated[OutreachSettings, Depends(get_app_settings)]
