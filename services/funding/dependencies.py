"""Funding FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.common.db import session_scope
from services.common.principal import Principal, authenticated_principal
from services.funding.registry_client import IdentityDirectory, WorkerDirectory

DbSession = Annotated[Session, Depends(session_scope, scope="function")]
CurrentPrincipal = Annotated[Principal, Depends(authenticated_principal)]


def worker_directory(request: Request) -> WorkerDirectory:
    directory: WorkerDirectory = request.app.state.worker_directory
    return directory


Directory = Annotated[WorkerDirectory, Depends(worker_directory)]


def identity_directory(request: Request) -> IdentityDirectory:
    """The same registry client as :func:`worker_directory`, seen for names and masked NIKs."""
    directory: IdentityDirectory = request.app.state.worker_directory
    return directory


Identities = Annotated[IdentityDirectory, Depends(identity_directory)]
