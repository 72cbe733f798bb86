"""Booking references: digits only, the last a Damm check digit.

Digits are read and typed in every script and on a phone keypad. The check digit catches every
single mistyped digit and every swap of two neighbouring digits, so a typo is refused instead of
matching somebody else's booking.
"""

import secrets
import unicodedata

from django.conf import settings
from stdnum import damm


def new_reference() -> str:
    body_length = settings.BOOKING_REFERENCE_DIGITS - 1
    # No leading zero: spreadsheets and some keypads' readers drop it.
    body = str(secrets.randbelow(9 * 10 ** (body_length - 1)) + 10 ** (body_length - 1))
    return body + damm.calc_check_digit(body)


def normalise_reference(text: str) -> str | None:
    """The reference in `text` (spaces and dashes allowed, any script's digits), or None when it
    is not a well-formed reference."""
    digits = "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())
    stripped = "".join(ch for ch in text.strip() if not (ch.isdecimal() or ch in " -.\u00a0"))
    if stripped or len(digits) != settings.BOOKING_REFERENCE_DIGITS:
        return None
    return digits if damm.is_valid(digits) else None
