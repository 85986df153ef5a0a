"""Every table of the shop, on one set of models that all three API contracts and the web pages share.

Money is Numeric(12,2), weights and quantities Numeric(12,3), rates Numeric(5,2): Decimal end to end.
Timestamps are stored as naive UTC and come back as aware UTC datetimes (UTCDateTime).
Integer `id`s serve NamastePMS and the jewellery API; `uid` (UUID text) serves Billing v1.
"""
from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from services.billing import search_index as bill_search_index
from services.catalog import search_index
from services.vocabulary import (
    BILL_STATUSES,
    COUPON_KINDS,
    DISCOUNT_TYPES,
    FLAT,
    MAKING_TYPES,
    REFUND_MODES,
    STORED_PAYMENT_MODES,
    UNITS,
    UNPAID,
)

LOYALTY_KINDS = ("earn", "redeem", "return", "cancel", "adjust")
# A wallet entry (services/parties/wallet.py): money put in (topup, membership_credit, refund), taken by a bill
# (payment), given back when that bill is cancelled (cancel), or set right by hand (adjustment).
WALLET_KINDS = ("topup", "membership_credit", "payment", "refund", "cancel", "adjustment")
STAFF_ROLES = ("stylist", "therapist", "beautician", "barber", "receptionist", "manager", "other")
MONEY = Numeric(12, 2)
WEIGHT = Numeric(12, 3)
QTY = Numeric(12, 3)  # stock and line quantities: whole for pcs, three decimals for kg, g, l, ml, m
RATE = Numeric(5, 2)
COST = Numeric(14, 4)  # a unit cost (issue 14): the taxable value of a purchase line over its quantity, 4 decimals

ROLES = ("owner", "manager", "cashier")
BUSINESS_KINDS = ("general", "jewellery", "salon")
PRODUCT_TYPES = ("product", "service", "membership")
OTP_PURPOSES = ("signup", "login", "reset")
PARTY_TYPES = ("Customer", "Supplier")
EXPENSE_CATEGORIES = (
    "Rent", "Utilities", "Salary", "Inventory", "Transport",
    "Food", "Office Supplies", "Phone", "Marketing", "Other",
)
BILL_KINDS = ("sale", "purchase")
INVOICE_STATUSES = ("Paid", "Unpaid", "Pending", "Draft")
STOCK_REASONS = ("sale", "purchase", "adjust", "cancel", "import", "return",
                 # a manager's adjustment with its reason (services.catalog.stock.ADJUST_REASONS)
                 "opening", "count", "damage", "theft", "expiry", "correction", "to_supplier")
IMPORT_STATUSES = ("uploaded", "queued", "running", "done", "failed")  # an ImportJob, in that order
IMPORT_MODES = ("create", "update", "upsert")
IMPORT_MATCH = ("sku", "barcode")
GENDERS = ("Male", "Female", "Other")
DEFAULT_CATEGORIES = ("General", "Groceries", "Services")
DEFAULT_TIMEZONE = "Asia/Kolkata"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_uid() -> str:
    return str(uuid.uuid4())


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend; always returns an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def uid_column() -> Mapped[str]:
    return mapped_column(String(36), default=new_uid, unique=True, nullable=False)


def created_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def store_fk(index: bool = True) -> Mapped[int]:
    return mapped_column(ForeignKey("store.id", ondelete="CASCADE"), nullable=False, index=index)


# --------------------------------------------------------------------------- accounts and tenancy


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    username: Mapped[str] = mapped_column(String(150), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    phone_no: Mapped[Optional[str]] = mapped_column(String(15))
    business_name: Mapped[Optional[str]] = mapped_column(String(255))
    is_verify: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    token_version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Web sign-ins only: logout bumps it, so every session and remember-me cookie minted before is dead.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    current_store_id: Mapped[Optional[int]] = mapped_column(ForeignKey("store.id", ondelete="SET NULL"))
    totp_secret: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_column()
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def get_id(self) -> str:
        # Both versions are part of the session id: a password reset (token_version) ends every web session
        # and API token, a logout (session_version) every web session and remember-me cookie.
        return f"{self.id}:{self.token_version}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.is_active_account


class OneTimeCode(db.Model):
    __tablename__ = "one_time_code"
    __table_args__ = (CheckConstraint(_in("purpose", OTP_PURPOSES), name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(10), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    voided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()


class RefreshToken(db.Model):
    """Each issued refresh token, so rotation can spot the reuse of an old one."""

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_column()


class Store(db.Model):
    __tablename__ = "store"
    __table_args__ = (CheckConstraint(_in("business_kind", BUSINESS_KINDS), name="business_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    gstin: Mapped[Optional[str]] = mapped_column(String(15))
    state: Mapped[Optional[str]] = mapped_column(String(64))
    state_code: Mapped[Optional[str]] = mapped_column(String(2))
    address: Mapped[Optional[str]] = mapped_column(Text)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    upi_id: Mapped[Optional[str]] = mapped_column(String(100))
    invoice_prefix: Mapped[str] = mapped_column(String(6), default="INV", nullable=False)
    business_kind: Mapped[str] = mapped_column(String(20), default="general", nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE, nullable=False)
    logo_path: Mapped[Optional[str]] = mapped_column(String(255))
    allow_walk_in: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    created_at: Mapped[datetime] = created_column()

    memberships: Mapped[list["Membership"]] = relationship(back_populates="store", cascade="all, delete-orphan")

    @property
    def zone(self) -> ZoneInfo:
        """The store's time zone: its days, financial years and printed times are in it."""
        return ZoneInfo(self.timezone or DEFAULT_TIMEZONE)

    def local_today(self, now: Optional[datetime] = None) -> date:
        """The store's calendar day at `now` (default: this moment)."""
        return (now or utcnow()).astimezone(self.zone).date()


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "store_id"),
        CheckConstraint(_in("role", ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    store_id: Mapped[int] = store_fk()
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    created_at: Mapped[datetime] = created_column()

    user: Mapped[User] = relationship(back_populates="memberships")
    store: Mapped[Store] = relationship(back_populates="memberships")


class Category(db.Model):
    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = created_column()


class PaymentMethod(db.Model):
    """The fixed list of ways to pay (Cash, Card, UPI, ...), shared by every store."""

    __tablename__ = "payment_method"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)


# --------------------------------------------------------------------------- catalogue and stock


class Product(db.Model):
    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("store_id", "sku"),
        UniqueConstraint("store_id", "barcode"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint(_in("type", PRODUCT_TYPES), name="type"),
        CheckConstraint("cgst_rate >= 0 AND cgst_rate <= 100", name="cgst_rate"),
        CheckConstraint("sgst_rate >= 0 AND sgst_rate <= 100", name="sgst_rate"),
        CheckConstraint("making_type IS NULL OR " + _in("making_type", MAKING_TYPES), name="making_type"),
        CheckConstraint(_in("unit", UNITS), name="unit"),
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration_minutes"),
        Index("ix_product_store_archived_name", "store_id", "archived", "product_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk()
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(100), nullable=False)
    type: Mapped[str] = mapped_column(String(12), default="product", nullable=False)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"))
    sku: Mapped[Optional[str]] = mapped_column(String(50))
    barcode: Mapped[Optional[str]] = mapped_column(String(64))
    hsn_code: Mapped[Optional[str]] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(12), default="pcs", nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    # True: unit_price is the MRP the customer pays, GST included (the engine derives the taxable value from it).
    price_includes_tax: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", nullable=False)
    cgst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    sgst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    # Stock on hand. Only type "product" tracks it; it always equals the sum of its StockMoves.
    quantity: Mapped[Decimal] = mapped_column(QTY, default=Decimal("0"), nullable=False)
    low_stock_threshold: Mapped[Optional[int]] = mapped_column(Integer)
    # Cost per unit before GST (services/purchases/costs.py): the last purchase's, and the weighted average over the
    # stock on hand that values the stock and prices the cost of a sale for profit. None: never purchased.
    last_cost: Mapped[Optional[Decimal]] = mapped_column(COST)
    average_cost: Mapped[Optional[Decimal]] = mapped_column(COST)
    product_Img: Mapped[Optional[str]] = mapped_column("product_img", String(500))
    description: Mapped[Optional[str]] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # A service's usual length (salon appointment book, issue 16): the default of a booking line's duration.
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30", nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    # Jewellery attributes (the jewellery contract's "product" is a piece).
    trade_type: Mapped[Optional[str]] = mapped_column(String(10))  # the contract's sale | purchase
    huid: Mapped[Optional[str]] = mapped_column(String(16))
    hsn: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # {value, label, variation[]}
    size: Mapped[Optional[str]] = mapped_column(String(50))
    remark: Mapped[Optional[str]] = mapped_column(Text)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    image: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    additional_image: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    gross_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    less_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    net_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    fine_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    wastage: Mapped[Optional[Decimal]] = mapped_column(RATE)
    tounch: Mapped[Optional[Decimal]] = mapped_column(RATE)
    rate: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # {label, value, price}
    making_type: Mapped[Optional[str]] = mapped_column(String(2))
    making_charge: Mapped[Optional[Decimal]] = mapped_column(MONEY)
    metal_value: Mapped[Optional[Decimal]] = mapped_column(MONEY)
    cutting_enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    charges_json: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    tax_json: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    custom_fields: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    bill_display_settings: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    attributes: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # contract fields with no column

    category: Mapped[Optional[Category]] = relationship()

    @property
    def tracks_stock(self) -> bool:
        return self.type == "product"


Index("ix_product_store_sku", Product.store_id, Product.sku)
# The inventory list (services.catalog.listing): its sorts, its category and kind filters in name order, and the
# low-stock rule (stock minus level at or below 0), each read from an index at 100,000 products.
Index("ix_product_store_archived_price", Product.store_id, Product.archived, Product.unit_price, Product.id)
Index("ix_product_store_archived_quantity", Product.store_id, Product.archived, Product.quantity, Product.id)
Index("ix_product_store_archived_updated", Product.store_id, Product.archived, Product.updated_at, Product.id)
Index("ix_product_store_category_name", Product.store_id, Product.category_id, Product.product_name)
Index("ix_product_store_type_name", Product.store_id, Product.type, Product.product_name)
Index("ix_product_store_low_stock", Product.store_id, Product.archived,
      (Product.quantity - Product.low_stock_threshold).label("below"))
Index("ix_product_store_barcode", Product.store_id, Product.barcode)
# A name names one catalogue item in a store; jewellery pieces (a gross weight) share names ("Gold Ring"), each told
# apart by its tag and HUID. services.catalog.products checks first and words the error; this is the guard.
Index("uq_product_store_name", Product.store_id, Product.product_name, unique=True,
      postgresql_where=Product.gross_weight.is_(None), sqlite_where=Product.gross_weight.is_(None))
# The catalogue's name check (services.catalog.products._check_unique: the same name in any case) by index.
Index("ix_product_store_lower_name", Product.store_id, func.lower(Product.product_name))
# A HUID names one piece in a store (services.jewellery.pieces checks first and words the error; this is the guard).
Index("uq_product_store_huid", Product.store_id, Product.huid, unique=True,
      postgresql_where=Product.huid.isnot(None), sqlite_where=Product.huid.isnot(None))
# The stock value (services.purchases.costs.stock_value) reads only costed products, from this index alone.
Index("ix_product_store_costed", Product.store_id, Product.archived, Product.type, Product.quantity,
      Product.average_cost, postgresql_where=Product.average_cost.isnot(None),
      sqlite_where=Product.average_cost.isnot(None))
# The trigram index of catalogue search (pg_trgm indexes or an FTS5 table), built per backend beside the table.
event.listen(Product.__table__, "after_create", search_index.create)
event.listen(Product.__table__, "before_drop", search_index.drop)


class StockMove(db.Model):
    """One change of stock; a product's quantity is always the sum of its moves."""

    __tablename__ = "stock_move"
    __table_args__ = (
        CheckConstraint(_in("reason", STOCK_REASONS), name="reason"),
        CheckConstraint("delta <> 0", name="delta_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk()
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), nullable=False, index=True)
    delta: Mapped[Decimal] = mapped_column(QTY, nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    bill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bill.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[Optional[str]] = mapped_column(String(255))
    at: Mapped[datetime] = created_column()


# --------------------------------------------------------------------------- parties


class Party(db.Model):
    __tablename__ = "party"
    __table_args__ = (
        CheckConstraint(_in("category_type", PARTY_TYPES), name="category_type"),
        Index("ix_party_store_type", "store_id", "category_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk()
    Category_type: Mapped[str] = mapped_column("category_type", String(10), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    is_updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
    created_at: Mapped[datetime] = created_column()

    customer: Mapped[Optional["Customer"]] = relationship(
        back_populates="party", uselist=False, cascade="all, delete-orphan"
    )
    supplier: Mapped[Optional["Supplier"]] = relationship(
        back_populates="party", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        record = self.customer or self.supplier
        return record.name if record else ""


class Customer(db.Model):
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("store_id", "email"),
        UniqueConstraint("store_id", "phone_no"),
        UniqueConstraint("store_id", "customer_code"),
        CheckConstraint("gender IS NULL OR " + _in("gender", GENDERS), name="gender"),
        CheckConstraint("loyalty_points >= 0", name="loyalty_points"),
        CheckConstraint("wallet_balance >= 0", name="wallet_balance"),
        Index("ix_customer_store_name", "store_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), unique=True, nullable=False)
    store_id: Mapped[int] = store_fk(index=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone_no: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    Customer_code: Mapped[Optional[str]] = mapped_column("customer_code", String(50))
    address: Mapped[Optional[str]] = mapped_column(Text)
    gstin: Mapped[Optional[str]] = mapped_column(String(15))
    legal_name: Mapped[Optional[str]] = mapped_column(String(255))  # the registered name a B2B invoice prints
    state_code: Mapped[Optional[str]] = mapped_column(String(2))
    gender: Mapped[Optional[str]] = mapped_column(String(10))
    open_balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    credit_limmit: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    payment_method_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payment_method.id", ondelete="SET NULL"))
    loyalty_points: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # The wallet's balance (services/parties/wallet.py): the sum of the customer's WalletEntry rows.
    wallet_balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0",
                                                    nullable=False)
    referred_by: Mapped[Optional[str]] = mapped_column(String(255))
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)

    party: Mapped[Party] = relationship(back_populates="customer")


class Supplier(db.Model):
    __tablename__ = "supplier"
    __table_args__ = (UniqueConstraint("store_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), unique=True, nullable=False)
    store_id: Mapped[int] = store_fk(index=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    code: Mapped[str] = mapped_column(String(50), nullable=False)
    phone_no: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    email: Mapped[Optional[str]] = mapped_column(String(254))
    gstin: Mapped[Optional[str]] = mapped_column(String(15))
    address: Mapped[Optional[str]] = mapped_column(Text)
    # What we owed the supplier when they were entered (dues brought forward from before this system).
    open_balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0", nullable=False)

    party: Mapped[Party] = relationship(back_populates="supplier")


class OpeningPayment(db.Model):
    """The part of a payment received from a customer (or made to a supplier) that settled the party's opening
    balance, which has no bill to carry a Payment row (services/parties/ledger.py); never more than that balance."""

    __tablename__ = "opening_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(_in("mode", STORED_PAYMENT_MODES), name="mode"),
        Index("ix_opening_payment_store_timestamp", "store_id", "timestamp"),  # the day close, the day book
        Index("ix_opening_payment_party", "party_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), nullable=False)
    mode: Mapped[str] = mapped_column(String(10), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reference: Mapped[Optional[str]] = mapped_column(String(100))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()

    party: Mapped[Party] = relationship()


# --------------------------------------------------------------------------- money out


class Expense(db.Model):
    __tablename__ = "expense"
    __table_args__ = (
        CheckConstraint(_in("category", EXPENSE_CATEGORIES), name="category"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_expense_store_date", "store_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk(index=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    description: Mapped[Optional[str]] = mapped_column(Text)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    is_necessary: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


# --------------------------------------------------------------------------- bills


class Bill(db.Model):
    """A saved sale or purchase invoice, whichever surface made it (POS, Billing v1, NamastePMS, jewellery)."""

    __tablename__ = "bill"
    __table_args__ = (
        UniqueConstraint("store_id", "invoice_number"),
        CheckConstraint(_in("kind", BILL_KINDS), name="kind"),
        CheckConstraint(_in("status", BILL_STATUSES), name="status"),
        CheckConstraint("invoice_status IS NULL OR " + _in("invoice_status", INVOICE_STATUSES), name="invoice_status"),
        CheckConstraint("sub_total >= 0 AND discount >= 0 AND tax >= 0", name="amounts_not_negative"),
        CheckConstraint("total_amount >= 0 AND paid_amount >= 0 AND due_amount >= 0", name="totals_not_negative"),
        Index("ix_bill_store_created", "store_id", "created_at"),
        Index("ix_bill_store_billed", "store_id", "billing_timestamp"),
        Index("ix_bill_store_status", "store_id", "status"),
        Index("ix_bill_store_party", "store_id", "party_id"),
        Index("ix_bill_store_invoice_date", "store_id", "invoice_date"),  # a month's invoices (GST returns)
        # The bills list (services.billing.bills.list_bills): a page in each of its orders, with or without a status,
        # and a range of dates, read from an index in order and stopped at the page (docs/performance.md).
        Index("ix_bill_store_kind_created", "store_id", "kind", "created_at", "id"),
        Index("ix_bill_store_kind_amount", "store_id", "kind", "total_amount", "id"),
        Index("ix_bill_store_kind_status_created", "store_id", "kind", "status", "created_at", "id"),
        Index("ix_bill_store_kind_status_amount", "store_id", "kind", "status", "total_amount", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk(index=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default="sale", nullable=False)
    source: Mapped[str] = mapped_column(String(12), default="pos", nullable=False)  # pos|v1|namaste|jewellery
    invoice_number: Mapped[str] = mapped_column(String(50), nullable=False)
    series: Mapped[Optional[str]] = mapped_column(String(6))
    fy: Mapped[Optional[int]] = mapped_column(Integer)  # the financial year's starting year
    seq: Mapped[Optional[int]] = mapped_column(Integer)
    invoice_date: Mapped[Optional[date]] = mapped_column(Date)
    due_date: Mapped[Optional[date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=UNPAID, nullable=False)
    invoice_status: Mapped[Optional[str]] = mapped_column(String(10))  # NamastePMS's own field, kept as sent
    party_id: Mapped[Optional[int]] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    customer_name: Mapped[Optional[str]] = mapped_column(String(255))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    VAt_number: Mapped[Optional[str]] = mapped_column("vat_number", String(50))
    address: Mapped[Optional[str]] = mapped_column(Text)
    place_of_supply: Mapped[Optional[str]] = mapped_column(String(2))
    # The buyer's GSTIN and state as they were when the bill was saved (GSTR-1 reads these, never the customer's
    # record today, so a later change of the customer cannot move an old invoice between B2B and B2C).
    buyer_gstin: Mapped[Optional[str]] = mapped_column(String(15))
    buyer_state: Mapped[Optional[str]] = mapped_column(String(2))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    payment_method_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payment_method.id", ondelete="SET NULL"))
    payment_mode: Mapped[Optional[str]] = mapped_column(String(10))
    sub_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    discount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    tax: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    cgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    sgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    igst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0", nullable=False)
    round_off: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0", nullable=False)
    # Credit notes against the bill: their total, and the part of it paid back to the customer.
    credited_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0",
                                                     nullable=False)
    refunded_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0",
                                                     nullable=False)
    additional_charges: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    total_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    paid_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    due_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    coupon_codes: Mapped[Optional[list[str]]] = mapped_column(JSON)
    referral_code: Mapped[Optional[str]] = mapped_column(String(50))
    billing_timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    payment_timestamp: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    interest_terms: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)  # jewellery credit terms
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cancel_reason: Mapped[Optional[str]] = mapped_column(String(255))
    # A purchase bill: the supplier's own invoice number and date (one number per supplier, services/purchases).
    supplier_invoice_no: Mapped[Optional[str]] = mapped_column(String(50))
    supplier_invoice_date: Mapped[Optional[date]] = mapped_column(Date)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    items: Mapped[list["BillItem"]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="BillItem.line_no"
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="Payment.id"
    )
    party: Mapped[Optional[Party]] = relationship()
    store: Mapped[Store] = relationship()


event.listen(Bill.__table__, "after_create", bill_search_index.create)  # the search's trigram indexes (PostgreSQL)


class BillItem(db.Model):
    __tablename__ = "bill_item"
    __table_args__ = (
        UniqueConstraint("bill_id", "line_no"),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("returned_qty >= 0 AND returned_qty <= qty", name="returned_qty"),
        CheckConstraint(_in("type", PRODUCT_TYPES), name="type"),
        CheckConstraint(_in("discount_type", DISCOUNT_TYPES), name="discount_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), nullable=False, index=True)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"), index=True)
    type: Mapped[str] = mapped_column(String(12), default="product", nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)  # snapshot at sale time
    hsn_code: Mapped[Optional[str]] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(12), default="pcs", nullable=False)
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    qty: Mapped[Decimal] = mapped_column(QTY, nullable=False)
    returned_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal("0"), server_default="0", nullable=False)
    rate: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    price_includes_tax: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", nullable=False)
    discount_type: Mapped[str] = mapped_column(String(8), default=FLAT, nullable=False)
    discount_value: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    cgst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    sgst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    igst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), server_default="0", nullable=False)
    base_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    discount_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    taxable_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    cgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    sgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    igst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0", nullable=False)
    # This line's share of a bill discount taken before tax (store option bill_discount_before_tax).
    bill_discount_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0",
                                                          nullable=False)
    line_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    # A sale line's cost per unit when it was sold: the product's average_cost then (None: not known), for profit.
    unit_cost: Mapped[Optional[Decimal]] = mapped_column(COST)
    # The staff member's commission on the whole line, by the rule in force when the bill was saved (issue 16,
    # services/salon/commissions.py): a later rule change does not rewrite it; a return takes back its share.
    commission_amount: Mapped[Optional[Decimal]] = mapped_column(MONEY)
    # The part of discount_amount that is the customer's membership discount (issue 16, services/salon/memberships.py).
    membership_discount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0",
                                                         nullable=False)
    # Jewellery line fields.
    huid: Mapped[Optional[str]] = mapped_column(String(16))
    size: Mapped[Optional[str]] = mapped_column(String(50))
    show_size_in_bill: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    gross_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    less_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    net_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    fine_weight: Mapped[Optional[Decimal]] = mapped_column(WEIGHT)
    tounch: Mapped[Optional[Decimal]] = mapped_column(RATE)
    wastage: Mapped[Optional[Decimal]] = mapped_column(RATE)
    making_type: Mapped[Optional[str]] = mapped_column(String(2))
    making_charge: Mapped[Optional[Decimal]] = mapped_column(MONEY)
    metal_rate: Mapped[Optional[Decimal]] = mapped_column(MONEY)
    extra: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    bill: Mapped[Bill] = relationship(back_populates="items")
    product: Mapped[Optional[Product]] = relationship()
    staff: Mapped[Optional["Staff"]] = relationship()  # who served the line (salon stylist), shown on the bill


class Payment(db.Model):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(_in("mode", STORED_PAYMENT_MODES), name="mode"),
        Index("ix_payment_timestamp", "timestamp"),  # money of a day: dues collected, the day book, the day close
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), nullable=False, index=True)
    mode: Mapped[str] = mapped_column(String(10), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reference: Mapped[Optional[str]] = mapped_column(String(100))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    interest_paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()

    bill: Mapped[Bill] = relationship(back_populates="payments")


class CreditNote(db.Model):
    """A return against a sale: its own gapless series (CN + financial year + 5 digits), the returned lines with
    their share of the original line's taxable value and taxes, and what was refunded or taken off the dues."""

    __tablename__ = "credit_note"
    __table_args__ = (
        UniqueConstraint("store_id", "number"),
        CheckConstraint(_in("refund_mode", REFUND_MODES), name="refund_mode"),
        CheckConstraint("total_amount >= 0 AND refund_amount >= 0 AND dues_reduced >= 0", name="amounts"),
        Index("ix_credit_note_store_created", "store_id", "created_at"),
        Index("ix_credit_note_store_note_date", "store_id", "note_date"),  # a month's credit notes (GST returns)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk(index=False)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(50), nullable=False)
    series: Mapped[str] = mapped_column(String(6), nullable=False)
    fy: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    note_date: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[Optional[str]] = mapped_column(String(255))
    refund_mode: Mapped[str] = mapped_column(String(10), nullable=False)
    refund_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    dues_reduced: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    sub_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    discount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    taxable_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    cgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    sgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    igst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    tax: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    round_off: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    total_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    created_at: Mapped[datetime] = created_column()

    items: Mapped[list["CreditNoteItem"]] = relationship(
        back_populates="credit_note", cascade="all, delete-orphan", order_by="CreditNoteItem.line_no"
    )
    bill: Mapped[Bill] = relationship()
    store: Mapped[Store] = relationship()


class CreditNoteItem(db.Model):
    __tablename__ = "credit_note_item"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id", ondelete="CASCADE"), nullable=False,
                                                index=True)
    bill_item_id: Mapped[int] = mapped_column(ForeignKey("bill_item.id", ondelete="CASCADE"), nullable=False,
                                              index=True)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)  # the bill line's number
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    hsn_code: Mapped[Optional[str]] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(12), default="pcs", nullable=False)
    qty: Mapped[Decimal] = mapped_column(QTY, nullable=False)
    rate: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    taxable_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    cgst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    sgst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    igst_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    cgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    sgst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    igst_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    line_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)

    credit_note: Mapped[CreditNote] = relationship(back_populates="items")
    bill_item: Mapped[BillItem] = relationship()


class HeldBill(db.Model):
    """A parked bill: the payload exactly as the till sent it; it takes no invoice number."""

    __tablename__ = "held_bill"
    __table_args__ = (Index("ix_held_bill_store_created", "store_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk(index=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    customer_summary: Mapped[Optional[str]] = mapped_column(String(255))
    amount_estimate: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    created_at: Mapped[datetime] = created_column()


class Estimate(db.Model):
    """A jewellery estimate (quotation): the till's bill as it stood, with the rate of each piece; no invoice number,
    no stock moved, no tax invoice. Turned into an invoice later through the till (converted_bill_id)."""

    __tablename__ = "estimate"
    __table_args__ = (Index("ix_estimate_store_created", "store_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk(index=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)  # the till state, rates locked per line
    customer_summary: Mapped[Optional[str]] = mapped_column(String(255))
    total_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    converted_bill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bill.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()

    converted_bill: Mapped[Optional["Bill"]] = relationship()


class IdempotencyRecord(db.Model):
    """A request key's outcome: status_code NULL while the first request is still running."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("store_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[Optional[int]] = mapped_column(Integer)
    body: Mapped[Optional[str]] = mapped_column(Text)
    bill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bill.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()


class InvoiceCounter(db.Model):
    """The next invoice number per store, series and financial year; locked while a bill is saved."""

    __tablename__ = "invoice_counter"
    __table_args__ = (
        UniqueConstraint("store_id", "series", "fy"),
        CheckConstraint("next_value >= 1", name="next_value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    series: Mapped[str] = mapped_column(String(6), nullable=False)
    fy: Mapped[int] = mapped_column(Integer, nullable=False)
    next_value: Mapped[int] = mapped_column(Integer, default=1, nullable=False)


class Staff(db.Model):
    """A member of the store's staff who serves bill lines (a salon's stylist); not necessarily a login
    (services/salon/staff.py)."""

    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()
    role: Mapped[str] = mapped_column(String(20), default="stylist", server_default="stylist", nullable=False)

    user: Mapped[Optional["User"]] = relationship()


class CommissionRule(db.Model):
    """A staff member's commission (issue 16, services/salon/commissions.py): the default (no product, no category),
    or an override for one category or one product; a percent of the line's value after discounts and before tax,
    or a flat amount per unit. Most specific wins: product, then category, then the default."""

    __tablename__ = "commission_rule"
    __table_args__ = (
        CheckConstraint(_in("kind", DISCOUNT_TYPES), name="kind"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
        CheckConstraint("product_id IS NULL OR category_id IS NULL", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    value: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    staff: Mapped[Staff] = relationship()
    product: Mapped[Optional[Product]] = relationship()
    category: Mapped[Optional[Category]] = relationship()


# One rule per staff member and target: the default, each product, each category (NULLs are distinct in a plain
# unique constraint, so each target has a partial unique index). The page checks first and words it; these guard.
_DEFAULT = CommissionRule.product_id.is_(None) & CommissionRule.category_id.is_(None)
Index("ux_commission_rule_default", CommissionRule.staff_id, unique=True,
      postgresql_where=_DEFAULT, sqlite_where=_DEFAULT)
Index("ux_commission_rule_product", CommissionRule.staff_id, CommissionRule.product_id, unique=True,
      postgresql_where=CommissionRule.product_id.isnot(None), sqlite_where=CommissionRule.product_id.isnot(None))
Index("ux_commission_rule_category", CommissionRule.staff_id, CommissionRule.category_id, unique=True,
      postgresql_where=CommissionRule.category_id.isnot(None), sqlite_where=CommissionRule.category_id.isnot(None))


APPOINTMENT_STATUSES = ("booked", "arrived", "done", "no-show", "cancelled")


class Appointment(db.Model):
    """A customer's booking at a salon (services/salon/appointments.py): one or more service lines, each with its
    staff member and time. `bill_id` is the bill that "Bill this appointment" saved (status done)."""

    __tablename__ = "appointment"
    __table_args__ = (CheckConstraint(_in("status", APPOINTMENT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk()
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(10), default="booked", nullable=False)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    bill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bill.id", ondelete="SET NULL"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)

    party: Mapped[Party] = relationship()
    bill: Mapped[Optional["Bill"]] = relationship()
    lines: Mapped[list["AppointmentLine"]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan",
        order_by="(AppointmentLine.starts_at, AppointmentLine.id)")


class AppointmentLine(db.Model):
    """One service of an appointment: who does it and when. `cancelled` mirrors the appointment's status, so the
    PostgreSQL exclusion constraint (no two live lines of one staff member overlap) can say which lines count."""

    __tablename__ = "appointment_line"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_appointment_line_store_starts", "store_id", "starts_at"),
        Index("ix_appointment_line_staff_starts", "staff_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), nullable=False,
                                                index=True)
    store_id: Mapped[int] = store_fk(index=False)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", nullable=False)

    appointment: Mapped[Appointment] = relationship(back_populates="lines")
    staff: Mapped["Staff"] = relationship()
    product: Mapped[Product] = relationship()


def _appointment_overlap_guard(target, connection, **kw) -> None:
    """after_create of appointment_line on PostgreSQL: the database refuses two live lines of one staff member whose
    times overlap (half-open ranges, so back-to-back slots are fine)."""
    if connection.dialect.name == "postgresql":
        from services.salon.appointments import create_overlap_constraint

        create_overlap_constraint(connection)


event.listen(AppointmentLine.__table__, "after_create", _appointment_overlap_guard)


class Coupon(db.Model):
    __tablename__ = "coupon"
    __table_args__ = (
        UniqueConstraint("store_id", "code"),
        CheckConstraint(_in("kind", COUPON_KINDS), name="kind"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
        CheckConstraint("uses >= 0", name="uses_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk(index=False)
    code: Mapped[str] = mapped_column(String(50), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    value: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    valid_from: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    valid_to: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    max_uses: Mapped[Optional[int]] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = created_column()
    # Issue 15: how often one customer may use it, and the bill's sub-total it needs (services.billing.coupons).
    max_uses_per_customer: Mapped[Optional[int]] = mapped_column(Integer)
    min_bill_value: Mapped[Optional[Decimal]] = mapped_column(MONEY)


# A code is unique in its store whatever its case (codes are kept upper-case; the till and the APIs match them so).
Index("ux_coupon_store_upper_code", Coupon.store_id, func.upper(Coupon.code), unique=True)


class CouponUse(db.Model):
    """One bill's use of a coupon: for whom, and the part of the bill's discount the coupon gave."""

    __tablename__ = "coupon_use"
    __table_args__ = (
        CheckConstraint("discount >= 0", name="discount_not_negative"),
        Index("ix_coupon_use_coupon_party", "coupon_id", "party_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupon.id", ondelete="CASCADE"), nullable=False)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), nullable=False, index=True)
    party_id: Mapped[Optional[int]] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    discount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    created_at: Mapped[datetime] = created_column()

    bill: Mapped["Bill"] = relationship()


class DayClose(db.Model):
    """A day closed at the till (the Z report): what each payment mode should hold, the cash counted and the
    difference, once per store and day (services/reports/day_close.py)."""

    __tablename__ = "day_close"
    __table_args__ = (
        UniqueConstraint("store_id", "day"),
        CheckConstraint("counted_cash >= 0", name="counted_cash_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    expected: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)  # mode -> amount (text), when closed
    expected_cash: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    counted_cash: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    difference: Mapped[Decimal] = mapped_column(MONEY, nullable=False)  # counted - expected: short below zero
    note: Mapped[Optional[str]] = mapped_column(String(255))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()

    user: Mapped[Optional[User]] = relationship()


class LoyaltyEntry(db.Model):
    """One change of a customer's loyalty points (earned on a bill, redeemed on one, taken back by a return or a
    cancellation); Customer.loyalty_points is their balance (services/parties/loyalty.py)."""

    __tablename__ = "loyalty_entry"
    __table_args__ = (
        CheckConstraint(_in("kind", LOYALTY_KINDS), name="kind"),
        Index("ix_loyalty_entry_store_party", "store_id", "party_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), nullable=False)
    bill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bill.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)  # + earned, - redeemed or taken back
    balance: Mapped[int] = mapped_column(Integer, nullable=False)  # the customer's balance after it
    value: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)  # a redemption's ₹
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()

    bill: Mapped[Optional["Bill"]] = relationship()


class WalletEntry(db.Model):
    """One change of a customer's wallet (a top-up, a membership's credit, a bill's payment, a credit note's
    refund, a cancelled bill's payment given back, an adjustment); Customer.wallet_balance is their sum
    (services/parties/wallet.py)."""

    __tablename__ = "wallet_entry"
    __table_args__ = (
        CheckConstraint(_in("kind", WALLET_KINDS), name="kind"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("pay_mode IS NULL OR " + _in("pay_mode", STORED_PAYMENT_MODES), name="pay_mode"),
        Index("ix_wallet_entry_store_party", "store_id", "party_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)  # + into the wallet, - out of it
    balance: Mapped[Decimal] = mapped_column(MONEY, nullable=False)  # the customer's balance after it
    # A top-up's money received (cash, card, upi): it is that day's money in (day close, day book).
    pay_mode: Mapped[Optional[str]] = mapped_column(String(10))
    reference: Mapped[Optional[str]] = mapped_column(String(100))
    bill_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bill.id", ondelete="SET NULL"), index=True)
    credit_note_id: Mapped[Optional[int]] = mapped_column(ForeignKey("credit_note.id", ondelete="SET NULL"))
    note: Mapped[Optional[str]] = mapped_column(String(255))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()

    party: Mapped["Party"] = relationship()
    bill: Mapped[Optional["Bill"]] = relationship()
    credit_note: Mapped[Optional["CreditNote"]] = relationship()
    user: Mapped[Optional["User"]] = relationship()


class MetalRate(db.Model):
    """A day's price per gram of a metal at a purity, per store."""

    __tablename__ = "metal_rate"
    __table_args__ = (
        UniqueConstraint("store_id", "metal", "purity_label", "date"),
        CheckConstraint("price_per_gram > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    metal: Mapped[str] = mapped_column(String(20), nullable=False)
    purity_label: Mapped[str] = mapped_column(String(20), nullable=False)
    price_per_gram: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = created_column()


class AuditLog(db.Model):
    """One audit row. Rows are append-only and hash-chained per store (services.audit_chain): `chain` is the
    store's id (0 for account-level rows without a store), `seq` counts 1, 2, 3... within the chain, `prev_hash`
    is the previous row's `hash` (64 zeros for the first) and `hash` is SHA-256 of the row's canonical content."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_store_at", "store_id", "at"), UniqueConstraint("chain", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[Optional[int]] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    entity: Mapped[str] = mapped_column(String(30), nullable=False)
    entity_id: Mapped[Optional[str]] = mapped_column(String(64))
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    meta: Mapped[Optional[dict[str, Any]]] = mapped_column("metadata", JSON)
    at: Mapped[datetime] = created_column()
    chain: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditChainHead(db.Model):
    """The newest row of each audit chain (its seq and hash). Appending locks this row (UPDATE), so concurrent
    writers to one store queue here instead of forking the chain; verify compares it with the last row, so rows
    deleted from the end of a chain are noticed too. No foreign key: chain 0 is the account-level chain."""

    __tablename__ = "audit_chain_head"

    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class TillSession(db.Model):
    """The bill a cashier is building at the till (one per user and store), kept on the server so that every
    change is re-priced there and a reload or a failed save loses nothing. Its `payload` is the till's state.
    (Not a BillDraft: that is the typed input every surface hands to services.billing.bills.save_bill.)"""

    __tablename__ = "till_session"
    __table_args__ = (UniqueConstraint("store_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class ImportJob(db.Model):
    """A products import (services.catalog.imports): the uploaded file, its column mapping, and the background job's
    progress. `done` counts rows processed (imported or refused), `failed` those refused; `report` lists the refused
    rows with their messages. A job is claimed once (queued -> running by a conditional UPDATE)."""

    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),
        CheckConstraint(_in("mode", IMPORT_MODES), name="mode"),
        CheckConstraint(_in("match_by", IMPORT_MATCH), name="match_by"),
        Index("ix_import_job_store_created", "store_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = uid_column()
    store_id: Mapped[int] = store_fk(index=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="uploaded", nullable=False)
    mode: Mapped[str] = mapped_column(String(10), default="create", nullable=False)
    match_by: Mapped[str] = mapped_column(String(10), default="sku", nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)  # the file as uploaded
    mapping: Mapped[Optional[list[Any]]] = mapped_column(JSON)  # one field name (or "") per column of the file
    total: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    report: Mapped[Optional[list[Any]]] = mapped_column(JSON)  # [{"row", "sku", "barcode", "name", "messages"}]
    error: Mapped[Optional[str]] = mapped_column(Text)  # why a failed job stopped
    created_at: Mapped[datetime] = created_column()
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())  # a running job's last progress
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())


MEMBERSHIP_STATUSES = ("active", "cancelled")


class MembershipPlan(db.Model):
    """A salon plan (issue 16, services/salon/memberships.py): sold through its own `membership` product (kept in step
    with the plan), valid for validity_days from the day it is sold; its benefits are percentages off services and
    products, sessions of given services (MembershipPlanService) and a prepaid value credited to the wallet."""

    __tablename__ = "membership_plan"
    __table_args__ = (
        UniqueConstraint("store_id", "name"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("validity_days > 0", name="validity_positive"),
        CheckConstraint("service_discount >= 0 AND service_discount <= 100", name="service_discount"),
        CheckConstraint("product_discount >= 0 AND product_discount <= 100", name="product_discount"),
        CheckConstraint("prepaid_value >= 0", name="prepaid_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    validity_days: Mapped[int] = mapped_column(Integer, nullable=False)
    service_discount: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    product_discount: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    prepaid_value: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), nullable=False,
                                            unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = created_column()

    product: Mapped[Product] = relationship()
    services: Mapped[list["MembershipPlanService"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="MembershipPlanService.id")


class MembershipPlanService(db.Model):
    """Sessions of one service a plan includes (6 haircuts)."""

    __tablename__ = "membership_plan_service"
    __table_args__ = (
        UniqueConstraint("plan_id", "product_id"),
        CheckConstraint("sessions > 0", name="sessions_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("membership_plan.id", ondelete="CASCADE"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), nullable=False)
    sessions: Mapped[int] = mapped_column(Integer, nullable=False)

    plan: Mapped[MembershipPlan] = relationship(back_populates="services")
    product: Mapped[Product] = relationship()


class CustomerMembership(db.Model):
    """A plan sold to a customer on a bill: its terms as sold (a later plan edit does not change them), valid from
    starts_on to ends_on inclusive; cancelled when the bill that sold it is cancelled."""

    __tablename__ = "customer_membership"
    __table_args__ = (
        CheckConstraint(_in("status", MEMBERSHIP_STATUSES), name="status"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        Index("ix_customer_membership_party", "party_id", "status", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = store_fk(index=False)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), nullable=False)
    plan_id: Mapped[Optional[int]] = mapped_column(ForeignKey("membership_plan.id", ondelete="SET NULL"))
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    service_discount: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    product_discount: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0.00"), nullable=False)
    credit_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="active", nullable=False)
    created_at: Mapped[datetime] = created_column()

    allowances: Mapped[list["MembershipAllowance"]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", order_by="MembershipAllowance.id")


class MembershipAllowance(db.Model):
    """Sessions of one service a customer's membership holds, and how many are used: redeeming one is a conditional
    UPDATE (used < sessions), so two bills never both take the last session."""

    __tablename__ = "membership_allowance"
    __table_args__ = (
        UniqueConstraint("membership_id", "product_id"),
        CheckConstraint("used >= 0 AND used <= sessions", name="used_within_sessions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("customer_membership.id", ondelete="CASCADE"),
                                               nullable=False)
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    sessions: Mapped[int] = mapped_column(Integer, nullable=False)
    used: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    membership: Mapped[CustomerMembership] = relationship(back_populates="allowances")


class MembershipSession(db.Model):
    """The session ledger: one row per bill line that redeemed sessions (reversed_at set when that bill is
    cancelled and the sessions go back)."""

    __tablename__ = "membership_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    allowance_id: Mapped[int] = mapped_column(ForeignKey("membership_allowance.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), nullable=False, index=True)
    bill_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bill_item.id", ondelete="SET NULL"))
    qty: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_column()
    reversed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    allowance: Mapped[MembershipAllowance] = relationship()
