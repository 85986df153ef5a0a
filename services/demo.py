"""Demo data: three shops (general store, jeweller, salon) that make every screen real.

`seed_demo()` is safe to run twice: a store that already exists (found by its demo marker) is left alone.
Everything is deterministic (a fixed random seed) except the dates, which end today.
"""
from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from extensions import db
from models import (
    Category,
    CommissionRule,
    Coupon,
    Expense,
    Membership,
    MetalRate,
    Party,
    Product,
    Staff,
    Store,
    User,
)
from services.accounts.stores import ensure_payment_methods, hash_password
from services.billing.bills import BillDraft, DraftLine, DraftPayment, JewelleryTerms, price_draft, save_bill
from services.catalog import stock
from services.catalog.products import ProductInput, create_product
from services.parties.parties import CustomerInput, SupplierInput, create_customer, create_supplier
from services.salon import memberships

DEMO_PASSWORD = "demo12345"
MONEY = Decimal("0.01")
GRAM = Decimal("0.001")

GENERAL_PRODUCTS = [
    # name, category, HSN, GST % (split equally into CGST and SGST), price, unit
    ("India Gate Basmati Rice 1kg", "Groceries", "1006", "5", "145.00", "pcs"),
    ("Aashirvaad Atta 5kg", "Groceries", "1101", "5", "265.00", "pcs"),
    ("Fortune Sunflower Oil 1L", "Groceries", "1512", "5", "155.00", "pcs"),
    ("Tata Salt 1kg", "Groceries", "2501", "0", "28.00", "pcs"),
    ("Madhur Sugar 1kg", "Groceries", "1701", "5", "52.00", "pcs"),
    ("Tata Tea Gold 500g", "Groceries", "0902", "5", "295.00", "pcs"),
    ("Bru Instant Coffee 100g", "Groceries", "2101", "18", "210.00", "pcs"),
    ("Amul Butter 500g", "Dairy", "0405", "12", "285.00", "pcs"),
    ("Amul Ghee 1L", "Dairy", "0405", "12", "650.00", "pcs"),
    ("Amul Taaza Milk 1L", "Dairy", "0401", "0", "68.00", "pcs"),
    ("Mother Dairy Paneer 200g", "Dairy", "0406", "5", "95.00", "pcs"),
    ("Toor Dal 1kg", "Groceries", "0713", "0", "165.00", "pcs"),
    ("Moong Dal 1kg", "Groceries", "0713", "0", "140.00", "pcs"),
    ("Chana Dal 1kg", "Groceries", "0713", "0", "98.00", "pcs"),
    ("Rajma 500g", "Groceries", "0713", "0", "90.00", "pcs"),
    ("MDH Garam Masala 100g", "Spices", "0910", "5", "92.00", "pcs"),
    ("Everest Turmeric 200g", "Spices", "0910", "5", "68.00", "pcs"),
    ("Everest Chilli Powder 200g", "Spices", "0904", "5", "82.00", "pcs"),
    ("Catch Jeera 100g", "Spices", "0909", "5", "75.00", "pcs"),
    ("Parle-G Biscuits 800g", "Snacks", "1905", "18", "90.00", "pcs"),
    ("Britannia Good Day 200g", "Snacks", "1905", "18", "40.00", "pcs"),
    ("Haldiram Bhujia 400g", "Snacks", "2106", "12", "110.00", "pcs"),
    ("Lay's Classic Salted 52g", "Snacks", "2005", "12", "20.00", "pcs"),
    ("Maggi Noodles 12-pack", "Snacks", "1902", "12", "168.00", "pcs"),
    ("Kissan Tomato Ketchup 1kg", "Groceries", "2103", "12", "145.00", "pcs"),
    ("Dabur Honey 500g", "Groceries", "0409", "5", "235.00", "pcs"),
    ("Kellogg's Corn Flakes 475g", "Groceries", "1904", "18", "199.00", "pcs"),
    ("Saffola Oats 1kg", "Groceries", "1104", "18", "199.00", "pcs"),
    ("Coca-Cola 750ml", "Beverages", "2202", "28", "40.00", "pcs"),
    ("Real Mango Juice 1L", "Beverages", "2009", "12", "115.00", "pcs"),
    ("Bisleri Water 1L", "Beverages", "2201", "18", "20.00", "pcs"),
    ("Red Bull 250ml", "Beverages", "2202", "28", "125.00", "pcs"),
    ("Lux Soap 4x100g", "Personal Care", "3401", "18", "170.00", "pcs"),
    ("Dettol Soap 3x125g", "Personal Care", "3401", "18", "165.00", "pcs"),
    ("Colgate Strong Teeth 200g", "Personal Care", "3306", "18", "118.00", "pcs"),
    ("Clinic Plus Shampoo 340ml", "Personal Care", "3305", "18", "195.00", "pcs"),
    ("Parachute Coconut Oil 500ml", "Personal Care", "1513", "5", "210.00", "pcs"),
    ("Nivea Body Lotion 400ml", "Personal Care", "3304", "18", "399.00", "pcs"),
    ("Gillette Guard Razor", "Personal Care", "8212", "18", "35.00", "pcs"),
    ("Whisper Ultra 15 pads", "Personal Care", "9619", "12", "199.00", "pcs"),
    ("Surf Excel Easy Wash 1kg", "Household", "3402", "18", "145.00", "pcs"),
    ("Vim Dishwash Bar 3x200g", "Household", "3402", "18", "60.00", "pcs"),
    ("Harpic Toilet Cleaner 1L", "Household", "3402", "18", "199.00", "pcs"),
    ("Lizol Floor Cleaner 975ml", "Household", "3808", "18", "219.00", "pcs"),
    ("Good Knight Refill 45ml", "Household", "3808", "18", "85.00", "pcs"),
    ("Scotch-Brite Scrub Pad 3pc", "Household", "6805", "18", "55.00", "pcs"),
    ("Eveready AA Batteries 4pc", "Household", "8506", "18", "80.00", "pcs"),
    ("Philips LED Bulb 9W", "Household", "8539", "12", "99.00", "pcs"),
    ("Classmate Notebook 172pg", "Stationery", "4820", "12", "65.00", "pcs"),
    ("Reynolds Pen 10-pack", "Stationery", "9608", "18", "70.00", "pcs"),
    ("Fevicol MR 200g", "Stationery", "3506", "18", "60.00", "pcs"),
    ("Cello Tape 1 inch", "Stationery", "3919", "18", "20.00", "pcs"),
    ("Agarbatti Cycle 3-in-1", "Pooja", "3307", "5", "80.00", "pcs"),
    ("Camphor Tablets 50g", "Pooja", "2914", "18", "95.00", "pcs"),
    ("Ghee Diya Wicks 100pc", "Pooja", "5607", "12", "30.00", "pcs"),
    # Loose goods weighed or measured at the counter (stock and bill quantities with three decimals)
    ("Onion (loose, per kg)", "Vegetables", "0703", "0", "40.00", "kg"),
    ("Potato (loose, per kg)", "Vegetables", "0701", "0", "30.00", "kg"),
    ("Tomato (loose, per kg)", "Vegetables", "0702", "0", "36.00", "kg"),
    ("Sugar (loose, per kg)", "Groceries", "1701", "5", "44.00", "kg"),
    ("Groundnut Oil (loose, per litre)", "Groceries", "1508", "5", "185.00", "l"),
]
# What a counter sells of a loose item in one go
LOOSE_QUANTITIES = [Decimal(q) for q in ("0.250", "0.500", "0.750", "1.000", "1.250", "1.500", "2.000")]
GENERAL_SERVICES = [
    ("Home Delivery", "Services", "9968", "18", "30.00"),
    ("Gift Wrapping", "Services", "9985", "18", "25.00"),
    ("Mobile Recharge Service Fee", "Services", "9984", "18", "10.00"),
]
SALON_SERVICES = [
    ("Haircut Premium", "Hair", "999721", "18", "1000.00"),
    ("Haircut Basic", "Hair", "999721", "18", "300.00"),
    ("Beard Styling", "Hair", "999721", "18", "200.00"),
    ("Hair Colour (Global)", "Hair", "999721", "18", "2500.00"),
    ("Keratin Treatment", "Hair", "999721", "18", "4500.00"),
    ("Head Massage", "Spa", "999722", "18", "400.00"),
    ("Classic Facial", "Skin", "999722", "18", "1200.00"),
    ("Manicure", "Nails", "999722", "18", "600.00"),
    ("Pedicure", "Nails", "999722", "18", "700.00"),
    ("Threading (Eyebrows)", "Skin", "999722", "18", "60.00"),
    ("Bridal Makeup", "Makeup", "999722", "18", "15000.00"),
]
# The salon's plans (services/salon/memberships.py), each sold through its own `membership` catalogue item:
# (name, price, GST %, days, % off services, % off products, sessions [(service, count)], prepaid value).
SALON_MEMBERSHIPS = [
    ("Silver Membership (3 months)", "2999.00", "18", 90, "10", "0", [], "0"),
    ("Gold Membership (12 months)", "9999.00", "18", 365, "20", "10", [("Haircut Premium", 4)], "2000"),
]
SALON_PRODUCTS = [
    ("L'Oreal Hair Serum 100ml", "Retail", "3305", "18", "650.00", 25),
    ("Beardo Beard Oil 30ml", "Retail", "3305", "18", "349.00", 30),
]
JEWELLERY_PIECES = [
    # name, metal purity label, tounch %, gross g, less g, wastage %, making type, making charge, size
    ("22K Gold Chain (Rope)", "22K", "91.60", "18.420", "0.000", "4.00", "PG", "450.00", "20 in"),
    ("22K Gold Bangle Pair", "22K", "91.60", "32.150", "0.350", "5.00", "PG", "400.00", "2.6"),
    ("22K Gold Ring (Ladies)", "22K", "91.60", "4.210", "0.000", "6.00", "PP", "1500.00", "14"),
    ("18K Diamond Ring", "18K", "75.00", "3.860", "0.420", "8.00", "PP", "6500.00", "16"),
    ("22K Gold Jhumka Earrings", "22K", "91.60", "9.780", "0.600", "7.00", "PG", "550.00", None),
    ("22K Mangalsutra", "22K", "91.60", "12.340", "1.200", "6.00", "PG", "500.00", "24 in"),
    ("24K Gold Coin 10g", "24K", "99.90", "10.000", "0.000", "0.00", "PP", "250.00", None),
    ("Silver Anklet Pair", "925", "92.50", "48.600", "0.000", "5.00", "PG", "40.00", "10 in"),
    ("Silver Pooja Thali", "925", "92.50", "152.300", "0.000", "3.00", "PG", "25.00", None),
    ("22K Gold Pendant", "22K", "91.60", "3.120", "0.150", "8.00", "PP", "900.00", None),
]
METAL_RATES = [("gold", "24K", "7620.00"), ("gold", "22K", "6985.00"), ("gold", "18K", "5715.00"),
               ("silver", "999", "96.50"), ("silver", "925", "89.25")]
FIRST_NAMES = ["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rahul", "Meera",
               "Aditya", "Pooja", "Karan", "Divya", "Sanjay", "Lakshmi", "Imran", "Fatima", "Harpreet", "Joseph"]
LAST_NAMES = ["Sharma", "Iyer", "Patel", "Reddy", "Singh", "Nair", "Gupta", "Khan", "Das", "Fernandes"]
EXPENSE_PLAN = [
    ("Rent", "25000.00", "Shop rent", 30),
    ("Utilities", "3200.00", "Electricity bill", 30),
    ("Salary", "18000.00", "Staff salary", 30),
    ("Transport", "450.00", "Stock pickup auto fare", 4),
    ("Food", "220.00", "Tea and snacks for staff", 2),
    ("Phone", "599.00", "Shop phone and internet", 30),
    ("Office Supplies", "350.00", "Bill rolls and stationery", 10),
    ("Marketing", "1500.00", "Pamphlets", 15),
]

STORES = {
    "general": dict(
        name="Sharma General Store", business_kind="general", gstin="27AAPFU0939F1ZV", state="Maharashtra",
        state_code="27", address="Shop 4, Laxmi Niwas, MG Road, Pune 411001", phone="+912026123456",
        upi_id="sharmastore@upi", invoice_prefix="INV",
    ),
    "jewellery": dict(
        name="Lakshmi Jewellers", business_kind="jewellery", gstin="29AABCL1234C1Z0", state="Karnataka",
        state_code="29", address="12 Avenue Road, Bengaluru 560002", phone="+918022334455",
        upi_id="lakshmijewels@upi", invoice_prefix="LJ",
    ),
    "salon": dict(
        name="Glow Unisex Salon", business_kind="salon", gstin="07AAGCG5678H1Z8", state="Delhi",
        state_code="07", address="B-14, Lajpat Nagar II, New Delhi 110024", phone="+911141234567",
        upi_id="glowsalon@upi", invoice_prefix="GS",
    ),
}
USERS = [
    # email, username, role per store key
    ("owner@demo.shop", "demo_owner", {"general": "owner", "jewellery": "manager", "salon": "manager"}),
    ("cashier@demo.shop", "demo_cashier", {"general": "cashier"}),
    ("jeweller@demo.shop", "demo_jeweller", {"jewellery": "owner"}),
    ("salon@demo.shop", "demo_salon", {"salon": "owner"}),
    ("reception@demo.shop", "demo_reception", {"salon": "cashier"}),  # the salon's front desk: the appointment book
]


def _money(value) -> Decimal:
    return Decimal(value).quantize(MONEY, rounding=ROUND_HALF_UP)


def ean13(body12: str) -> str:
    """A valid EAN-13 from 12 digits (the check digit appended)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def _half(rate: str) -> Decimal:
    return (Decimal(rate) / 2).quantize(MONEY)


def _find_store(key: str) -> Optional[Store]:
    for store in db.session.execute(db.select(Store)).scalars():
        if (store.settings or {}).get("demo") == key:
            return store
    return None


def _user(email: str, username: str) -> User:
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    if user is None:
        user = User(username=username, email=email, password_hash=hash_password(DEMO_PASSWORD), is_verify=True)
        db.session.add(user)
        db.session.flush()
    return user


def _category(store: Store, name: str) -> Category:
    category = db.session.execute(db.select(Category).filter_by(store_id=store.id, name=name)).scalar_one_or_none()
    if category is None:
        category = Category(store_id=store.id, name=name)
        db.session.add(category)
        db.session.flush()
    return category


def _product(store: Store, owner: User, name: str, category: str, hsn_code: str, gst: str, price: str,
             type_: str = "product", quantity: Decimal | int = 0, **fields) -> Product:
    """A catalogue item through the catalogue service, its opening stock through the stock service."""
    own = {f.name for f in dataclasses.fields(ProductInput)}
    codes = {name: fields.pop(name) for name in list(fields) if name in own}
    product = create_product(store, owner, ProductInput.of(
        product_name=name, type=type_, category_id=_category(store, category).id, hsn_code=hsn_code,
        unit_price=_money(price), cgst_rate=_half(gst), sgst_rate=_half(gst), details=fields, **codes,
    ))
    if type_ == "product" and quantity:
        stock.adjust(product, quantity, reason="import", user_id=owner.id, note="Opening stock")
    return product


def _customers(store: Store, rng: random.Random, count: int) -> list[Party]:
    parties = []
    for index in range(count):
        first, last = FIRST_NAMES[(index * 7 + store.id) % len(FIRST_NAMES)], LAST_NAMES[index % len(LAST_NAMES)]
        phone = f"+919{store.id:02d}{rng.randrange(10**6):06d}{index % 10}"  # a 10-digit Indian mobile
        parties.append(create_customer(store, None, CustomerInput.of(
            name=f"{first} {last}", phone_no=phone, email=f"{first.lower()}.{last.lower()}{index}@example.in",
            Customer_code=f"C{store.id:02d}{index + 1:03d}", address=f"{index + 3}, Sector {index % 9 + 1}",
            gender=rng.choice(["Male", "Female"]), loyalty_points=rng.randrange(0, 400),
        )))
    return parties


def _suppliers(store: Store, names: list[str]) -> None:
    for index, name in enumerate(names):
        create_supplier(store, None, SupplierInput.of(name=name, code=f"SUP{index + 1:03d}",
                                                      phone_no=f"+9180{store.id:02d}55{index:04d}"))


def _expenses(store: Store, owner: User, today: date) -> int:
    count = 0
    for category, amount, description, every in EXPENSE_PLAN:
        for offset in range(0, 30, every):
            db.session.add(Expense(store_id=store.id, user_id=owner.id, category=category, amount=_money(amount),
                                   description=description, date=today - timedelta(days=offset),
                                   is_necessary=category != "Marketing"))
            count += 1
    db.session.flush()
    return count


def _seed_general(store: Store, owner: User, rng: random.Random) -> list[Product]:
    """A kirana: printed prices are MRP, so the store's prices include GST (set before its products are made, so
    each takes MRP pricing), and loose goods are sold by the kilo or the litre from a decimal stock (42.5 kg)."""
    store.settings = {**(store.settings or {}), "prices_include_tax": True}
    catalogue = []
    for index, (name, category, hsn, gst, price, unit) in enumerate(GENERAL_PRODUCTS, start=1):
        count = rng.randrange(40, 160)
        quantity = Decimal(count * 5 + rng.randrange(5)) / 10 if unit != "pcs" else count  # 42.5 kg, 118.3 l
        catalogue.append(_product(
            store, owner, name, category, hsn, gst, price, quantity=quantity, unit=unit,
            sku=f"GEN-{index:04d}", barcode=ean13(f"890{store.id:03d}{index:06d}"), low_stock_threshold=10,
        ))
    for name, category, hsn, gst, price in GENERAL_SERVICES:
        catalogue.append(_product(store, owner, name, category, hsn, gst, price, type_="service"))
    _suppliers(store, ["Hindustan Unilever Distributor", "Metro Cash & Carry", "Pune Dal Mill"])
    db.session.add_all([
        Coupon(store_id=store.id, code="WELCOME10", kind="percent", value=Decimal("10.00")),
        Coupon(store_id=store.id, code="FLAT50", kind="flat", value=Decimal("50.00")),
    ])
    return catalogue


def _seed_jewellery(store: Store, owner: User, rng: random.Random, today: date) -> list[Product]:
    """A month of metal rates, and the showcase: each design in several pieces (one piece each, its own tag and
    HUID), made through the pieces service as the pieces page makes them."""
    from services.jewellery.pieces import save_piece

    metals = {}
    for metal, label, price in METAL_RATES:
        metals[label] = metal
        for offset in range(0, 31):
            # A gentle drift so the history looks real (and every demo bill has its day's rate); today's is listed.
            drift = Decimal(1) - Decimal(offset) * Decimal("0.002")
            db.session.add(MetalRate(store_id=store.id, metal=metal, purity_label=label,
                                     price_per_gram=_money(Decimal(price) * drift),
                                     date=today - timedelta(days=offset)))
    db.session.flush()
    catalogue = []
    number = 0
    for design, (name, purity, tounch, gross, less, wastage, making_type, making, size) in enumerate(
            JEWELLERY_PIECES, start=1):
        for copy in range(4):
            number += 1
            gross_w = Decimal(gross) + Decimal(copy) * Decimal("0.115") if Decimal(gross) > 2 else Decimal(gross)
            given = dict(
                name=name, type="sale", metal=metals[purity], purity=purity, sku=f"LJ-{number:04d}",
                barcode=ean13(f"890{store.id:03d}{number:06d}"), gross_weight=gross_w.quantize(GRAM),
                less_weight=Decimal(less), tounch=Decimal(tounch), wastage=Decimal(wastage),
                making_type=making_type, making_charge=_money(making), size=size, hsn_code="7113",
                hsn={"value": "7113", "label": "7113 - Articles of jewellery", "variation": []},
                bill_display_settings={"showHuidInBill": True, "showGrossWeightInBill": True,
                                       "showNetWeightInBill": True, "showMakingChargeInBill": True},
                hallmark_fee=Decimal("45.00") if metals[purity] == "gold" else Decimal("0.00"),
            )
            if metals[purity] == "gold" and gross_w >= 2:  # hallmarked: a HUID of its own
                given["huid"] = f"{'ABCDEFGHJK'[design - 1]}{copy}{rng.randrange(36**4):04X}"[:6]
            if "Diamond" in name:
                given["stones"] = [{"weight": Decimal("0.250"), "unit": "carat", "value": Decimal("18500.00")}]
            catalogue.append(save_piece(store, owner, None, given))
    _suppliers(store, ["Rajesh Bullion Traders", "Surat Silver Works"])
    return catalogue


def _seed_salon(store: Store, owner: User, rng: random.Random) -> list[Product]:
    catalogue = []
    for name, category, hsn, gst, price in SALON_SERVICES:
        catalogue.append(_product(store, owner, name, category, hsn, gst, price, type_="service"))
    services = {p.product_name: p for p in catalogue}
    for name, price, gst, days, off_services, off_products, sessions, prepaid in SALON_MEMBERSHIPS:
        plan = memberships.create_plan(store, owner, memberships.PlanInput(
            name=name, price=_money(price), gst_rate=Decimal(gst), validity_days=days,
            service_discount=Decimal(off_services), product_discount=Decimal(off_products),
            prepaid_value=_money(prepaid), sessions=[(services[service].id, count) for service, count in sessions]))
        plan.product.category_id = _category(store, "Memberships").id
        catalogue.append(plan.product)
    for index, (name, category, hsn, gst, price, quantity) in enumerate(SALON_PRODUCTS, start=1):
        catalogue.append(_product(store, owner, name, category, hsn, gst, price, quantity=quantity,
                                  sku=f"GS-{index:04d}", barcode=ean13(f"890{store.id:03d}{index:06d}")))
    staff: dict[str, Staff] = {}
    for name, phone in [("Neha (Senior Stylist)", "+919811100001"), ("Ravi (Stylist)", "+919811100002"),
                        ("Salma (Beautician)", "+919811100003"), ("Deepak (Trainee)", "+919811100004")]:
        staff[name] = Staff(store_id=store.id, name=name, phone=phone)
        db.session.add(staff[name])
    db.session.flush()
    # Commission: Neha 10 % of each line's value, Ravi ₹50 a service (the trainee and Salma have no rule yet).
    db.session.add_all([
        CommissionRule(store_id=store.id, staff_id=staff["Neha (Senior Stylist)"].id, kind="percent",
                       value=Decimal("10.00")),
        CommissionRule(store_id=store.id, staff_id=staff["Ravi (Stylist)"].id, kind="flat", value=Decimal("50.00")),
    ])
    _suppliers(store, ["Salon Pro Supplies"])
    db.session.add(Coupon(store_id=store.id, code="GLOW20", kind="percent", value=Decimal("20.00")))
    return catalogue


def _seed_bills(store: Store, cashier: User, catalogue: list[Product], customers: list[Party],
                rng: random.Random, per_day: tuple[int, int]) -> int:
    """30 days of bills through the billing service, exactly as the till would save them."""
    staff = db.session.execute(db.select(Staff).filter_by(store_id=store.id)).scalars().all()
    # Days and opening hours are the shop's own (its time zone): today's bills fall on the shop's today whatever
    # the hour in UTC, between its midnight and now when the shop has not reached its usual hours yet.
    now = datetime.now(timezone.utc).astimezone(store.zone)
    count = 0
    on_credit = False
    for days_ago in range(29, -1, -1):
        day = now.date() - timedelta(days=days_ago)
        for _ in range(rng.randint(*per_day)):
            moment = datetime.combine(day, time(rng.randint(9, 19), rng.randrange(60), rng.randrange(60)),
                                      tzinfo=store.zone)
            if moment > now:
                midnight = datetime.combine(day, time.min, tzinfo=store.zone)
                moment = midnight + (now - midnight) * rng.random()
            moment = moment.astimezone(timezone.utc).replace(microsecond=0)
            lines = []
            for line_no, product in enumerate(rng.sample(catalogue, k=min(len(catalogue), rng.randint(1, 5))), 1):
                if product.gross_weight is not None:  # a jewellery piece: one of its kind, priced by the engine
                    left = sum(1 for p in catalogue if p.product_name == product.product_name and p.quantity >= 1)
                    left -= sum(1 for line in lines if line.product.product_name == product.product_name)
                    if product.quantity < 1 or left < 2 or len(lines) >= 2:
                        continue  # one of each design stays in the showcase
                    lines.append(DraftLine(product=product, qty=1, line_no=line_no, jewellery=JewelleryTerms()))
                    continue
                if product.type == "product" and product.quantity < 3:
                    continue  # leave the last pieces on the shelf so the demo never runs out
                discount = rng.choice([(None, 0), (None, 0), ("percent", 5), ("percent", 10), ("flat", 10)])
                if product.type != "product":
                    qty: Decimal | int = 1
                elif product.unit != "pcs":
                    qty = rng.choice(LOOSE_QUANTITIES)  # weighed at the counter: 0.750 kg
                else:
                    qty = rng.randint(1, 2)
                if discount[0] is None or product.unit_price * qty < 50:
                    discount = (None, 0)  # no ₹10 off a ₹7.50 bag of potatoes
                lines.append(DraftLine(
                    product=product, qty=qty, line_no=line_no,
                    discount_type=discount[0] or "flat", discount_value=Decimal(discount[1]),
                    staff=rng.choice(staff) if staff and product.type != "product" else None,
                ))
            if not lines:
                continue
            customer = rng.choice(customers) if rng.random() < 0.6 else None
            if customer is None and any(line.product.type == "membership" for line in lines):
                customer = customers[len(lines) % len(customers)]  # a membership is sold to somebody
            draft = BillDraft(lines=lines, customer=customer, billing_timestamp=moment, source="pos")
            total = price_draft(store, draft).totals.grand_total
            mode = rng.choice(["cash", "cash", "upi", "upi", "card", "split", "credit"])
            jewellery = any(line.jewellery is not None for line in lines)
            if jewellery and customer is not None and days_ago >= 20 and not on_credit:
                mode = "credit"  # one old credit bill, so the interest statement has something to show
            on_credit = on_credit or (jewellery and mode == "credit" and customer is not None)
            if (mode == "credit" and customer is not None) or total <= 0:
                draft.payment_mode, draft.payment_amount = "none", Decimal("0.00")
                if jewellery:  # a jeweller's credit bears interest
                    draft.columns["interest_terms"] = {
                        "interest_enabled": True, "interest_type": "1", "interest_rate": "1.50",
                        "interest_start_date": moment.date().isoformat(), "grace_period_enabled": True,
                        "grace_period_days": 15, "interest_notes": "1.5 % a month after 15 days"}
            elif mode == "split" and total >= Decimal("2.00"):
                first = (total / 2).quantize(MONEY)
                draft.payments = [DraftPayment("upi", first, "UPI-DEMO", moment),
                                  DraftPayment("cash", total - first, None, moment)]
                draft.payment_mode, draft.payment_amount = "split", total
            else:
                single = mode if mode in ("cash", "upi", "card") else "cash"
                draft.payments = [DraftPayment(single, total, None, moment)]
                draft.payment_mode, draft.payment_amount = single, total
            draft.payment_timestamp = moment if draft.payments else None
            save_bill(store, cashier, draft, now=moment)
            count += 1
    return count


def seed_demo(only_if_empty: bool = False) -> list[str]:
    """Create whatever part of the demo is missing; return lines describing what was made."""
    if only_if_empty and db.session.execute(db.select(User.id).limit(1)).first():
        return ["Database already has users; demo data not added."]
    ensure_payment_methods()
    rng = random.Random(20251001)
    users = {email: _user(email, username) for email, username, _ in USERS}
    report = []
    for key, fields in STORES.items():
        if _find_store(key) is not None:
            report.append(f"{fields['name']}: already present, left as it is.")
            continue
        store = Store(settings={"demo": key}, **fields)
        db.session.add(store)
        db.session.flush()
        for email, _, roles in USERS:
            if key in roles:
                db.session.add(Membership(user_id=users[email].id, store_id=store.id, role=roles[key]))
                if users[email].current_store_id is None:
                    users[email].current_store_id = store.id
        for name in ("General", "Services"):
            _category(store, name)
        owner = next(users[email] for email, _, roles in USERS if roles.get(key) == "owner")
        cashier = users["cashier@demo.shop"] if key == "general" else owner
        if key == "general":
            catalogue = _seed_general(store, owner, rng)
            per_day = (4, 9)
        elif key == "jewellery":
            catalogue = _seed_jewellery(store, owner, rng, store.local_today())
            per_day = (0, 1)
        else:
            catalogue = _seed_salon(store, owner, rng)
            per_day = (2, 6)
        customers = _customers(store, rng, 15)
        expenses = _expenses(store, owner, store.local_today())
        db.session.flush()
        bills = _seed_bills(store, cashier, catalogue, customers, rng, per_day)
        report.append(
            f"{store.name} ({key}): {len(catalogue)} catalogue items, {len(customers)} customers, "
            f"{bills} bills over 30 days, {expenses} expenses."
        )
    report.append(f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(email for email, _, _ in USERS))
    return report
