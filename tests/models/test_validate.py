"""models.validate on what a clumsy user or an attacker sends where a number goes (issue 18, item 5)."""

import pytest

from models import validate
from models.errors import InputError


@pytest.mark.parametrize("value, message", [
    (True, "Steps must be a number between 1 and 10; got True."),  # a boolean is not a number
    (False, "Steps must be a number between 1 and 10; got False."),
    (10**4000, "Steps must be between 1 and 10; got a number of about 4,001 digits."),  # never echoed whole
    (-(10**50_000), "Steps must be between 1 and 10; got a number of about 50,001 digits."),  # past str()'s limit
    (11, "Steps must be between 1 and 10; got 11."),
    ("many", "Steps must be a number between 1 and 10."),
], ids=["true", "false", "4001-digits", "50001-digits", "eleven", "word"])
def test_what_is_not_a_number_in_range_is_refused_and_echoed_short(value, message):
    with pytest.raises(InputError) as refused:
        validate.integer(value, "steps", 1, 10)
    assert str(refused.value) == message


def test_numbers_in_range_pass():
    assert validate.integer(7, "steps", 1, 10) == 7 and validate.number("2.5", "rate", 0, 5) == 2.5
