"""Outreach HTTP routes (thin: parse, call the domain function, shape the answer)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["outreach"])
