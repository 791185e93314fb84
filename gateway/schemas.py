"""Request and response bodies of the gateway's own routes (tokens and API keys)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from services.common.wilayah import VILLAGE_CODE_PATTERN


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str | None = Field(default=None, description="Officers only; rotates on every use")
    scope: str | None = Field(default=None, description="Granted scopes (internal clients)")


class ApiKeyCreate(BaseModel):
    village_code: str = Field(
        pattern=VILLAGE_CODE_PATTERN,
        description="Desa/kelurahan code PP.RR.DD.VVVV",
        examples=["33.26.15.2001"],
    )
    name: str = Field(
        min_length=1, max_length=200, description="Who uses the key, e.g. the village's OpenSID"
    )


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
