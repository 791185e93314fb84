"""Amounts in Indonesian words ("terbilang"), as invoices and treasury documents write them.

Rules of the spoken numbers: 10 is *sepuluh*, 11 *sebelas*, 12-19 *… belas*; 100 is *seratus* and 1,000
*seribu* (the *se-* form, "one" fused), but only where that group stands alone: 21,000 is *dua puluh satu
ribu* and 1,000,000 *satu juta*. Groups of three digits take *ribu*, *juta*, *miliar*, *triliun*,
*kuadriliun*.
"""

from __future__ import annotations

_UNITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
_SCALES = ("", "ribu", "juta", "miliar", "triliun", "kuadriliun")
LIMIT = 1000 ** len(_SCALES)  # 10^18: past the largest scale word


def _below_thousand(n: int) -> list[str]:
    """Words of 1-999 (empty for 0)."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds > 1:
        words += [_UNITS[hundreds], "ratus"]
    if rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif 12 <= rest <= 19:
        words += [_UNITS[rest - 10], "belas"]
    elif rest >= 20:
        tens, units = divmod(rest, 10)
        words += [_UNITS[tens], "puluh"]
        if units:
            words.append(_UNITS[units])
    elif rest > 0:
        words.append(_UNITS[rest])
    return words


def terbilang(n: int) -> str:
    """``16800`` → ``"enam belas ribu delapan ratus"``; ``0`` → ``"nol"``; negatives get ``"minus"``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("terbilang takes an int (money is whole rupiah)")
    if n < 0:
        return "minus " + terbilang(-n)
    if n == 0:
        return _UNITS[0]
    if n >= LIMIT:
        raise ValueError(f"{n} is beyond the largest scale word (kuadriliun)")
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    words: list[str] = []
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if group == 0:
            continue
        if scale == 1 and group == 1:
            words.append("seribu")
            continue
        words += _below_thousand(group)
        if _SCALES[scale]:
            words.append(_SCALES[scale])
    return " ".join(words)


def rupiah_in_words(amount_idr: int) -> str:
    """As an invoice prints it: ``"Enam belas ribu delapan ratus rupiah"``."""
    words = terbilang(amount_idr) + " rupiah"
    return words[0].upper() + words[1:]
