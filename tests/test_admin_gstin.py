"""GSTIN validation: 15 characters, a real state code prefix matching the store, and the mod-36 check character."""
from __future__ import annotations

import pytest

from services.accounts.gstin import ALPHABET, check_character, gstin_error, normalise

# Published GSTINs of real businesses (their check characters come from the GST network, not from this code).
REAL = ["27AAPFU0939F1ZV", "24AAACC1206D1ZM", "07AAGFF2194N1Z1"]


@pytest.mark.parametrize("gstin", REAL)
def test_real_gstins_pass(gstin):
    assert gstin_error(gstin) is None
    assert gstin_error(gstin, state_code=gstin[:2]) is None


@pytest.mark.parametrize("gstin", REAL)
def test_every_other_check_character_is_refused(gstin):
    wrong = [c for c in ALPHABET if c != gstin[14]]
    assert all("check character" in gstin_error(gstin[:14] + c) for c in wrong)


@pytest.mark.parametrize("position", range(14))
def test_a_single_changed_character_is_caught(position):
    gstin = REAL[0]
    original = gstin[position]
    replacement = "7" if original.isdigit() and original != "7" else ("8" if original.isdigit() else
                                                                         ("B" if original != "B" else "C"))
    changed = gstin[:position] + replacement + gstin[position + 1:]
    assert gstin_error(changed) is not None


def test_swapping_two_neighbouring_characters_is_caught():
    gstin = REAL[0]
    swapped = gstin[:7] + gstin[8] + gstin[7] + gstin[9:]  # "PF" -> "FP"
    assert check_character(swapped[:14]) != swapped[14]


@pytest.mark.parametrize(
    "gstin, state, words",
    [
        ("27AAPFU0939F1Z", None, "exactly 15 characters"),
        ("27AAPFU0939F1ZVX", None, "exactly 15 characters"),
        ("27AAPF10939F1ZV", None, "not a GSTIN"),
        ("99AAPFU0939F1ZV", None, "not a GST state code"),
        ("27AAPFU0939F1ZV", "29", "state code 29"),
    ],
)
def test_shape_state_and_length_are_checked(gstin, state, words):
    assert words in gstin_error(gstin, state)


def test_normalise_upper_cases_and_drops_spaces():
    assert normalise(" 27aapfu0939f1zv ") == "27AAPFU0939F1ZV"
