"""Outreach domain errors; each carries its HTTP status and problem type."""

from __future__ import annotations
