"""Patterns run by RE2: whole-value matches, and a pattern RE2 refuses named at plan time."""

import pandas as pd
import pytest

from schemas.patterns import check_pattern, fullmatch
from schemas.transforms import TEXT


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        (r"(?=\d)\w+", "look-ahead"),
        (r"(?!x)\w+", "look-ahead"),
        (r"(?<=a)b", "look-behind"),
        (r"(?<!a)b", "look-behind"),
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "backreference"),
        (r"a+\Z", "\\Z"),
        (r"a++", "possessive"),
        (r"[a-", "missing ]"),
        (r"a{2000}", "repetition size"),
    ],
)
def test_patterns_re2_refuses_are_named_in_one_line(pattern: str, named: str) -> None:
    with pytest.raises(ValueError, match="RE2 cannot run it") as info:
        check_pattern(pattern)
    message = str(info.value)
    assert named in message and repr(pattern) in message and "\n" not in message


@pytest.mark.parametrize("pattern", [r".*@acme\.com", r"(?i:yes|no)", r"\p{L}+", r"(a+)+b"])
def test_patterns_re2_runs_pass(pattern: str) -> None:
    check_pattern(pattern)


def test_fullmatch_matches_whole_values_and_missing_is_false() -> None:
    values = pd.Series(["abc", "abcd", "xabc", "abc\n", None], dtype=TEXT)
    assert fullmatch(values, "abc").tolist() == [True, False, False, False, False]


def test_catastrophic_pattern_runs_in_linear_time() -> None:
    # Python's re backtracks on this for longer than the test's timeout; RE2 does not.
    values = pd.Series(["a" * 50_000 + "!"], dtype=TEXT)
    assert fullmatch(values, r"(a+)+b").tolist() == [False]


def test_fullmatch_refuses_instead_of_falling_back() -> None:
    with pytest.raises(ValueError, match="look-behind"):
        fullmatch(pd.Series(["b"], dtype=TEXT), r"(?<=a)b")
