"""Funding request/response models."""

from __future__ import annotations
