"""Jewellery pieces: the jewellery contract's "product" (a Product with the jewellery columns), created and changed
through the catalogue service, with the derived weights worked out here and the bill that sold (or bought) it.

    save_piece(store, user, piece | None, given, images) -> Product     create (piece None) or change a piece
    piece_bill(piece) -> Bill | None                                    the latest live bill naming the piece
    huid_problem(store, huid, exclude_id) -> str | None                 shape and uniqueness of a HUID
    hallmark_problem(store, piece) -> str | None                        why it may not be sold without a HUID
    awaiting_huid(store) -> list[int]                                   in-stock pieces hallmark_problem holds back
    list_pieces(store, q, page, limit, awaiting) -> Page                the store's pieces, newest first, searchable
    piece_status(piece) -> str                                          "in stock", "sold" or "not in stock"

Derived values are the server's (client values for them are ignored):
    net_weight  = gross_weight - less_weight                    (less above gross is refused)
    fine_weight = net_weight x (tounch + wastage) / 100, rounded half-up to 0.001 g
    metal_value = net_weight x the rate in force today for the piece's metal and purity (with cutting_enabled:
                  fine_weight x the fine metal's rate), rounded to the paisa; null when no rate is set
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from sqlalchemy import or_, select

from extensions import db
from models import Bill, BillItem, Product, Store, User
from services import audit
from services.accounts.billing_options import billing_options
from services.billing.pricing import GRAM, ZERO, decimal_problem, money
from services.catalog import products
from services.documents import uploads
from services.errors import Duplicate, FieldErrors
from services.jewellery import rates
from services.paging import Page, paginate_capped
from services.vocabulary import FINE_PURITY, JEWELLERY_GST_RATE, MAKING_TYPES, PURITIES, STONE_UNITS

HUID = re.compile(r"^[A-Z0-9]{6}$")
TRADE_TYPES = ("sale", "purchase")
HUNDRED = Decimal(100)
MAX_WEIGHT = Decimal(99999)
# Contract fields kept as given (after their shape was checked) in Product columns.
PLAIN = ("size", "remark", "comment", "charges_json", "tax_json", "custom_fields", "bill_display_settings")
# Kept in Product.attributes (the engine reads them there: services.billing.bills.jewellery_line).
EXTRAS = ("metal", "purity", "interest_terms", "stones", "hallmark_fee")
MAX_STONES = 20
HALLMARK_EXEMPT_BELOW = Decimal("2.000")  # grams of net weight (BIS: pieces under 2 g need no hallmark)


def huid_problem(store: Store, huid: str, exclude_id: Optional[int] = None) -> Optional[str]:
    """Why `huid` cannot be this piece's HUID (6 uppercase letters or digits, unique in the store), or None."""
    if not HUID.match(huid):
        return f"HUID must be 6 uppercase letters or digits, not {huid[:20]!r}"
    query = select(Product.product_name).where(Product.store_id == store.id, Product.huid == huid)
    if exclude_id is not None:
        query = query.where(Product.id != exclude_id)
    taken = db.session.execute(query.limit(1)).scalar_one_or_none()
    if taken is not None:
        return f"HUID {huid} is already used by {taken} in this store"
    return None


def hallmark_problem(store: Store, piece: Product) -> Optional[str]:
    """Why this piece may not be sold as it is: gold of 2 g net or more without a HUID where the store makes
    hallmarking mandatory (billing_options.hallmark_mandatory, default on); else None. save_bill asks it of every
    jewellery sale line; the pieces list shows it."""
    if piece.huid or (piece.attributes or {}).get("metal") != "gold":
        return None
    net = piece.net_weight if piece.net_weight is not None else (piece.gross_weight or ZERO)
    if net < HALLMARK_EXEMPT_BELOW or not billing_options(store).hallmark_mandatory:
        return None
    return (f"{piece.product_name} is gold without a HUID: hallmarking is mandatory in this store "
            "(pieces under 2 g net are exempt)")


def awaiting_huid(store: Store) -> list[int]:
    """The ids of the store's in-stock pieces that cannot be sold until their HUID is entered: hallmark_problem
    (the rule save_bill applies) asked of each in-stock gold piece without a HUID, the few it could refuse."""
    candidates = db.session.execute(
        select(Product).where(Product.store_id == store.id, Product.archived.is_(False),
                              Product.gross_weight.is_not(None), Product.huid.is_(None), Product.quantity > 0,
                              Product.attributes["metal"].as_string() == "gold")
    ).scalars()
    return [piece.id for piece in candidates if hallmark_problem(store, piece)]


def list_pieces(store: Store, q: str = "", page: int = 1, limit: int = 20, awaiting: bool = False) -> Page:
    """The store's live pieces (products with a gross weight), newest first; `q` matches the name, tag (SKU or
    barcode) or HUID, ignoring case; `awaiting` keeps only those that cannot be sold until their HUID is entered."""
    query = select(Product).where(Product.store_id == store.id, Product.archived.is_(False),
                                  Product.gross_weight.is_not(None))
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(db.func.lower(column).like(like, escape="\\") for column in
                                  (Product.product_name, Product.sku, Product.barcode, Product.huid))))
    if awaiting:
        query = query.where(Product.id.in_(awaiting_huid(store)))
    return paginate_capped(query.order_by(Product.id.desc()), page, limit)


def piece_status(piece: Product) -> str:
    """In stock (quantity 1), sold (a sale piece gone from stock), or not in stock (a purchase piece not yet bought)."""
    if piece.quantity > 0:
        return "in stock"
    return "not in stock" if piece.trade_type == "purchase" else "sold"


def piece_bill(piece: Product) -> Optional[Bill]:
    """The newest bill (not cancelled) with a line for this piece: the one that sold or bought it."""
    return db.session.execute(
        select(Bill).join(BillItem, BillItem.bill_id == Bill.id)
        .where(Bill.store_id == piece.store_id, BillItem.product_id == piece.id, Bill.cancelled_at.is_(None))
        .order_by(Bill.created_at.desc(), Bill.id.desc()).limit(1)
    ).scalar_one_or_none()


def _current(piece: Optional[Product], name: str) -> Any:
    if piece is None:
        return None
    if name in EXTRAS:
        value = (piece.attributes or {}).get(name)
        if name == "stones":
            return [{"weight": Decimal(str(s["weight"])), "unit": s["unit"], "value": Decimal(str(s["value"]))}
                    for s in value or []]
        return Decimal(str(value)) if name == "hallmark_fee" and value is not None else value
    return getattr(piece, name)


def _check_stones(values: dict[str, Any], errors: FieldErrors) -> None:
    """Stones: each a weight (3 decimals, carat or gram) and a value (2 decimals); the hallmark fee (2 decimals)."""
    stones = values.get("stones") or []
    if len(stones) > MAX_STONES:
        errors.add("stones", f"At most {MAX_STONES} stones")
        return
    for i, stone in enumerate(stones):
        where = f"stones[{i}]"
        if problem := decimal_problem(stone.get("weight"), 3, at_most=MAX_WEIGHT):
            errors.add(f"{where}.weight", problem)
        if stone.get("unit") not in STONE_UNITS:
            errors.add(f"{where}.unit", "Must be one of: " + ", ".join(STONE_UNITS))
        if problem := decimal_problem(stone.get("value"), 2):
            errors.add(f"{where}.value", problem)
    if values.get("hallmark_fee") is not None and (problem := decimal_problem(values["hallmark_fee"], 2)):
        errors.add("hallmark_fee", problem)


def _check(store: Store, piece: Optional[Product], values: dict[str, Any], errors: FieldErrors) -> None:
    if piece is None:
        for name in ("name", "gross_weight", "metal", "purity"):
            if values.get(name) in (None, ""):
                errors.add(name, "This field is required" + (
                    " (give metal and purity, or rate.value such as \"gold-22K\")" if name in ("metal", "purity")
                    else ""))
    name = values.get("name")
    if name is not None and (not name.strip() or len(name) > 100):
        errors.add("name", "A name of 1 to 100 characters is required")
    for tag, most in (("sku", 50), ("barcode", 64)):
        if values.get(tag) and len(values[tag]) > most:
            errors.add(tag, f"At most {most} characters")
    if values.get("type") not in TRADE_TYPES:
        errors.add("type", "Must be sale or purchase")
    metal, purity = values.get("metal"), values.get("purity")
    if metal is not None or purity is not None:
        rates.check_metal_purity(metal, purity, errors)
    gross, less = values.get("gross_weight"), values.get("less_weight") or Decimal("0.000")
    if gross is not None and (problem := decimal_problem(gross, 3, positive=True, at_most=MAX_WEIGHT, unit=" g")):
        errors.add("gross_weight", problem)
        gross = None
    if problem := decimal_problem(less, 3, at_most=MAX_WEIGHT, unit=" g"):
        errors.add("less_weight", problem)
    elif gross is not None and less > gross:
        errors.add("less_weight", f"Less weight ({less}) must not be more than the gross weight ({gross})")
    for field in ("tounch", "wastage"):
        if values.get(field) is not None and (problem := decimal_problem(values[field], 2, at_most=HUNDRED,
                                                                          unit=" %")):
            errors.add(field, problem)
    if values.get("making_type") is not None and values["making_type"] not in MAKING_TYPES:
        errors.add("making_type", "Must be one of: " + ", ".join(MAKING_TYPES))
    if values.get("making_charge") is not None and (problem := decimal_problem(values["making_charge"], 2)):
        errors.add("making_charge", problem)
    if values.get("huid"):
        if problem := huid_problem(store, values["huid"], piece.id if piece is not None else None):
            errors.add("huid", problem)
    _check_stones(values, errors)
    gst = values.get("gst_rate")
    if gst is not None and ((problem := decimal_problem(gst, 2, at_most=HUNDRED, unit=" %"))
                            or decimal_problem(gst / 2, 2)):
        errors.add("tax_json", problem or "The taxes must add up to a rate that splits into two halves of at most "
                                          "2 decimals (e.g. 3)")


def derived(store: Store, values: dict[str, Any]) -> dict[str, Any]:
    """net_weight, fine_weight, tounch (default: the purity's fineness / 10) and metal_value, as the module says."""
    metal, purity = values["metal"], values["purity"]
    gross, less = values["gross_weight"], values.get("less_weight") or Decimal("0.000")
    tounch = values.get("tounch")
    if tounch is None:
        tounch = Decimal(PURITIES[metal][purity]) / 10
    wastage = values.get("wastage") or ZERO
    net = (gross - less).quantize(GRAM)
    fine = (net * (tounch + wastage) / HUNDRED).quantize(GRAM, rounding=ROUND_HALF_UP)
    cutting = bool(values.get("cutting_enabled"))
    quote = rates.rate_on(store, metal, FINE_PURITY[metal] if cutting else purity, store.local_today())
    metal_value = money((fine if cutting else net) * quote.price_per_gram) if quote else None
    label = f"{metal.title()} {purity}"
    rate = {"label": label, "value": f"{metal}-{purity}",
            "price": f"{quote.price_per_gram:.2f}" if quote else None}
    return {"less_weight": less.quantize(GRAM), "net_weight": net, "fine_weight": fine, "tounch": tounch,
            "wastage": wastage, "metal_value": metal_value, "rate": rate}


def save_piece(store: Store, user: User, piece: Optional[Product], given: dict[str, Any],
               images: Optional[dict[str, tuple[bytes, str, str]]] = None) -> Product:
    """Create (piece None) or change a piece: the given fields over its current ones, checked together; the
    derived values recomputed; images (field -> (bytes, kind, file name), already checked by content) stored.
    A new piece of type "sale" is in stock (quantity 1); a "purchase" one comes into stock when it is bought."""
    keys = ("name", "sku", "barcode", "type", "metal", "purity", "gross_weight", "less_weight", "tounch", "wastage",
            "making_type", "making_charge", "cutting_enabled", "huid", "hsn_code", "stones", "hallmark_fee") + PLAIN
    current = {"name": piece.product_name if piece else None, "type": piece.trade_type if piece else None,
               "hsn_code": piece.hsn_code if piece else None, "sku": piece.sku if piece else None,
               "barcode": piece.barcode if piece else None}
    values = {k: given[k] if k in given else (current[k] if k in current else _current(piece, k)) for k in keys}
    values["type"] = values["type"] or "sale"
    if "gst_rate" in given:
        values["gst_rate"] = given["gst_rate"]
    errors = FieldErrors()
    _check(store, piece, values, errors)
    errors.raise_if()
    calc = derived(store, values)
    attributes = {**((piece.attributes or {}) if piece else {}), "metal": values["metal"], "purity": values["purity"]}
    if "stones" in given:
        attributes["stones"] = [{"weight": f"{Decimal(str(s['weight'])):.3f}", "unit": s["unit"],
                                 "value": f"{Decimal(str(s['value'])):.2f}"}
                                for s in values["stones"] or []]
    if "hallmark_fee" in given:
        attributes["hallmark_fee"] = f"{Decimal(str(values['hallmark_fee'] or ZERO)):.2f}"
    # Interest terms belong to the bill that sold (or bought) the piece; before it is billed they wait on the piece.
    bill = piece_bill(piece) if piece is not None and "interest_terms" in given else None
    if bill is not None:
        audit.record("update", "bill", bill.uid, store_id=store.id, user_id=user.id,
                     before={"interest_terms": bill.interest_terms}, after={"interest_terms": given["interest_terms"]})
        bill.interest_terms = given["interest_terms"]
    elif "interest_terms" in given:
        attributes["interest_terms"] = given["interest_terms"]
    details: dict[str, Any] = {
        "trade_type": values["type"], "huid": values["huid"] or None, "gross_weight": values["gross_weight"],
        "making_type": values["making_type"] or "PG", "making_charge": money(values["making_charge"] or 0),
        "cutting_enabled": bool(values["cutting_enabled"]), "attributes": attributes, **calc,
        **{k: values[k] for k in PLAIN if k in given},
    }
    if "hsn" in given:
        details["hsn"] = given["hsn"]
    for field, (data, kind, file_name) in (images or {}).items():
        stored = uploads.save_image(store.uid, data, kind, prefix="piece")
        details[field] = {"uri": "/uploads/" + stored, "fileName": file_name, "mimeType": uploads.KINDS[kind][1]}
    fields: dict[str, Any] = {"product_name": values["name"].strip(), "details": details}
    if values["hsn_code"]:
        fields["hsn_code"] = values["hsn_code"]
    for tag in ("sku", "barcode"):  # the piece's tag, scanned at the till; unique in the store (catalogue rule)
        if tag in given:
            fields[tag] = given[tag] or None
    if values.get("gst_rate") is not None or piece is None:
        half = (values.get("gst_rate") if values.get("gst_rate") is not None else Decimal(JEWELLERY_GST_RATE)) / 2
        fields.update(cgst_rate=half, sgst_rate=half)
    try:
        if piece is None:
            return products.create_product(store, user, products.ProductInput.of(
                unit_price=ZERO, type="product", quantity=Decimal(1 if values["type"] == "sale" else 0), **fields))
        return products.update_product(store, user, piece, products.ProductInput.of(**fields))
    except Duplicate:
        # Lost a race on the HUID (the unique index uq_product_store_huid): say so, not "name taken".
        if values["huid"] and huid_problem(store, values["huid"], piece.id if piece else None):
            raise Duplicate(huid_problem(store, values["huid"], piece.id if piece else None), "huid") from None
        raise
