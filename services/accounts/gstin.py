"""GSTIN validation: shape, state code prefix and the mod-36 check character; and the GST state codes."""
from __future__ import annotations

import re
from typing import Optional

# GST state codes (the first two digits of a GSTIN), for validation and for "Place of supply: 27 - Maharashtra".
STATE_NAMES: dict[str, str] = {
    "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh",
    "05": "Uttarakhand", "06": "Haryana", "07": "Delhi", "08": "Rajasthan", "09": "Uttar Pradesh",
    "10": "Bihar", "11": "Sikkim", "12": "Arunachal Pradesh", "13": "Nagaland", "14": "Manipur",
    "15": "Mizoram", "16": "Tripura", "17": "Meghalaya", "18": "Assam", "19": "West Bengal",
    "20": "Jharkhand", "21": "Odisha", "22": "Chhattisgarh", "23": "Madhya Pradesh", "24": "Gujarat",
    "25": "Daman and Diu", "26": "Dadra and Nagar Haveli and Daman and Diu", "27": "Maharashtra",
    "28": "Andhra Pradesh (before 2014)", "29": "Karnataka", "30": "Goa", "31": "Lakshadweep", "32": "Kerala",
    "33": "Tamil Nadu", "34": "Puducherry", "35": "Andaman and Nicobar Islands", "36": "Telangana",
    "37": "Andhra Pradesh", "38": "Ladakh", "96": "Other Country", "97": "Other Territory",
}
# Codes a shop can be registered in today: 25 and 28 are retired (old bills still print them), 96 is abroad.
STATE_CODES: dict[str, str] = {code: name for code, name in STATE_NAMES.items() if code not in {"25", "28", "96"}}

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# State code, PAN (5 letters, 4 digits, 1 letter), entity number, a default "Z" (rarely other), check character.
SHAPE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][0-9A-Z][0-9A-Z]$")


def check_character(first14: str) -> str:
    """The 15th character of a GSTIN: weights 1,2,1,2...; each product folded as quotient + remainder of 36."""
    total = 0
    for position, char in enumerate(first14):
        product = ALPHABET.index(char) * (1 if position % 2 == 0 else 2)
        total += product // 36 + product % 36
    return ALPHABET[(36 - total % 36) % 36]


def normalise(value: Optional[str]) -> str:
    return (value or "").strip().upper().replace(" ", "")


def gstin_error(gstin: str, state_code: Optional[str] = None) -> Optional[str]:
    """Why a (normalised) GSTIN is not acceptable for a store in state_code, or None when it is."""
    if len(gstin) != 15:
        return "A GSTIN has exactly 15 characters."
    if not SHAPE.match(gstin):
        return "This is not a GSTIN: 2-digit state code, 10-character PAN, entity number, Z and a check character."
    if gstin[:2] not in STATE_CODES:
        return f"{gstin[:2]} is not a GST state code."
    if state_code and gstin[:2] != state_code:
        return f"The GSTIN must start with the store's state code {state_code}."
    if check_character(gstin[:14]) != gstin[14]:
        return "The GSTIN's check character does not match; please check for a typing mistake."
    return None
