"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100)."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govshare.demo.ids import (
    CREDIT_ALPHABET,
    birth_date_of,
    credit_check_char,
    id_check_char,
    is_male,
    is_valid_credit_code,
    is_valid_id_number,
    is_valid_org_code,
    make_credit_code,
    make_id_number,
    org_code_for,
    random_id_number,
)

# The worked examples of the standards themselves.
GB11643_EXAMPLES = ("11010519491231002X", "440524188001010014")
GB32100_EXAMPLE = "91350100M000100Y43"


@pytest.mark.parametrize("value", GB11643_EXAMPLES)
def test_published_id_numbers_validate(value: str) -> None:
    assert is_valid_id_number(value)


def test_published_credit_code_validates() -> None:
    assert is_valid_credit_code(GB32100_EXAMPLE)
    assert is_valid_org_code(GB32100_EXAMPLE[8:17])


@pytest.mark.parametrize("value", GB11643_EXAMPLES)
def test_every_single_substitution_in_an_id_number_is_caught(value: str) -> None:
    for i, c in enumerate(value):
        for other in "0123456789X" if i == 17 else "0123456789":
            if other != c:
                assert not is_valid_id_number(value[:i] + other + value[i + 1 :]), (i, other)


def test_every_single_substitution_in_a_credit_code_is_caught() -> None:
    v = GB32100_EXAMPLE
    for i, c in enumerate(v):
        for other in CREDIT_ALPHABET:
            if other != c:
                corrupted = v[:i] + other + v[i + 1 :]
                assert not is_valid_credit_code(corrupted, check_org_code=False), (i, other)


def _with_id_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def _with_credit_check(first17: str) -> str:
    return first17 + credit_check_char(first17)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002x",  # lower-case check character
        "1101051949123100",  # too short
        _with_id_check("11010519491331002"),  # month 13: a right check character cannot save it
        _with_id_check("11010519490229002"),  # 1949 was no leap year
        "",
    ],
)
def test_malformed_id_numbers_are_rejected(value: str) -> None:
    assert not is_valid_id_number(value)


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y4",  # too short
        "91350100M000100I43",  # I is not in the GB 32100 alphabet
        _with_credit_check("95350100M000100Y4"),  # authority 9 (工商) has no category 5
        _with_credit_check("9135010AM000100Y4"),  # letter in the area code
    ],
)
def test_malformed_credit_codes_are_rejected(value: str) -> None:
    assert not is_valid_credit_code(value)


def test_wrong_embedded_organisation_check_is_caught() -> None:
    code = _with_credit_check("91350100M000100Y5")  # the organisation code's own check character is 4
    assert is_valid_credit_code(code, check_org_code=False)
    assert not is_valid_credit_code(code)


@given(
    area=st.sampled_from(["410202", "410203", "410221", "410224"]),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 26)),
    sequence=st.integers(1, 999),
)
def test_made_id_numbers_validate_and_decode(area: str, birth: date, sequence: int) -> None:
    value = make_id_number(area, birth, sequence)
    assert is_valid_id_number(value)
    assert value[:6] == area
    assert birth_date_of(value) == birth
    assert is_male(value) == (sequence % 2 == 1)


def test_random_id_numbers_are_deterministic_and_valid() -> None:
    def draw(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [random_id_number(rng, "410204", date(1990, 5, 17), male=i % 2 == 0) for i in range(200)]

    first = draw(7)
    assert first == draw(7)
    assert first != draw(8)
    assert all(is_valid_id_number(v) for v in first)
    assert [is_male(v) for v in first] == [i % 2 == 0 for i in range(200)]


@pytest.mark.parametrize("legacy", [False, True])
def test_organisation_codes_are_unique_and_valid(legacy: bool) -> None:
    codes = [org_code_for(i, legacy=legacy) for i in range(20_000)]
    assert len(set(codes)) == len(codes)
    assert all(is_valid_org_code(c) for c in codes)
    assert all(c.startswith("MA") != legacy for c in codes)


@pytest.mark.parametrize(("category", "legacy"), [("1", False), ("1", True), ("2", False), ("3", True)])
def test_made_credit_codes_validate(category: str, legacy: bool) -> None:
    for i in range(500):
        code = make_credit_code("9", category, "410202", org_code_for(i, legacy=legacy))
        assert is_valid_credit_code(code), code
        assert code[:8] == f"9{category}410202"


def test_make_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="area code"):
        make_id_number("4102", date(2000, 1, 1), 1)
    with pytest.raises(ValueError, match="sequence"):
        make_id_number("410202", date(2000, 1, 1), 0)
    with pytest.raises(ValueError, match="category"):
        make_credit_code("9", "5", "410202", org_code_for(1, legacy=False))
    with pytest.raises(ValueError, match="organisation code"):
        make_credit_code("9", "1", "410202", "M000100Y5")
