"""The shop's fixed words, each list written once: the model constraints, validation, the OpenAPI enums, the
pages and the seeded PaymentMethod rows all read them from here.

Imports nothing from the project, so models.py can use it without a cycle.
"""
from __future__ import annotations

# --------------------------------------------------------------------------- payment modes

# Every mode a Payment row may hold, with the name of its PaymentMethod row (None: no method row).
# The order is the order of the `ck_payment_mode` constraint; changing it changes the schema.
PAYMENT_MODE_NAMES: dict[str, str | None] = {
    "cash": "Cash", "card": "Card", "upi": "UPI", "wallet": "Wallet",
    "bank": "Bank Transfer", "cheque": "Cheque", "other": None, "exchange": None,
}
STORED_PAYMENT_MODES = tuple(PAYMENT_MODE_NAMES)
CASH, CARD, UPI, WALLET = "cash", "card", "upi", "wallet"
# The modes a bill's payment may be given in on every surface (Billing v1 contract, the till, NamastePMS).
PAYMENT_MODES = (CASH, CARD, UPI, WALLET)
SUPPLIER_PAYMENT_MODES = (CASH, CARD, UPI)  # the wallet holds a customer's money: no supplier is paid from it
SPLIT, NO_PAYMENT = "split", "none"
# A whole bill's payment_mode: one of the modes, several (split), or nothing paid yet.
BILL_PAYMENT_MODES = PAYMENT_MODES + (SPLIT, NO_PAYMENT)
PAYMENT_METHOD_NAMES = tuple(name for name in PAYMENT_MODE_NAMES.values() if name)
# Old gold taken in exchange at the jewellery till: a payment whose reference is the purchase voucher's number
# (services.jewellery.exchange). Only the jewellery till pays with it; the API surfaces do not take it.
EXCHANGE = "exchange"
MODE_LABELS = {EXCHANGE: "Old gold exchange"}
# Why the API surfaces refuse it: each says so in its own envelope, followed by the modes it does take.
EXCHANGE_TILL_ONLY = "Old gold exchange is taken at the jewellery till only, not over the API"


def is_exchange(raw: object) -> bool:
    """Whether a client sent the old-gold exchange mode (any case), so its surface can say why it is refused."""
    return isinstance(raw, str) and raw.strip().lower() == EXCHANGE


def payment_mode_label(mode: str) -> str:
    """How a payment mode is printed on a bill ("UPI", "Cash", "Old gold exchange")."""
    return MODE_LABELS.get(mode) or PAYMENT_MODE_NAMES.get(mode) or mode.capitalize()


def payment_label(mode: str, reference: str | None = None) -> str:
    """How one payment is printed on a bill's page and documents: its mode's label, and for an old-gold exchange
    the purchase voucher it came from ("Old gold exchange (voucher OG2025000001)")."""
    label = payment_mode_label(mode)
    if mode == EXCHANGE and reference:
        return f"{label} (voucher {reference})"
    return label


# --------------------------------------------------------------------------- discounts

PERCENT, FLAT = "percent", "flat"
DISCOUNT_TYPES = (PERCENT, FLAT)
COUPON_KINDS = DISCOUNT_TYPES

# --------------------------------------------------------------------------- bills

PAID, PARTIAL, UNPAID, CANCELLED = "paid", "partial", "unpaid", "cancelled"
# A cancelled bill keeps its number and has no dues; the others follow from what is paid against the net total.
BILL_STATUSES = (PAID, PARTIAL, UNPAID, CANCELLED)

# A credit note's refund: one of the payment modes, or nothing paid out (the return only lowers the bill's dues).
REFUND_MODES = PAYMENT_MODES + ("none",)

# --------------------------------------------------------------------------- units

PCS = "pcs"
# Units a product is sold in: pieces are whole; the measured units take quantities with three decimals.
MEASURED_UNITS = ("kg", "g", "l", "ml", "m")
UNITS = (PCS,) + MEASURED_UNITS

# Sort keys of a bills list, with the words the bills page shows; the first is the default.
BILL_SORTS: dict[str, str] = {
    "date_desc": "Newest first", "date_asc": "Oldest first",
    "amount_desc": "Largest first", "amount_asc": "Smallest first",
}
DEFAULT_BILL_SORT = "date_desc"

# --------------------------------------------------------------------------- jewellery

# Metals and their purities: label -> fineness (parts per thousand of pure metal). The purity factor of a label is
# fineness / 1000 (22K = 0.916). The fine (pure) label of each metal is the one whose rate a fine weight is valued at.
PURITIES: dict[str, dict[str, int]] = {
    "gold": {"24K": 999, "22K": 916, "18K": 750, "14K": 585, "9K": 375},
    "silver": {"999": 999, "925": 925},
}
METALS = tuple(PURITIES)
FINE_PURITY = {"gold": "24K", "silver": "999"}
# How a making charge is given: per gram of net weight, per piece, or a percentage of the metal value.
MAKING_PER_GRAM, MAKING_PER_PIECE, MAKING_PERCENT = "PG", "PP", "PC"
MAKING_TYPES = (MAKING_PER_GRAM, MAKING_PER_PIECE, MAKING_PERCENT)
STONE_UNITS = ("carat", "gram")
JEWELLERY_GST_RATE = "3"  # 1.5 % CGST + 1.5 % SGST, or 3 % IGST (HSN 7113)
JEWELLERY_HSN = "7113"
