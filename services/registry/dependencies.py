"""Registry FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from services.common.db import session_scope
from services.common.principal import Principal, principal_from_request

DbSession = Annotated[Session, Depends(session_scope, scope="function")]
AnyPrincipal = Annotated[Principal, Depends(principal_from_request)]
