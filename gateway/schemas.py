"""Request and response bodies of the gateway's own routes (tokens and API keys)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from services.common.text import TextRule
from services.common.wilayah import VILLAGE_CODE_PATTERN

# Client text (NFC, stripped, no control characters), sized to the column it is stored in or looked up
# by. Secrets (passwords, client secrets, refresh tokens) are not text to normalise: they are only hashed.
VillageCodeText = Annotated[str, TextRule(13, pattern=VILLAGE_CODE_PATTERN)]
KeyName = Annotated[str, TextRule(200)]
GrantType = Annotated[str, TextRule(40)]
GRANT_TYPES = ("password", "client_credentials", "refresh_token")
NrpText = Annotated[str, TextRule(64)]
ClientIdText = Annotated[str, TextRule(64)]
ScopeText = Annotated[str, TextRule(500)]
KeyIdText = Annotated[str, TextRule(32)]


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str | None = Field(default=None, description="Officers only; rotates on every use")
    scope: str | None = Field(default=None, description="Granted scopes (internal clients)")


class ApiKeyCreate(BaseModel):
    village_code: VillageCodeText = Field(
        description="Desa/kelurahan code PP.RR.DD.VVVV", examples=["33.26.15.2001"]
    )
    name: KeyName = Field(description="Who uses the key, e.g. the village's OpenSID")


class ApiKeyOut(BaseModel):
    id: str
    prefix: str = Field(description="Public start of the key (after `sk_vil_`), to recognise it")
    village_code: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="Accurate to the gateway's key cache (≈30 s)")
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key, shown only in this answer: store it now")
