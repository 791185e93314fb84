"""Registry request/response models."""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.common.wilayah import AreaLevel, VillageKind


class AreaOut(BaseModel):
    code: str = Field(examples=["33.26.15.2001"])
    name: str = Field(examples=["Wuled"])
    level: AreaLevel
    parent_code: str | None = Field(examples=["33.26.15"])
    timezone: str = Field(description="IANA zone of the area", examples=["Asia/Jakarta"])
    zone: str = Field(description="Indonesian zone abbreviation: WIB, WITA or WIT", examples=["WIB"])
    kind: VillageKind | None = Field(
        default=None, description="For villages: kelurahan (urban ward), desa, or desa_adat (customary)"
    )
