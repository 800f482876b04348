"""penguins.pages.format: numbers for prose, and Korean particles after computed words."""

from __future__ import annotations

import pytest

from penguins.pages.format import (
    fmt_count,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_points,
    fmt_seeds,
    with_particle,
)


def test_numbers_read_as_prose() -> None:
    assert fmt_int(11103) == "11,103"
    assert fmt_num(0.36111) == "0.361"
    assert fmt_pct(0.971) == "97.1%" and fmt_pct(0.2, digits=0) == "20%"
    assert fmt_points(0.0144) == "1.4" and fmt_points(0.0144, sign=True) == "+1.4" and fmt_points(-0.0144) == "-1.4"
    assert fmt_seeds(range(10)) == "0–9" and fmt_seeds((0, 1)) == "0, 1" and fmt_seeds((3, 5, 9)) == "3, 5, 9"
    with pytest.raises(ValueError):
        fmt_int(2.5)


def test_no_negative_zero() -> None:
    assert fmt_num(-0.0001, 2) == "0.00"
    assert fmt_pct(-0.00001) == "0.0%"
    assert fmt_points(-0.0001, sign=True) == "+0.0"


def test_counts_read_as_english() -> None:
    assert fmt_count(1, "node") == "1 node"
    assert fmt_count(100, "node") == "100 nodes"
    assert fmt_count(0, "run") == "0 runs"
    assert fmt_count(2, "penguin", "penguins") == "2 penguins"
    assert fmt_count(11103, "parameter") == "11,103 parameters"


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("재현됨", "이다", "재현됨이다"),  # final ㅁ
        ("젠투", "이", "젠투가"),  # no final consonant
        ("턱끈", "은", "턱끈은"),
        ("아델리", "을", "아델리를"),
        ("3", "을", "3을"),  # 삼
        ("4", "을", "4를"),  # 사
        ("97.1%", "와", "97.1%와"),  # 퍼센트
        ("1.16", "으로", "1.16으로"),  # 육: a final consonant other than ㄹ
        ("0.94", "으로", "0.94로"),  # 사
        ("1.7", "으로", "1.7로"),  # 칠: ㄹ takes 로
        ("서울", "으로", "서울로"),
        ("'은닉층 2개'", "이다", "'은닉층 2개'다"),  # quotes do not count
    ],
)
def test_korean_particles_follow_the_word(word: str, particle: str, expected: str) -> None:
    assert with_particle(word, particle) == expected


def test_an_unknown_particle_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown particle"):
        with_particle("모델", "의")
