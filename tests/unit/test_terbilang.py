"""Amounts in Indonesian words, as a village treasurer reads them on an invoice."""

from __future__ import annotations

import pytest

from services.funding.terbilang import LIMIT, rupiah_in_words, terbilang


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (9, "sembilan"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (110, "seratus sepuluh"),
        (111, "seratus sebelas"),
        (200, "dua ratus"),
        (999, "sembilan ratus sembilan puluh sembilan"),
        (1_000, "seribu"),
        (1_001, "seribu satu"),
        (1_100, "seribu seratus"),
        (2_000, "dua ribu"),
        (10_000, "sepuluh ribu"),
        (11_000, "sebelas ribu"),
        (16_800, "enam belas ribu delapan ratus"),
        (21_000, "dua puluh satu ribu"),  # not "dua puluh seribu"
        (36_800, "tiga puluh enam ribu delapan ratus"),
        (100_000, "seratus ribu"),
        (101_000, "seratus satu ribu"),  # not "seratus seribu"
        (111_111, "seratus sebelas ribu seratus sebelas"),
        (1_000_000, "satu juta"),  # "satu juta", never "sejuta" on a document
        (1_001_000, "satu juta seribu"),
        (1_680_000, "satu juta enam ratus delapan puluh ribu"),
        (20_700_000, "dua puluh juta tujuh ratus ribu"),
        (1_000_000_000, "satu miliar"),
        (1_000_000_001, "satu miliar satu"),
        (2_500_000_000_000, "dua triliun lima ratus miliar"),
        (
            1_234_567_890,
            "satu miliar dua ratus tiga puluh empat juta lima ratus enam puluh tujuh ribu "
            "delapan ratus sembilan puluh",
        ),
        (1_000_000_000_000_000, "satu kuadriliun"),
        (
            LIMIT - 1,
            "sembilan ratus sembilan puluh sembilan kuadriliun "
            "sembilan ratus sembilan puluh sembilan triliun "
            "sembilan ratus sembilan puluh sembilan miliar "
            "sembilan ratus sembilan puluh sembilan juta "
            "sembilan ratus sembilan puluh sembilan ribu "
            "sembilan ratus sembilan puluh sembilan",
        ),
    ],
)
def test_terbilang(number: int, words: str) -> None:
    assert terbilang(number) == words


def test_negative_and_rupiah_forms() -> None:
    assert terbilang(-1_500) == "minus seribu lima ratus"
    assert rupiah_in_words(16_800) == "Enam belas ribu delapan ratus rupiah"
    assert rupiah_in_words(0) == "Nol rupiah"


def test_refuses_what_it_cannot_say() -> None:
    with pytest.raises(ValueError, match="kuadriliun"):
        terbilang(LIMIT)
    with pytest.raises(TypeError):
        terbilang(16_800.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        terbilang(True)
