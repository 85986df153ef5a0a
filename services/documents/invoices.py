"""Bill documents: the A4 GST tax invoice (PDF and print page), the 80 mm receipt, the UPI QR, share links, mail.

Every surface's bill (POS, Billing v1, NamastePMS, jewellery; sale or purchase) is read from the same models, so
one view of it (`invoice_document`) feeds the PDF, the A4 print page and the receipt, and their numbers agree.
User text reaches the templates only as autoescaped text; the PDF renderer may read nothing but static/ and the
store's own uploads folder (`link_callback` plus xhtml2pdf's ResourceAccessPolicy), and never the network.
"""
from __future__ import annotations

import base64
import contextlib
import gc
import io
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import quote, unquote, urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from extensions import db
from models import Bill, Store
from services import storage
from services.accounts.access import has_role
from services.accounts.gstin import STATE_NAMES
from services.billing.bills import is_inter_state, store_state
from services.billing.pricing import money
from services.catalog.units import qty_out
from services.documents import uploads
from services.errors import DomainError, NotFound, ValidationError
from services.formatting import amount_in_words, inr, local_time, percent
from services.jewellery.exchange import SERIES as OLD_GOLD_SERIES
from services.jewellery.interest import BillInterest, bill_interest
from services.mail import send_mail
from services.salon import memberships
from services.scoping import get_in_store
from services.vocabulary import payment_label, payment_mode_label

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
SHARE_SALT = "bill-share-link"
STATIC_PREFIX = "/static/"
UPLOADS_PREFIX = "/store-uploads/"  # a name only the PDF renderer understands (see _link_callback)
QR_PREFIX = "data:image/png;base64,"


# The jewellery details table (BIS hallmarking): (key, heading, the contract's bill_display_settings flag). A flag of
# None is a field the BIS rules want on every hallmarked piece's invoice (purity and fineness, stones, hallmark fee).
JEWELLERY_COLUMNS = (
    ("huid", "HUID", "showHuidInBill"),
    ("purity", "Purity", None),
    ("size", "Size", "showSizeInBill"),
    ("gross_weight", "Gross wt (g)", "showGrossWeightInBill"),
    ("less_weight", "Less wt (g)", "showLessWeightInBill"),
    ("net_weight", "Net wt (g)", "showNetWeightInBill"),
    ("wastage", "Wastage", "showWastageInBill"),
    ("fine_weight", "Fine wt (g)", "showFineWeightInBill"),
    ("stones", "Stones (wt, value)", None),
    ("rate", "Rate/g", "showRateInBill"),
    ("metal_value", "Metal value", "showRateInBill"),
    ("making_charge", "Making", "showMakingChargeInBill"),
    ("hallmark_fee", "Hallmark fee", None),
    ("charges", "Other charges", "showChargesInBill"),
)
DISPLAY_FLAGS = tuple(dict.fromkeys(flag for _, _, flag in JEWELLERY_COLUMNS if flag)) + ("showTounchInBill",)
GRAM = Decimal("0.001")
STONE_UNITS = {"carat": "ct", "gram": "g"}


class DocumentError(DomainError):
    """The renderer failed; the bill is fine, the document could not be made."""

    status = 500


class ShareLinkInvalid(NotFound):
    """A share token that was not signed by us (tampered, truncated) or names no bill."""


class ShareLinkExpired(DomainError):
    status = 410


# --------------------------------------------------------------------------- the document model


@dataclass(frozen=True)
class PartyBlock:
    """One side of the invoice: who supplies, or who receives."""

    name: str
    address: str = ""
    gstin: str = ""
    state: str = ""
    phone: str = ""
    email: str = ""
    legal_name: str = ""  # the registered name of a B2B recipient, printed when it differs from the name


@dataclass(frozen=True)
class DocumentLine:
    line_no: int
    name: str
    hsn_code: str
    qty: Union[int, Decimal]  # as units.qty_out shows it: 2 pcs, 0.75 kg
    unit: str
    rate: Decimal
    discount: Decimal
    taxable: Decimal
    cgst_rate: Decimal
    cgst_amount: Decimal
    sgst_rate: Decimal
    sgst_amount: Decimal
    line_total: Decimal
    jewellery: dict[str, list[str]] = field(default_factory=dict)  # the jewellery details table's cells
    igst_rate: Decimal = ZERO
    igst_amount: Decimal = ZERO
    price_includes_tax: bool = False
    staff: str = ""  # who served the line (a salon's stylist)
    membership_discount: Decimal = ZERO  # the part of `discount` that is the plan's percent off (membership discount)
    session_label: str = ""  # "Membership session (Gold)": units redeemed as sessions of the customer's plan
    session_value: Decimal = ZERO  # the part of `discount` that is those sessions

    @property
    def gst_rate(self) -> Decimal:
        return self.cgst_rate + self.sgst_rate + self.igst_rate


@dataclass(frozen=True)
class TaxRow:
    cgst_rate: Decimal
    sgst_rate: Decimal
    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst_rate: Decimal = ZERO
    igst: Decimal = ZERO

    @property
    def gst_rate(self) -> Decimal:
        return self.cgst_rate + self.sgst_rate + self.igst_rate

    @property
    def total_tax(self) -> Decimal:
        return self.cgst + self.sgst + self.igst


@dataclass
class InvoiceDocument:
    """Everything a bill's documents print, computed once so the PDF, print page and receipt agree."""

    bill: Bill
    store: Store
    title: str
    number: str
    date: str
    time: str
    seller: PartyBlock
    buyer: PartyBlock
    place_of_supply: str
    lines: list[DocumentLine]
    tax_rows: list[TaxRow]
    jewellery_columns: list[tuple[str, str]]
    taxable_total: Decimal
    cgst_total: Decimal
    sgst_total: Decimal
    igst_total: Decimal
    inter_state: bool  # IGST columns instead of CGST/SGST
    b2b: bool  # the recipient has a GSTIN
    round_off: Decimal
    sub_total: Decimal
    discount: Decimal
    tax: Decimal
    additional_charges: Decimal
    grand_total: Decimal
    paid: Decimal
    dues: Decimal
    words: str
    payments: list[dict[str, Any]]
    interest: Optional[BillInterest]  # interest on credit to the store's today, when the bill's terms turn it on
    notes: str
    cancelled: bool
    cancelled_on: str
    cancel_reason: str
    upi_uri: Optional[str]
    qr_data_uri: Optional[str]
    logo_src: Optional[str]


def bill_in_store(store: Store | int, bill_id: Optional[int] = None, uid: Optional[str] = None) -> Bill:
    """The store's bill by id or uid; a missing id and another store's id are the same NotFound."""
    return get_in_store(Bill, store, id=bill_id, uid=uid, message="Bill not found")


def is_stock_purchase(bill: Bill) -> bool:
    """A purchase of stock (the supplier's cost prices, the purchases pages), not the old-gold voucher the till
    writes when a customer's old gold is taken in exchange (series OG, shown with its sale)."""
    return bill.kind == "purchase" and bill.series != OLD_GOLD_SERIES


def bill_for_role(store: Store | int, role: Optional[str], bill_id: int) -> Bill:
    """The store's bill as the web pages show it to a member of `role`: a stock purchase only to managers and
    owners; to a cashier it is the same NotFound as a missing bill."""
    bill = bill_in_store(store, bill_id=bill_id)
    if is_stock_purchase(bill) and not has_role(role, "manager"):
        raise NotFound("Bill not found")
    return bill


def state_label(code: Optional[str]) -> str:
    """'27 - Maharashtra' for a GST state code; the code alone when unknown; '' when none."""
    if not code:
        return ""
    name = STATE_NAMES.get(code)
    return f"{code} - {name}" if name else code


def _store_block(store: Store) -> PartyBlock:
    state = store.state or STATE_NAMES.get(store.state_code or "", "")
    if store.state_code:
        state = f"{state} ({store.state_code})" if state else store.state_code
    return PartyBlock(name=store.name, address=store.address or "", gstin=store.gstin or "", state=state,
                      phone=store.phone or "", email=store.email or "")


def _counterparty_block(bill: Bill) -> PartyBlock:
    """The customer of a sale or the supplier of a purchase, as the bill recorded them."""
    party = bill.party
    record = (party.customer or party.supplier) if party is not None else None
    name = bill.customer_name or (record.name if record else "") or (
        "Walk-in customer" if bill.kind == "sale" else "Supplier")
    if bill.kind == "sale":  # the buyer as the bill snapshotted them when saved (a later change moves no invoice)
        gstin = bill.buyer_gstin or bill.VAt_number or ""
        state_code = bill.buyer_state or (gstin[:2] if gstin[:2] in STATE_NAMES else "")
    else:
        gstin = (getattr(record, "gstin", None) if record else None) or bill.VAt_number or ""
        state_code = (gstin[:2] if gstin[:2] in STATE_NAMES else "")
    legal_name = (getattr(record, "legal_name", None) if record else None) or ""
    return PartyBlock(
        name=name,
        legal_name=legal_name if legal_name != name else "",
        address=bill.address or (getattr(record, "address", None) if record else None) or "",
        gstin=gstin,
        state=state_label(state_code),
        phone=bill.phone or (getattr(record, "phone_no", None) if record else None) or "",
        email=(getattr(record, "email", None) if record else None) or "",
    )


def _store_flags(bill: Bill) -> dict[str, Any]:
    """The store's own bill_display_settings (Store.settings), as set."""
    return (bill.store.settings or {}).get("bill_display_settings") or {}


def display_flag(flag: str, own: dict[str, Any], store_flags: dict[str, Any], default: bool) -> bool:
    """One bill_display_settings flag as the invoice applies it: the piece's own, else the store's, else `default`."""
    return bool(own.get(flag, store_flags.get(flag, default)))


def piece_display_settings(piece, flags) -> dict[str, bool]:
    """Each of `flags` as a jewellery piece's invoice line applies it (its own, else the store's, else on): what the
    contract's product-detail shows as the piece's bill_display_settings."""
    store = db.session.get(Store, piece.store_id)
    store_flags = (store.settings or {}).get("bill_display_settings") or {}
    return {flag: display_flag(flag, piece.bill_display_settings or {}, store_flags, True) for flag in flags}


def _is_jewellery_line(item) -> bool:
    """A line the jewellery engine priced (it keeps the rate and the breakdown)."""
    return item.metal_rate is not None or bool((item.extra or {}).get("metal"))


def _weight(value: Any) -> Optional[str]:
    return None if value in (None, "") else f"{Decimal(value).quantize(GRAM):f}"


def _paise(value: Any) -> Decimal:
    return money(Decimal(str(value or 0)))


def _making(item, extra: dict[str, Any]) -> Optional[list[str]]:
    charge = item.making_charge
    if charge is None:
        return None
    amount = extra.get("making_amount")
    kind = item.making_type
    if kind == "PG":
        shown = [f"{inr(charge)}/g"]
    elif kind == "PC":
        shown = [f"{percent(charge)} of metal"]
    elif kind == "PP":
        shown = [f"{inr(charge)}/pc"]
    else:
        return [inr(charge)]
    if amount is not None and kind != "PP":
        shown.append(inr(_paise(amount)))
    return shown


def _stones(extra: dict[str, Any]) -> Optional[list[str]]:
    weights: "OrderedDict[str, Decimal]" = OrderedDict()
    for stone in extra.get("stones") or []:
        unit = STONE_UNITS.get(stone.get("unit"), stone.get("unit") or "")
        weights[unit] = weights.get(unit, Decimal(0)) + Decimal(str(stone.get("weight") or 0))
    value = _paise(extra.get("stones_value"))
    if not weights and not value:
        return None
    shown = [" + ".join(f"{w.quantize(GRAM):f} {unit}" for unit, w in weights.items())] if weights else []
    return shown + [inr(value)]


def _jewellery_values(item, show) -> dict[str, list[str]]:
    """One line's cells of the jewellery details table, each a list of printed lines; a hidden or empty field is
    left out. `show(flag)` says whether a bill_display_settings flag is on for this line."""
    extra = item.extra or {}
    cells: dict[str, Optional[list[str]]] = {}
    if show("showHuidInBill") and item.huid:
        cells["huid"] = [item.huid]
    purity = []
    if extra.get("purity"):
        purity.append(f"{extra['purity']} ({extra['fineness']})" if extra.get("fineness") else str(extra["purity"]))
    if show("showTounchInBill") and item.tounch is not None:
        purity.append(f"Tounch {percent(item.tounch)}")
    cells["purity"] = purity or None
    if show("showSizeInBill") and item.size:
        cells["size"] = [item.size]
    for key, flag in (("gross_weight", "showGrossWeightInBill"), ("less_weight", "showLessWeightInBill"),
                      ("net_weight", "showNetWeightInBill"), ("fine_weight", "showFineWeightInBill")):
        if show(flag) and (value := _weight(getattr(item, key))) is not None:
            cells[key] = [value]
    if show("showWastageInBill") and item.wastage is not None and (item.wastage or _is_jewellery_line(item)):
        cells["wastage"] = [percent(item.wastage)]
    cells["stones"] = _stones(extra)
    if show("showRateInBill") and item.metal_rate is not None:
        fine = " (24K)" if extra.get("cutting_enabled") and extra.get("metal") == "gold" else ""
        cells["rate"] = [f"{inr(item.metal_rate)}/g{fine}"]
    if show("showRateInBill") and extra.get("metal_value") is not None:
        cells["metal_value"] = [inr(_paise(extra["metal_value"]))]
    if show("showMakingChargeInBill"):
        cells["making_charge"] = _making(item, extra)
    if _paise(extra.get("hallmark_fee")):
        cells["hallmark_fee"] = [inr(_paise(extra["hallmark_fee"]))]
    if show("showChargesInBill") and extra.get("charges"):
        cells["charges"] = [f"{c.get('name')} {inr(_paise(c.get('amount')))}" for c in extra["charges"]]
    return {key: value for key, value in cells.items() if value}


def _jewellery_cells(bill: Bill) -> tuple[list[tuple[str, str]], dict[int, dict[str, list[str]]]]:
    """Which columns the jewellery details table prints, and each line's cells.

    Each bill_display_settings flag is the piece's own when it sets it, else the store's, else on for a jewellery
    store or a line the jewellery engine priced (the BIS fields show unless switched off) and off otherwise. A
    column prints only when some line has a value to show in it.
    """
    store_flags = _store_flags(bill)
    jeweller = bill.store.business_kind == "jewellery"
    cells: dict[int, dict[str, list[str]]] = {}
    shown: set[str] = set()
    for item in bill.items:
        own = (item.product.bill_display_settings or {}) if item.product is not None else {}
        default = jeweller or _is_jewellery_line(item)
        if not default and not own and not store_flags:
            continue

        def show(flag: str, own=own, default=default) -> bool:
            return display_flag(flag, own, store_flags, default)

        values = _jewellery_values(item, show)
        if values:
            cells[item.line_no] = values
            shown.update(values)
    columns = [(key, heading) for key, heading, _ in JEWELLERY_COLUMNS if key in shown]
    return columns, cells


@dataclass
class JewelleryRow:
    line_no: int
    name: str
    jewellery: dict[str, list[str]]


def jewellery_details(bill: Bill) -> tuple[list[tuple[str, str]], list[JewelleryRow]]:
    """The jewellery details table (BIS fields) as the bill page shows it: the same columns and cells as the
    invoice and its PDF."""
    columns, cells = _jewellery_cells(bill)
    return columns, [JewelleryRow(item.line_no, item.name, cells[item.line_no])
                     for item in bill.items if item.line_no in cells]


def payment_rows(bill: Bill) -> list[dict[str, Any]]:
    """A bill's payments as its page and documents print them: the label (services.vocabulary.payment_label), the
    reference when the label does not already carry it, the amount and when."""
    tz_name = bill.store.zone.key
    rows = []
    for p in bill.payments:
        label = payment_label(p.mode, p.reference)
        reference = p.reference or ""
        carried = label != payment_mode_label(p.mode)  # the label names the reference (an exchange's voucher)
        rows.append({"mode": label, "reference": "" if carried else reference,
                     "amount": money(p.amount), "timestamp": p.timestamp, "at": local_time(p.timestamp, tz_name)})
    return rows


def _tax_rows(lines: list[DocumentLine]) -> list[TaxRow]:
    """The tax summary: one row per rate (CGST + SGST, or IGST on an inter-state bill), amounts as the lines hold."""
    groups: "OrderedDict[tuple[Decimal, Decimal, Decimal], list[Decimal]]" = OrderedDict()
    for line in sorted(lines, key=lambda ln: (ln.gst_rate, ln.igst_rate, ln.cgst_rate)):
        sums = groups.setdefault((line.cgst_rate, line.sgst_rate, line.igst_rate), [ZERO, ZERO, ZERO, ZERO])
        sums[0] += line.taxable
        sums[1] += line.cgst_amount
        sums[2] += line.sgst_amount
        sums[3] += line.igst_amount
    return [TaxRow(cgst_rate=c, sgst_rate=s, taxable=t, cgst=cg, sgst=sg, igst_rate=i, igst=ig)
            for (c, s, i), (t, cg, sg, ig) in groups.items()]


def upi_uri(bill: Bill) -> Optional[str]:
    """upi://pay?pa=<UPI id>&pn=<store>&am=<dues>&cu=INR&tn=<invoice number>, or None when nothing is to be paid.

    Only a sale that is not cancelled, whose store has a UPI id and whose dues are above zero, asks for money.
    Values are percent-encoded (a space is %20, as UPI apps expect; '@' stays readable).
    """
    store = bill.store
    dues = money(bill.due_amount or 0)
    if bill.kind != "sale" or bill.cancelled_at is not None or not store.upi_id or dues <= 0:
        return None
    params = (
        ("pa", store.upi_id.strip()),
        ("pn", store.name),
        ("am", f"{dues:f}"),
        ("cu", "INR"),
        ("tn", bill.invoice_number),
    )
    return "upi://pay?" + "&".join(f"{key}={quote(value, safe='@.-_')}" for key, value in params)


@lru_cache(maxsize=256)
def qr_png_data_uri(text: str, scale: int = 6) -> str:
    """A QR code (segno, error correction M) as a PNG data URI; drawn once per text (a bill's UPI link changes only
    with its dues), then shared by its PDF, print page and receipt in this worker."""
    import segno  # only where a QR is drawn

    return segno.make(text, error="m", micro=False).png_data_uri(scale=scale, border=4)


def _membership_fields(held) -> dict:
    """A line's sessions and membership discount as the invoice and receipt print them (line_memberships)."""
    if held is None:
        return {}
    return {"membership_discount": held.discount, "session_label": held.label, "session_value": held.session_value}


def invoice_document(bill: Bill, *, for_pdf: bool = False) -> InvoiceDocument:
    """The printable view of a bill: parties, lines, tax summary by rate, totals, words, UPI QR, logo."""
    store = bill.store
    tz_name = store.zone.key
    columns, jewellery = _jewellery_cells(bill)
    held = memberships.line_memberships(bill) if bill.kind == "sale" else {}
    lines = [
        DocumentLine(
            line_no=item.line_no, name=item.name, hsn_code=item.hsn_code or "", qty=qty_out(item.qty),
            unit=item.unit or "",
            rate=money(item.rate), discount=money(item.discount_amount or 0),
            taxable=money(item.taxable_amount or 0), cgst_rate=Decimal(item.cgst_rate or 0),
            cgst_amount=money(item.cgst_amount or 0), sgst_rate=Decimal(item.sgst_rate or 0),
            sgst_amount=money(item.sgst_amount or 0), line_total=money(item.line_total or 0),
            jewellery=jewellery.get(item.line_no, {}), igst_rate=Decimal(item.igst_rate or 0),
            igst_amount=money(item.igst_amount or 0), price_includes_tax=bool(item.price_includes_tax),
            staff=item.staff.name if item.staff is not None else "",
            **_membership_fields(held.get(item.id)),
        )
        for item in bill.items
    ]
    store_block, other = _store_block(store), _counterparty_block(bill)
    seller, buyer = (store_block, other) if bill.kind == "sale" else (other, store_block)
    pos_code = bill.place_of_supply or bill.buyer_state or store_state(store)
    if bill.kind == "purchase":
        title = "Purchase Invoice"
    else:
        title = "Tax Invoice" if store.gstin else "Invoice"
    billed_at = bill.billing_timestamp or bill.created_at
    day = bill.invoice_date.strftime("%d %b %Y") if bill.invoice_date else local_time(billed_at, tz_name, "%d %b %Y")
    uri = upi_uri(bill)
    cancelled = bill.cancelled_at is not None
    igst_total = sum((ln.igst_amount for ln in lines), ZERO)
    return InvoiceDocument(
        bill=bill, store=store, title=title, number=bill.invoice_number,
        date=day,
        time=local_time(billed_at, tz_name, "%I:%M %p"),
        seller=seller, buyer=buyer, place_of_supply=state_label(pos_code),
        lines=lines, tax_rows=_tax_rows(lines), jewellery_columns=columns,
        taxable_total=sum((ln.taxable for ln in lines), ZERO),
        cgst_total=sum((ln.cgst_amount for ln in lines), ZERO),
        sgst_total=sum((ln.sgst_amount for ln in lines), ZERO),
        igst_total=igst_total,
        # IGST columns when the bill charged IGST; a zero-rated bill by its place of supply
        inter_state=igst_total > 0 or any(ln.igst_rate for ln in lines) or (
            bill.kind == "sale" and not any(ln.cgst_rate or ln.sgst_rate for ln in lines)
            and is_inter_state(store, bill.place_of_supply)),
        b2b=bool(buyer.gstin) and bill.kind == "sale",
        round_off=money(bill.round_off or 0),
        sub_total=money(bill.sub_total), discount=money(bill.discount), tax=money(bill.tax),
        additional_charges=money(bill.additional_charges or 0), grand_total=money(bill.total_amount),
        paid=money(bill.paid_amount), dues=ZERO if cancelled else money(bill.due_amount),  # cancelled: nothing due
        words=amount_in_words(bill.total_amount),
        payments=payment_rows(bill),
        interest=bill_interest(bill),
        notes=bill.notes or "",
        cancelled=cancelled,
        cancelled_on=local_time(bill.cancelled_at, tz_name) if bill.cancelled_at else "",
        cancel_reason=bill.cancel_reason or "",
        upi_uri=uri, qr_data_uri=qr_png_data_uri(uri) if uri else None,
        logo_src=_logo_src(store, for_pdf),
    )


# --------------------------------------------------------------------------- resources the renderer may read


def static_root() -> Path:
    return Path(current_app.static_folder).resolve()


def store_upload_dir(store: Store) -> Path:
    """The one local folder a store's documents may read its uploads from: UPLOAD_FOLDER/<store uid> (where
    services/documents/uploads.py writes them), or with the object store the local copies of that store's objects
    (services/storage.py local_path)."""
    return storage.uploads().local_dir(store.uid)


def _inside(path: Path, root: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return resolved == root or resolved.is_relative_to(root)


def _image_type(path: Path) -> Optional[str]:
    """The image type by content (PNG, JPEG, WebP), whatever the name says; None for anything else."""
    with path.open("rb") as handle:
        kind = uploads.sniff(handle.read(16))
    return uploads.KINDS[kind][1] if kind else None


def _store_file(store: Store, relative: str) -> Optional[Path]:
    """A file of the store's own uploads, by its path inside the store's folder, on this server's disk (fetched
    from the object store when that is the backend); None outside that folder or when there is no such file."""
    root = store_upload_dir(store)
    candidate = root / relative
    if not relative or not _inside(candidate, root) or candidate.resolve() == root:
        return None
    return storage.uploads().local_path(f"{store.uid}/{candidate.resolve().relative_to(root).as_posix()}")


def store_logo_key(store: Store) -> Optional[str]:
    """The storage key of the store's logo ("<store uid>/<name>") when Store.logo_path names a file inside the
    store's own uploads, whether or not it exists; None otherwise.

    Store.logo_path is read relative to the uploads ("<store uid>/logo-....png", as services/documents/uploads.py
    saves it) or to the store's own folder ("logo.png").
    """
    if not store.logo_path:
        return None
    root = store_upload_dir(store)
    for candidate in (root.parent / store.logo_path, root / store.logo_path):
        if _inside(candidate, root) and candidate.resolve() != root:
            return f"{store.uid}/{candidate.resolve().relative_to(root).as_posix()}"
    return None


def store_logo_path(store: Store) -> Optional[Path]:
    """The store's uploaded logo as a local file if it is a PNG, JPEG or WebP inside its own uploads; None
    otherwise."""
    key = store_logo_key(store)
    path = _store_file(store, key.split("/", 1)[1]) if key else None
    if path is not None and _image_type(path):
        return path
    return None


def _logo_src(store: Store, for_pdf: bool) -> Optional[str]:
    path = store_logo_path(store)
    if path is None:
        return None
    if for_pdf:
        return UPLOADS_PREFIX + quote(path.relative_to(store_upload_dir(store)).as_posix())
    # Pages embed it, so the print view needs no uploads route and works offline once loaded.
    return f"data:{_image_type(path)};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def make_link_callback(store: Store) -> Callable[[str, Optional[str]], str]:
    """xhtml2pdf's link_callback: /static/... and /store-uploads/... map into their folders; our own PNG data URIs
    pass; anything else (http:, file:, absolute paths, ../) is refused and points at a file that does not exist."""
    static = static_root()
    uploads = store_upload_dir(store)
    refused = str(static / ".refused-resource")

    def link_callback(uri: str, rel: Optional[str] = None) -> str:
        uri = str(uri or "")
        if uri.startswith(QR_PREFIX):
            return uri
        parts = urlsplit(uri)
        if not parts.scheme and not parts.netloc and not parts.query:
            for prefix, root in ((STATIC_PREFIX, static), (UPLOADS_PREFIX, uploads)):
                if parts.path.startswith(prefix):
                    relative = unquote(parts.path[len(prefix):])
                    if root is uploads:
                        found = _store_file(store, relative)
                        if found is not None:
                            return str(found)
                        continue
                    candidate = root / relative
                    if _inside(candidate, root) and candidate.is_file():
                        return str(candidate.resolve())
        log.warning("document resource refused: %r", uri[:200])
        return refused

    return link_callback


def resource_policy(store: Store):
    """xhtml2pdf's own guard behind the link_callback: local reads only under static/ and the store's uploads,
    no network at all, and its server limits on size and time."""
    from xhtml2pdf.config.resources import ResourceAccessPolicy  # heavy (ReportLab); loaded on first render

    return ResourceAccessPolicy.server(
        base_dir=static_root(), extra_roots=(store_upload_dir(store),), allow_remote=False,
    )


# --------------------------------------------------------------------------- rendering


@dataclass
class RenderedPdf:
    data: bytes
    err: int
    warn: int
    messages: list[str]


def render_invoice_html(bill: Bill, *, for_pdf: bool = False, **page) -> str:
    """The A4 invoice as HTML: for the browser's print view, or (for_pdf) for xhtml2pdf."""
    doc = invoice_document(bill, for_pdf=for_pdf)
    return _render("pdf/invoice.html", doc=doc, for_pdf=for_pdf, page=page)


def render_receipt_html(bill: Bill, **page) -> str:
    """The 80 mm thermal receipt print page."""
    return _render("pdf/receipt.html", doc=invoice_document(bill), page=page)


def _render(name: str, **context) -> str:
    """A document template with the app's filters and globals but without the pages' context processors
    (navigation, store switcher): documents are also made outside requests (mail, benchmarks)."""
    return current_app.jinja_env.get_template(name).render(**context)


# Python's full garbage collection walks every object the process holds, and a render makes hundreds of thousands
# (html5lib's DOM, xhtml2pdf's fragments, ReportLab's flowables and table commands): the collector ran its full
# pass once in a 20-line render and three or four times in a 200-line one, a quarter of the render on the bench
# (docs/performance.md). Paused for the render, it runs once after, over what the render left.
_gc_pause_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off while the block runs (nested and threaded renders count; the first pause
    remembers whether it was on, and the last one out puts it back)."""
    global _gc_pauses, _gc_was_enabled
    with _gc_pause_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_pause_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def render_pdf(html: str, store: Store, kind: str, number: str) -> RenderedPdf:
    """A document's HTML as A4 PDF bytes (the store's resources only), with the renderer's error and warning
    counts. `kind` and `number` name it in logs and errors ("invoice", "INV202500001"). Raises DocumentError if
    xhtml2pdf reports an error; warnings are logged and returned. Invoices and credit notes both come here."""
    from xhtml2pdf import pisa  # heavy (ReportLab); loaded on first render

    out = io.BytesIO()
    with collector_paused():
        status = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=make_link_callback(store),
                                resource_policy=resource_policy(store))
    messages = [f"{mode}: {message}" for mode, _line, message, _ in getattr(status, "log", [])]
    if status.err:
        log.error("%s %s did not render: %s", kind, number, "; ".join(messages))
        raise DocumentError(f"The {kind} PDF could not be made.")
    if status.warn:
        log.warning("%s %s rendered with warnings: %s", kind, number, "; ".join(messages))
    return RenderedPdf(data=out.getvalue(), err=status.err, warn=status.warn, messages=messages)


def render_invoice_pdf(bill: Bill) -> RenderedPdf:
    """The A4 tax invoice as PDF bytes (see render_pdf and render_paged)."""
    doc = invoice_document(bill, for_pdf=True)
    return render_paged(lambda pages: _render("pdf/invoice.html", doc=doc, for_pdf=True, page={},
                                              page_count=pages),
                        bill.store, "invoice", bill.invoice_number, ("invoice", bool(doc.jewellery_columns)),
                        len(doc.lines) + len(doc.payments))


# --------------------------------------------------------------------------- "Page n of N" in one layout pass

# xhtml2pdf lays a document out twice when it prints <pdf:pagecount> (ReportLab's multiBuild: the first pass counts
# the pages), which is a third or more of a render. render_paged prints a guessed N instead, in one pass, and keeps
# the PDF only if it has exactly N pages (the footer is a static frame: its text never moves the flow); otherwise it
# renders again with <pdf:pagecount>, as before. So the page count printed is always right, and a good guess saves
# the second pass. The guess: the pages this worker last saw for that many rows of that layout, else a rows-per-page
# estimate.
_PAGES_SEEN: "OrderedDict[tuple, int]" = OrderedDict()
PAGE_GUESS_ROWS = 24  # table rows of a portrait A4 invoice page, counting the header, totals and QR as 14 rows
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_page_count(data: bytes) -> int:
    """The pages of a PDF as ReportLab writes it (each page an uncompressed /Type /Page object)."""
    return len(PAGE_OBJECT.findall(data))


def _page_guess(layout: tuple, rows: int) -> int:
    seen = _PAGES_SEEN.get((layout, rows))
    if seen is not None:
        return seen
    per_page = PAGE_GUESS_ROWS // 2 if layout[-1] else PAGE_GUESS_ROWS  # landscape with the jewellery table
    return max(1, -(-(rows + 14) // per_page))


def render_paged(html_for: Callable[[Optional[int]], str], store: Store, kind: str, number: str, layout: tuple,
                 rows: int) -> RenderedPdf:
    """A document whose footer prints "Page n of N": `html_for(N)` with a guessed N in one pass, kept if the PDF has
    N pages; else `html_for(None)` (<pdf:pagecount>, two passes). See the note above."""
    guess = _page_guess(layout, rows)
    rendered = render_pdf(html_for(guess), store, kind, number)
    pages = pdf_page_count(rendered.data)
    _PAGES_SEEN[(layout, rows)] = pages
    _PAGES_SEEN.move_to_end((layout, rows))
    while len(_PAGES_SEEN) > 512:
        _PAGES_SEEN.popitem(last=False)
    if pages == guess:
        return rendered
    log.info("%s %s: guessed %d pages, made %d; rendered again with the page count", kind, number, guess, pages)
    return render_pdf(html_for(None), store, kind, number)


def document_filename(number: str, fallback: str) -> str:
    """A download name from a document number: letters, digits, - and _ kept, the rest turned into -."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in number)
    return f"{safe or fallback}.pdf"


def pdf_filename(bill: Bill) -> str:
    return document_filename(bill.invoice_number, "invoice")


# --------------------------------------------------------------------------- share links


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SHARE_SALT)


def share_token(bill: Bill, now: Optional[datetime] = None, days: Optional[int] = None) -> str:
    """A signed token naming the bill and when the link stops working (SHARE_LINK_DAYS, default 7)."""
    issued = now or datetime.now(timezone.utc)
    lifetime = days if days is not None else int(current_app.config.get("SHARE_LINK_DAYS") or 7)
    expires = int((issued + timedelta(days=lifetime)).timestamp())
    return _serializer().dumps({"b": bill.uid, "e": expires})


def share_expires_at(token: str) -> Optional[datetime]:
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    return datetime.fromtimestamp(int(payload["e"]), tz=timezone.utc)


def bill_for_share_token(token: str, now: Optional[datetime] = None) -> Bill:
    """The bill a share token names; ShareLinkInvalid (404) if not ours, ShareLinkExpired (410) if too old."""
    try:
        payload = _serializer().loads(token)
        uid, expires = str(payload["b"]), int(payload["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ShareLinkInvalid("This link is not valid.") from exc
    moment = now or datetime.now(timezone.utc)
    if moment.timestamp() >= expires:
        raise ShareLinkExpired("This link has expired. Ask the shop for a new one.")
    bill = db.session.execute(db.select(Bill).filter_by(uid=uid)).scalar_one_or_none()
    if bill is None:
        raise ShareLinkInvalid("This link is not valid.")
    return bill


def share_url(bill: Bill, now: Optional[datetime] = None) -> str:
    """The absolute public link to the bill's PDF (PUBLIC_BASE_URL when set, else the request's host)."""
    token = share_token(bill, now=now)
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("documents.shared_pdf", token=token)
    return url_for("documents.shared_pdf", token=token, _external=True)


# --------------------------------------------------------------------------- mail


def default_recipient(bill: Bill) -> str:
    """The customer's (or supplier's) email on record, or ''."""
    party = bill.party
    record = (party.customer or party.supplier) if party is not None else None
    return (record.email or "") if record is not None else ""


def email_bill(bill: Bill, to: str, link: Optional[str] = None) -> str:
    """Mail the bill's PDF as an attachment (and the share link, when given) to one address; returns the address.

    Raises ValidationError (field "to") when there is no address or it is not a valid one.
    """
    from services.documents.pdf_cache import cached_pdf, invoice_doc  # it reads this module's renderers

    address = _valid_email(to or default_recipient(bill))
    pdf = cached_pdf(invoice_doc(bill))
    store = bill.store
    lines = [
        f"Dear {bill.customer_name or 'customer'},",
        "",
        f"Please find attached invoice {bill.invoice_number} from {store.name} for {inr(bill.total_amount)}.",
    ]
    if bill.cancelled_at is not None:
        lines.append("This invoice has been cancelled.")
    elif money(bill.due_amount) > 0:
        lines.append(f"Amount due: {inr(bill.due_amount)}.")
    if link:
        days = current_app.config.get("SHARE_LINK_DAYS") or 7
        lines += ["", f"You can also download it from this link for the next {days} days:", link]
    lines += ["", "Thank you,", store.name]
    send_mail(
        address, f"Invoice {bill.invoice_number} from {store.name}", "\n".join(lines),
        attachments=[(pdf_filename(bill), "application/pdf", pdf.data)],
    )
    return address


def _valid_email(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError.field("to", "This bill has no customer email; enter an address.")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError.field("to", "Enter a valid email address.") from exc
