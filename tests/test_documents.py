"""Invoice documents rendered by services/documents/invoices.py: the A4 GST invoice PDF read back with pdftotext, the
UPI QR read back with zbarimg, long bills over pages, cancelled marks, jewellery columns, the resource policy, share
tokens, and the INR / words formatting."""
from __future__ import annotations

import io
import re
import socket
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from extensions import db
from models import Bill
from services.documents import invoices as documents
from services.formatting import amount_in_words, inr, percent
from tests.fixtures_documents import (  # noqa: F401  (make_bill is a fixture)
    decode_pdf_qr,
    make_bill,
    money_in,
    pdf_fonts,
    pdf_image_count,
    pdf_page_size,
    pdf_pages,
    pdf_text,
)


def png_bytes(size: int = 8) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def squash(text: str) -> str:
    """Text without whitespace: a table cell may wrap a long name anywhere."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def shop(make_store):
    return make_store(name="Sharma General Store", gstin="27AAPFU0939F1ZV", state="Maharashtra", state_code="27",
                      address="12 MG Road\nPune 411001", phone="+912012345678", upi_id="sharma@okaxis")


@pytest.fixture(autouse=True)
def renderer_logs_no_warnings(caplog):
    """Beyond pisa's own counters: xhtml2pdf logs nothing at WARNING or above (ignored CSS, overflowing frames)."""
    yield
    noisy = [r for r in caplog.get_records("call") if r.name.startswith("xhtml2pdf") and r.levelno >= 30]
    assert noisy == [], [r.getMessage() for r in noisy]


def render(bill: Bill) -> documents.RenderedPdf:
    result = documents.render_invoice_pdf(bill)
    assert (result.err, result.warn) == (0, 0), result.messages
    assert result.data.startswith(b"%PDF")
    return result


LINES = [
    {"name": "India Gate Basmati Rice 1kg", "rate": "145.00", "qty": 3, "hsn_code": "1006", "cgst": "2.5",
     "sgst": "2.5"},
    {"name": "Bru Instant Coffee 100g", "rate": "210.00", "qty": 1, "hsn_code": "2101", "discount_type": "percent",
     "discount_value": "10"},
    {"name": "Amul Taaza Milk 1L", "rate": "68.00", "qty": 4, "hsn_code": "0401", "cgst": "0", "sgst": "0"},
]


def test_invoice_pdf_prints_rule_46_fields_every_line_totals_and_words(shop, make_customer, make_bill):
    customer = make_customer(shop, name="Anita Singh", gstin="27AAACR5055K1Z7", state_code="27",
                             address="4 Park Street, Pune")
    bill = make_bill(shop, lines=LINES, party=customer, customer_name="Anita Singh", payments=["500.00"],
                     place_of_supply="27")
    text = pdf_text(render(bill).data)

    for expected in ("TAX INVOICE", bill.invoice_number, "Sharma General Store", "27AAPFU0939F1ZV",
                     "12 MG Road, Pune 411001", "Anita Singh", "27AAACR5055K1Z7", "27 - Maharashtra", "26 Sep 2025"):
        assert expected in text
    for item in bill.items:
        assert item.name in text
        assert item.hsn_code in text
        for amount in (item.rate, item.taxable_amount, item.cgst_amount, item.sgst_amount, item.line_total):
            assert inr(amount) in text
        assert percent(item.cgst_rate) in text
    for amount in (bill.total_amount, bill.paid_amount, bill.due_amount, bill.tax):
        assert inr(amount) in text
    assert amount_in_words(bill.total_amount) in text.replace("\n", " ")


def test_billing_seed_example_prints_1012_rupees_and_its_words(shop, make_bill):
    bill = make_bill(shop, lines=[{"name": "Haircut Premium", "rate": "1000.00", "hsn_code": "9997",
                                   "discount_type": "percent", "discount_value": "10"}], discount="50",
                     payments=["1012.00"])
    text = pdf_text(render(bill).data).replace("\n", " ")
    assert "₹1,000.00" in text and "₹100.00" in text and "₹81.00" in text and "₹1,062.00" in text
    assert "₹1,012.00" in text
    assert "One Thousand and Twelve Rupees Only" in text


def test_tax_summary_groups_lines_by_rate(shop, make_bill):
    bill = make_bill(shop, lines=LINES + [{"name": "Tea 250g", "rate": "100.00", "cgst": "2.5", "sgst": "2.5"}])
    doc = documents.invoice_document(bill)
    by_rate = {(row.cgst_rate, row.sgst_rate): row for row in doc.tax_rows}
    assert set(by_rate) == {(Decimal(c), Decimal(c)) for c in ("0", "2.5", "9")}
    five = by_rate[(Decimal("2.5"), Decimal("2.5"))]
    five_lines = [i for i in bill.items if i.cgst_rate == Decimal("2.5")]
    assert five.taxable == sum(i.taxable_amount for i in five_lines)
    assert five.cgst == sum(i.cgst_amount for i in five_lines)
    text = pdf_text(render(bill).data)
    assert "Tax summary" in text and inr(five.taxable) in text and inr(five.total_tax) in text


def test_rupee_sign_is_drawn_with_the_shipped_noto_sans_on_a4_portrait(shop, make_bill, tmp_path):
    data = render(make_bill(shop)).data
    assert [round(side) for side in pdf_page_size(data)] == [595, 842]
    fonts = pdf_fonts(data, tmp_path)
    assert "NotoSans-Regular" in fonts and "NotoSans-Bold" in fonts
    assert "₹" in pdf_text(data)


def test_upi_qr_on_the_invoice_decodes_to_the_exact_upi_uri(shop, make_bill, tmp_path):
    bill = make_bill(shop, lines=[{"name": "Amul Ghee 1L", "rate": "650.00", "cgst": "6", "sgst": "6"}],
                     payments=["216.00"], invoice_number="INV202500001")
    expected = "upi://pay?pa=sharma@okaxis&pn=Sharma%20General%20Store&am=512.00&cu=INR&tn=INV202500001"
    assert documents.upi_uri(bill) == expected
    assert decode_pdf_qr(render(bill).data, tmp_path) == [expected]


@pytest.mark.parametrize("case", ["paid in full", "no UPI id", "cancelled", "purchase"])
def test_no_upi_qr_when_nothing_is_to_be_paid_to_the_shop(case, shop, make_bill, make_supplier, tmp_path):
    if case == "no UPI id":
        shop.upi_id = None
        db.session.commit()
    bill = make_bill(
        shop, payments=["66.08"] if case == "paid in full" else [], cancelled=case == "cancelled",
        kind="purchase" if case == "purchase" else "sale",
        party=make_supplier(shop, name="Metro Wholesale") if case == "purchase" else None,
    )
    assert (bill.due_amount == 0) == (case == "paid in full")
    assert documents.upi_uri(bill) is None
    assert decode_pdf_qr(render(bill).data, tmp_path) == []


def test_200_line_bill_runs_over_several_pages_with_the_table_header_on_each(shop, make_bill):
    lines = [{"name": f"Line item {n:03d}", "rate": f"{n}.50", "qty": 1 + n % 3} for n in range(1, 201)]
    bill = make_bill(shop, lines=lines)
    data = render(bill).data
    pages = pdf_pages(data)
    assert pages >= 4
    seen = set()
    for page in range(1, pages + 1):
        text = pdf_text(data, page)
        assert "Description" in text and "Taxable\nvalue" in text and "HSN" in text, f"no table header on page {page}"
        assert bill.invoice_number in text
        assert f"Page {page} of {pages}" in text
        seen |= {line["name"] for line in lines if line["name"] in text}
    assert seen == {line["name"] for line in lines}
    assert inr(bill.total_amount) in pdf_text(data, pages)


def test_cancelled_bill_says_cancelled_on_every_page(shop, make_bill):
    lines = [{"name": f"Line item {n:03d}", "rate": "10.00"} for n in range(1, 80)]
    bill = make_bill(shop, lines=lines, cancelled=True)
    data = render(bill).data
    assert pdf_pages(data) >= 2
    for page in range(1, pdf_pages(data) + 1):
        assert "CANCELLED" in pdf_text(data, page)
    assert "Customer returned the goods" in pdf_text(data, 1)
    assert "CANCELLED" not in pdf_text(render(make_bill(shop)).data)


def test_purchase_bill_prints_the_supplier_as_seller_and_the_shop_as_buyer(shop, make_bill, make_supplier):
    supplier = make_supplier(shop, name="Metro Wholesale", gstin="27AAACM1234F1Z2", address="Bhiwandi")
    bill = make_bill(shop, kind="purchase", party=supplier, customer_name="Metro Wholesale")
    doc = documents.invoice_document(bill)
    assert (doc.seller.name, doc.seller.gstin) == ("Metro Wholesale", "27AAACM1234F1Z2")
    assert (doc.buyer.name, doc.buyer.gstin) == ("Sharma General Store", "27AAPFU0939F1ZV")
    text = pdf_text(render(bill).data)
    assert "PURCHASE INVOICE" in text and "Metro Wholesale" in text and "27AAACM1234F1Z2" in text


JEWELLERY_LINE = {"name": "22K Gold Chain", "rate": "65000.00", "hsn_code": "7113", "cgst": "1.5", "sgst": "1.5",
                  "huid": "AB12CD", "gross_weight": Decimal("10.500"), "net_weight": Decimal("10.200"),
                  "tounch": Decimal("91.60"), "making_charge": Decimal("1200.00")}


def test_jewellery_store_prints_huid_weights_purity_and_making(make_store, make_bill):
    jeweller = make_store(name="Lakshmi Jewellers", business_kind="jewellery", gstin="27AAPFU0939F1ZV")
    bill = make_bill(jeweller, lines=[JEWELLERY_LINE])
    data = render(bill).data
    width, height = pdf_page_size(data)
    assert width > height  # the extra columns print on A4 landscape
    text = pdf_text(data)
    for expected in ("HUID", "AB12CD", "Gross wt", "10.500", "Net wt", "10.200", "Purity", "91.6%", "Making",
                     "₹1,200.00"):
        assert expected in text


def test_jewellery_columns_follow_the_store_and_piece_display_settings(make_store, make_bill, make_product):
    jeweller = make_store(name="Lakshmi Jewellers", business_kind="jewellery")
    jeweller.settings = {"bill_display_settings": {"showHuidInBill": False}}
    db.session.commit()
    text = pdf_text(render(make_bill(jeweller, lines=[JEWELLERY_LINE])).data)
    assert "AB12CD" not in text and "HUID" not in text and "10.500" in text

    piece = make_product(jeweller, product_name="Chain", bill_display_settings={"showHuidInBill": True,
                                                                                  "showGrossWeightInBill": False})
    text = pdf_text(render(make_bill(jeweller, lines=[JEWELLERY_LINE | {"product_id": piece.id}])).data)
    assert "AB12CD" in text and "Gross wt" not in text

    general = make_store(name="Corner Shop")
    doc = documents.invoice_document(make_bill(general, lines=[JEWELLERY_LINE]))
    assert doc.jewellery_columns == []


# --------------------------------------------------------------------------- resources the renderer may touch


class CountingListener:
    """A TCP server on a free 127.0.0.1 port that counts the connections it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = CountingListener()
    yield server
    server.close()


def test_markup_in_user_text_prints_as_text_and_fetches_nothing(shop, make_bill, listener, tmp_path):
    hostile = [
        '<img src="http://127.0.0.1:9/x">',
        f'<img src="http://127.0.0.1:{listener.port}/steal">',
        "file:///etc/passwd",
        '<img src="/etc/passwd"><link rel="stylesheet" href="file:///etc/hostname">',
    ]
    bill = make_bill(shop, lines=[{"name": name, "rate": "10.00"} for name in hostile],
                     customer_name=f'<img src="http://127.0.0.1:{listener.port}/customer">',
                     notes='<pdf:pagenumber> <b style="background:url(file:///etc/passwd)">')
    result = render(bill)
    text = squash(pdf_text(result.data))
    for name in hostile:
        assert squash(name) in text
    assert squash(f'<img src="http://127.0.0.1:{listener.port}/customer">') in text
    assert squash('<pdf:pagenumber> <b style="background:url(file:///etc/passwd)">') in text
    assert "root:x:0:0" not in text
    assert pdf_image_count(result.data, tmp_path) == 1  # the UPI QR, nothing fetched
    assert listener.connections == 0


def test_link_callback_maps_only_static_and_the_stores_own_uploads(app, shop, make_store):
    other = make_store(name="Other Shop")
    mine, theirs = documents.store_upload_dir(shop), documents.store_upload_dir(other)
    for folder in (mine, theirs):
        folder.mkdir(parents=True)
        (folder / "logo.png").write_bytes(png_bytes())
    callback = documents.make_link_callback(shop)
    static = Path(app.static_folder).resolve()

    assert callback("/static/fonts/NotoSans-Regular.ttf", None) == str(static / "fonts" / "NotoSans-Regular.ttf")
    assert callback("/store-uploads/logo.png", None) == str(mine / "logo.png")
    refused = callback("http://127.0.0.1:9/x", None)
    assert not Path(refused).exists()
    for uri in ("https://example.com/logo.png", "file:///etc/passwd", "/etc/passwd", "../../etc/passwd",
                "/static/../config.py", "/store-uploads/../" + other.uid + "/logo.png", "//127.0.0.1/x",
                "/static/fonts/NotoSans-Regular.ttf?x=http://127.0.0.1:9/", "data:text/html;base64,PGI+"):
        assert callback(uri, None) == refused, uri


def test_store_logo_from_its_own_uploads_is_printed_and_anothers_is_not(shop, make_store, make_bill, tmp_path):
    bill = make_bill(shop, payments=["66.08"])
    folder = documents.store_upload_dir(shop)
    folder.mkdir(parents=True)
    (folder / "logo-0123456789abcdef.png").write_bytes(png_bytes())
    shop.logo_path = f"{shop.uid}/logo-0123456789abcdef.png"
    db.session.commit()
    assert pdf_image_count(render(bill).data, tmp_path) == 1

    other = make_store(name="Other Shop")
    theirs = documents.store_upload_dir(other)
    theirs.mkdir(parents=True)
    (theirs / "logo.png").write_bytes(png_bytes())
    for path in (f"{other.uid}/logo.png", f"../{other.uid}/logo.png", str(theirs / "logo.png")):
        shop.logo_path = path
        db.session.commit()
        assert documents.store_logo_path(shop) is None
        assert pdf_image_count(render(bill).data, tmp_path) == 0

    (folder / "logo.png").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    shop.logo_path = "logo.png"
    db.session.commit()
    assert documents.store_logo_path(shop) is None


# --------------------------------------------------------------------------- share tokens


def test_share_token_opens_its_bill_until_it_expires(app, shop, make_bill):
    bill = make_bill(shop)
    issued = datetime.now(timezone.utc)
    token = documents.share_token(bill, now=issued)
    assert documents.bill_for_share_token(token).id == bill.id
    assert documents.share_expires_at(token) - issued <= timedelta(days=app.config["SHARE_LINK_DAYS"])
    assert documents.bill_for_share_token(token, now=issued + timedelta(days=6, hours=23)).id == bill.id
    with pytest.raises(documents.ShareLinkExpired):
        documents.bill_for_share_token(token, now=issued + timedelta(days=7, seconds=1))


def test_tampered_or_foreign_share_tokens_are_refused(app, shop, make_bill):
    bill = make_bill(shop)
    token = documents.share_token(bill)
    payload, signature = token.rsplit(".", 1)
    forged_payload = documents.URLSafeSerializer("another-secret", salt=documents.SHARE_SALT).dumps(
        {"b": bill.uid, "e": 4102444800})
    for bad in (payload + "." + signature[::-1], payload[:-2] + "." + signature, forged_payload, "", "not-a-token"):
        with pytest.raises(documents.ShareLinkInvalid):
            documents.bill_for_share_token(bad)
    db.session.delete(bill)
    db.session.commit()
    with pytest.raises(documents.ShareLinkInvalid):
        documents.bill_for_share_token(token)


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize("value, expected", [
    ("1234567.50", "₹12,34,567.50"), ("100000", "₹1,00,000.00"), ("999.999", "₹1,000.00"), ("0", "₹0.00"),
    (Decimal("1062"), "₹1,062.00"), ("-50.25", "-₹50.25"),
])
def test_inr_groups_in_lakhs_and_crores(value, expected):
    assert inr(value) == expected


def test_inr_writes_exactly_what_babels_en_in_currency_format_writes():
    import random

    from babel.numbers import format_currency

    from services.billing.pricing import money

    rng = random.Random(7)
    values = ["0", "-0.00", "0.004", "-0.005", "0.005", "999.995", "-100000", "1E+3", "-1E+10", 1.1, 2.675, -7]
    for digits in range(2, 18):
        values += [Decimal(rng.randrange(-10 ** digits, 10 ** digits)) / 100 for _ in range(50)]
        values += [Decimal(rng.randrange(-10 ** digits, 10 ** digits)) / 1000 for _ in range(50)]
    for value in values:
        assert inr(value) == format_currency(money(value), "INR", locale="en_IN"), value


@pytest.mark.parametrize("value, expected", [
    ("1012.00", "One Thousand and Twelve Rupees Only"),
    ("120000.50", "One Lakh Twenty Thousand Rupees and Fifty Paise Only"),
    ("12500000", "One Crore Twenty Five Lakh Rupees Only"),
    ("1.01", "One Rupee and One Paisa Only"),
    ("0.505", "Fifty One Paise Only"),
    ("0", "Zero Rupees Only"),
])
def test_amount_in_words_uses_indian_numbering_from_the_rounded_amount(value, expected):
    assert amount_in_words(value) == expected


def test_the_stylist_of_a_line_prints_on_the_a4_invoice_only_where_a_line_has_one(app, shop, make_bill):
    from models import Staff

    priya = Staff(store_id=shop.id, name="Priya Sharma")
    db.session.add(priya)
    db.session.flush()
    bill = make_bill(shop, lines=[{"name": "Haircut", "rate": "300.00", "staff_id": priya.id},
                                  {"name": "Shampoo 200ml", "rate": "180.00"}])
    db.session.refresh(bill)
    text = pdf_text(render(bill).data)
    assert text.count("by Priya Sharma") == 1
    assert "by " not in pdf_text(render(make_bill(shop, lines=[{"name": "Shampoo 200ml", "rate": "180.00"}])).data)
    with app.test_request_context():
        html = documents.render_invoice_html(bill)
    assert html.count("by Priya Sharma") == 1  # the print view too


def test_amount_words_are_num2words_en_in_written_out():
    """services.formatting writes num2words' en_IN cardinal words itself (importing num2words costs a worker 3 MB:
    docs/performance.md "One worker's memory"); num2words stays the reference here: every number to 30,000,
    a sample to the last one it accepts, and the same refusal beyond."""
    import random

    from num2words import num2words

    from services.formatting import WORDS_LIMIT, _words

    def reference(number: int) -> str:
        text = num2words(number, lang="en_IN").replace(",", "").replace("-", " ")
        return " ".join(word if word == "and" else word.capitalize() for word in text.split())

    sample = random.Random(17)
    numbers = [*range(30_001), *(sample.randrange(WORDS_LIMIT) for _ in range(10_000)),
               *(10**k for k in range(10)), WORDS_LIMIT - 1, 150 * 10**7 + 5, 10**7 + 105]
    assert [n for n in numbers if _words(n) != reference(n)] == []
    for words in (_words, lambda number: num2words(number, lang="en_IN")):
        with pytest.raises(OverflowError):
            words(WORDS_LIMIT)
