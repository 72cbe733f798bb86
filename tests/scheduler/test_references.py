"""Booking references: digits only, and a typo never reaches someone else's booking."""

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.references import new_reference, normalise_reference


def test_a_new_reference_is_six_digits_without_a_leading_zero_and_checks_out():
    for _ in range(500):
        reference = new_reference()
        assert len(reference) == 6
        assert reference.isascii() and reference.isdigit()
        assert reference[0] != "0"
        assert normalise_reference(reference) == reference


@settings(max_examples=300)
@given(st.data())
def test_every_single_mistyped_digit_is_caught(data):
    reference = new_reference()
    position = data.draw(st.integers(0, 5))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != reference[position]]))
    typo = reference[:position] + wrong + reference[position + 1:]

    assert normalise_reference(typo) is None


@settings(max_examples=300)
@given(st.data())
def test_every_swap_of_two_neighbouring_digits_is_caught(data):
    reference = new_reference()
    i = data.draw(st.integers(0, 4))
    swapped = reference[:i] + reference[i + 1] + reference[i] + reference[i + 2:]

    assert swapped == reference or normalise_reference(swapped) is None


def test_a_reference_typed_in_arabic_or_persian_digits_or_with_spaces_is_understood():
    reference = new_reference()
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in reference)
    persian = "".join(chr(0x06F0 + int(d)) for d in reference)

    assert normalise_reference(arabic_indic) == reference
    assert normalise_reference(persian) == reference
    assert normalise_reference(f" {reference[:3]} {reference[3:]} ") == reference
    assert normalise_reference(f"{reference[:3]}-{reference[3:]}") == reference


def test_text_that_is_not_a_reference_is_refused():
    reference = new_reference()
    for text in ["", "abc", reference + "0", reference[:-1], f"A{reference}", "²" * 6]:
        assert normalise_reference(text) is None
