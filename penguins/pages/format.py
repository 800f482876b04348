"""Numbers written out for prose and table cells.

A chapter puts a computed value into a sentence with an inline expression
(`` `{python} facts.test_mean` ``), and Quarto writes a string result without its quotes, so these
return the text to show: ``fmt_pct(0.9710)`` is ``"97.1%"``, not ``0.9710144927536232``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import SupportsFloat

# Final consonants of the Korean readings of the digits 0-9 (영, 일, 이, 삼, 사, 오, 육, 칠, 팔, 구):
# whether a Korean particle after a number takes its consonant form (이, 은, 을, 과, 으로).
_DIGIT_HAS_FINAL = (True, True, False, True, False, False, True, True, True, False)
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
# Korean particles, vowel form / consonant form. 으로 after ㄹ is 로, as after a vowel.
PARTICLES = {"이": ("가", "이"), "가": ("가", "이"), "은": ("는", "은"), "는": ("는", "은"), "을": ("를", "을"),
             "를": ("를", "을"), "과": ("와", "과"), "와": ("와", "과"), "으로": ("로", "으로"), "로": ("로", "으로"),
             "이다": ("다", "이다"), "다": ("다", "이다")}


def fmt_int(value: float) -> str:
    """A whole number with thousands separators: ``11103`` -> ``"11,103"``."""
    if float(value) != int(value):
        raise ValueError(f"{value!r} is not a whole number")
    return f"{int(value):,}"


def fmt_num(value: SupportsFloat, digits: int = 3) -> str:
    """A decimal number with ``digits`` places: ``0.36111`` -> ``"0.361"`` (never ``"-0.0"``)."""
    return f"{round(float(value), digits) + 0.0:,.{digits}f}"


def fmt_count(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its English noun, singular or plural.

    ``(1, "node")`` -> ``"1 node"``, ``(100, "node")`` -> ``"100 nodes"``. (Korean nouns do not
    change with the count.)
    """
    return f"{fmt_int(count)} {noun if count == 1 else plural or noun + 's'}"


def fmt_pct(value: SupportsFloat, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.2`` -> ``"20%"`` with ``digits=0``, ``0.971`` -> ``"97.1%"``."""
    return f"{round(100 * float(value), digits) + 0.0:.{digits}f}%"


def fmt_points(value: SupportsFloat, digits: int = 1, sign: bool = False) -> str:
    """A difference of two fractions in percentage points, without the unit.

    ``0.0145`` -> ``"1.4"`` (``sign=True``: ``"+1.4"``; never ``"-0.0"``).
    """
    rounded = round(100 * float(value), digits) + 0.0
    return f"{rounded:+.{digits}f}" if sign else f"{rounded:.{digits}f}"


def fmt_lr(value: float, digits: int = 3) -> str:
    """A learning rate to ``digits`` significant digits: ``0.005731505`` -> ``"0.00573"``."""
    return f"{float(value):.{digits}g}"


def fmt_seeds(seeds: Iterable[int]) -> str:
    """Seeds for prose: ``(0, 1)`` -> ``"0, 1"``, ``range(10)`` -> ``"0–9"``."""
    values = [int(seed) for seed in seeds]
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}–{values[-1]}"
    return ", ".join(str(seed) for seed in values)


def has_final_consonant(text: str) -> bool:
    """Whether ``text`` ends, read aloud in Korean, on a final consonant (받침).

    Hangul syllables carry it in their code point; a trailing digit is read as its Korean name;
    ``%`` is read 퍼센트. Anything else (Latin letters, punctuation) counts as a vowel ending,
    as Korean writers usually treat such words.
    """
    stripped = text.rstrip(" )'\"’”")
    if not stripped:
        raise ValueError("no text to attach a particle to")
    last = stripped[-1]
    if _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        return (ord(last) - _HANGUL_FIRST) % 28 != 0
    if last.isdigit():
        return _DIGIT_HAS_FINAL[int(last)]
    return False


def with_particle(text: str, particle: str) -> str:
    """``text`` followed by the Korean ``particle`` in the form its ending asks for.

    ``("재현됨", "이다")`` -> ``"재현됨이다"``, ``("3", "을")`` -> ``"3을"``, ``("젠투", "이")`` -> ``"젠투가"``.

    A computed word's ending is not known when the sentence is written; this picks 이/가, 은/는,
    을/를, 와/과, (으)로 and (이)다 from it. ``으로`` after a final ㄹ is ``로``.
    """
    if particle not in PARTICLES:
        raise ValueError(f"unknown particle {particle!r}; choose one of {sorted(PARTICLES)}")
    vowel_form, consonant_form = PARTICLES[particle]
    final = has_final_consonant(text)
    if particle in ("으로", "로") and final and _ends_in_rieul(text):
        final = False
    return text + (consonant_form if final else vowel_form)


def _ends_in_rieul(text: str) -> bool:
    last = text.rstrip(" )'\"’”")[-1]
    if _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        return (ord(last) - _HANGUL_FIRST) % 28 == 8  # ㄹ is the eighth final consonant
    return last in "178"  # 일, 칠, 팔
