"""Money is integer rupiah (IDR has no minor unit in practice): never float, never Decimal cents.

Request models use these annotated types, so ``1.5``, ``"100"`` or ``true`` are refused rather than
coerced; field names end in ``_idr``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

Rupiah = Annotated[StrictInt, Field(ge=0, le=10**15, description="Amount in whole rupiah (IDR)")]
PositiveRupiah = Annotated[StrictInt, Field(gt=0, le=10**15, description="Amount in whole rupiah (IDR), > 0")]


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half up (for non-negative amounts), e.g. rupiah from basis points."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up_div expects a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def format_idr(amount: int) -> str:
    """Indonesian display format: ``Rp16.800``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
