"""GSTR-1 golden test (issue 15): a month of bills made through the real services (save_bill, create_return,
cancel_bill) against a hand-written portal document, the HSN and document tables adding up to the bill tables,
GSTR-3B from the same month, and the Billing v1 extension GET .../reports/gstr1.

October 2026 at a store in Maharashtra (27), GSTIN 27AAPFU0939F1ZV:
  INV202600001  05-10  B2B intra, 27AABCS1429B1ZU: 2 x rice (500, 5 %) + 1 x speaker (1000, 18 %)     2230.00
  INV202600002  06-10  B2B inter, 29AAACR5055K1Z3: 1 x almirah (60000, 18 % IGST)                    70800.00
  INV202600003  07-10  B2C large, unregistered, place of supply 33: 2 x almirah (IGST)              141600.00
  INV202600004  08-10  B2C small intra: 3 x rice (5 %)                                                1575.00
  INV202600005  09-10  B2C small inter (29): 1 x speaker + 1 x installation service (18 % IGST)       1416.00
  INV202600006  10-10  B2C small intra: 1 x speaker (18 %)                                            1180.00
  INV202600007  11-10  walk-in, 1 x rice: cancelled                                                    525.00
  CN202600001   20-10  1 x rice back from INV202600001 (CDNR)                                           525.00
  CN202600002   21-10  1 x almirah back from INV202600003 (CDNUR, B2CL)                               70800.00
  CN202600003   22-10  1 x rice back from INV202600004 (reduces the B2CS row 27 / 5 %)                  525.00
plus, not in October's return: a purchase (series PUR) in October and a sale in November (INV202600008).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from extensions import db

STORE_GSTIN = "27AAPFU0939F1ZV"
INTRA_GSTIN = "27AABCS1429B1ZU"
INTER_GSTIN = "29AAACR5055K1Z3"
D = Decimal


def at(day: int, month: int = 10) -> datetime:
    return datetime(2026, month, day, 6, 0, tzinfo=timezone.utc)  # 11:30 in India, the same calendar day


@pytest.fixture
def gst_month(app, make_user, make_product, make_customer):
    """October 2026's bills, credit notes and cancellation, made through the billing services."""
    from services.accounts.access import current_store_for
    from services.billing.bills import BillDraft, DraftLine, cancel_bill, save_bill
    from services.billing.returns import ReturnDraft, ReturnLine, create_return

    owner = make_user("gstowner", store_name="Asha Traders", gstin=STORE_GSTIN, state_code="27", state="Maharashtra")
    store = current_store_for(owner)
    rice = make_product(store, "Basmati Rice 5kg", unit_price="500.00", quantity=100, hsn_code="1006",
                        cgst_rate="2.5", sgst_rate="2.5")
    almirah = make_product(store, "Steel Almirah", unit_price="60000.00", quantity=10, hsn_code="9403")
    speaker = make_product(store, "Bluetooth Speaker", unit_price="1000.00", quantity=10, hsn_code="8518")
    fitting = make_product(store, "Installation", unit_price="200.00", type="service", hsn_code="9987")
    buyer_in = make_customer(store, "Sharma Stores", gstin=INTRA_GSTIN, state_code="27")
    buyer_out = make_customer(store, "Rao Traders", gstin=INTER_GSTIN, state_code="29")
    walk_in = make_customer(store, "Meena")

    def bill(day, lines, customer=None, place=None, month=10):
        saved = save_bill(store, owner, BillDraft(lines=[DraftLine(product=p, qty=q) for p, q in lines],
                                                  customer=customer, place_of_supply=place), now=at(day, month))
        db.session.commit()
        return saved

    b1 = bill(5, [(rice, 2), (speaker, 1)], buyer_in)
    bill(6, [(almirah, 1)], buyer_out)
    b3 = bill(7, [(almirah, 2)], walk_in, place="33")
    b4 = bill(8, [(rice, 3)])
    bill(9, [(speaker, 1), (fitting, 1)], place="29")
    bill(10, [(speaker, 1)])
    b7 = bill(11, [(rice, 1)])
    cancel_bill(store, owner, b7, "Wrong item")
    db.session.commit()
    for day, original in ((20, b1), (21, b3), (22, b4)):
        create_return(store, owner, original, ReturnDraft(lines=[ReturnLine(line_no=1, qty=1)], reason="Damaged"),
                      now=at(day))
        db.session.commit()
    save_bill(store, owner, BillDraft(lines=[DraftLine(product=rice, qty=5)], kind="purchase"), now=at(15))
    db.session.commit()
    bill(2, [(rice, 1)], buyer_in, month=11)
    return store, owner


def item(num, rt, txval, iamt="0", camt="0", samt="0"):
    return {"num": num, "itm_det": {"rt": D(rt), "txval": D(txval), "iamt": D(iamt), "camt": D(camt),
                                    "samt": D(samt), "csamt": D(0)}}


def igst_item(num, rt, txval, iamt):
    return {"num": num, "itm_det": {"rt": D(rt), "txval": D(txval), "iamt": D(iamt), "csamt": D(0)}}


def hsn(num, code, desc, uqc, qty, rt, txval, iamt="0", camt="0", samt="0"):
    return {"num": num, "hsn_sc": code, "desc": desc, "uqc": uqc, "qty": D(qty), "rt": D(rt), "txval": D(txval),
            "iamt": D(iamt), "camt": D(camt), "samt": D(samt), "csamt": D(0)}


EXPECTED = {
    "gstin": STORE_GSTIN,
    "fp": "102026",
    "b2b": [
        {"ctin": INTRA_GSTIN, "inv": [
            {"inum": "INV202600001", "idt": "05-10-2026", "val": D("2230.00"), "pos": "27", "rchrg": "N",
             "inv_typ": "R", "itms": [item(1, "5", "1000", camt="25", samt="25"),
                                      item(2, "18", "1000", camt="90", samt="90")]}]},
        {"ctin": INTER_GSTIN, "inv": [
            {"inum": "INV202600002", "idt": "06-10-2026", "val": D("70800.00"), "pos": "29", "rchrg": "N",
             "inv_typ": "R", "itms": [item(1, "18", "60000", iamt="10800")]}]},
    ],
    "b2cl": [
        {"pos": "33", "inv": [{"inum": "INV202600003", "idt": "07-10-2026", "val": D("141600.00"),
                               "itms": [igst_item(1, "18", "120000", "21600")]}]},
    ],
    "b2cs": [
        {"sply_ty": "INTRA", "pos": "27", "typ": "OE", "rt": D(5), "txval": D("1000"), "iamt": D(0),
         "camt": D("25"), "samt": D("25"), "csamt": D(0)},
        {"sply_ty": "INTRA", "pos": "27", "typ": "OE", "rt": D(18), "txval": D("1000"), "iamt": D(0),
         "camt": D("90"), "samt": D("90"), "csamt": D(0)},
        {"sply_ty": "INTER", "pos": "29", "typ": "OE", "rt": D(18), "txval": D("1200"), "iamt": D("216"),
         "camt": D(0), "samt": D(0), "csamt": D(0)},
    ],
    "cdnr": [
        {"ctin": INTRA_GSTIN, "nt": [
            {"ntty": "C", "nt_num": "CN202600001", "nt_dt": "20-10-2026", "val": D("525.00"), "pos": "27",
             "rchrg": "N", "inv_typ": "R", "itms": [item(1, "5", "500", camt="12.50", samt="12.50")]}]},
    ],
    "cdnur": [
        {"typ": "B2CL", "ntty": "C", "nt_num": "CN202600002", "nt_dt": "21-10-2026", "val": D("70800.00"),
         "pos": "33", "itms": [igst_item(1, "18", "60000", "10800")]},
    ],
    "hsn": {
        "hsn_b2b": [
            hsn(1, "1006", "Basmati Rice 5kg", "NOS", "1", "5", "500", camt="12.50", samt="12.50"),
            hsn(2, "8518", "Bluetooth Speaker", "NOS", "1", "18", "1000", camt="90", samt="90"),
            hsn(3, "9403", "Steel Almirah", "NOS", "1", "18", "60000", iamt="10800"),
        ],
        "hsn_b2c": [
            hsn(1, "1006", "Basmati Rice 5kg", "NOS", "2", "5", "1000", camt="25", samt="25"),
            hsn(2, "8518", "Bluetooth Speaker", "NOS", "2", "18", "2000", iamt="180", camt="90", samt="90"),
            hsn(3, "9403", "Steel Almirah", "NOS", "1", "18", "60000", iamt="10800"),
            hsn(4, "9987", "Installation", "NA", "0", "18", "200", iamt="36"),
        ],
    },
    "doc_issue": {"doc_det": [
        {"doc_num": 1, "docs": [{"num": 1, "from": "INV202600001", "to": "INV202600007", "totnum": 7, "cancel": 1,
                                 "net_issue": 6}]},
        {"doc_num": 5, "docs": [{"num": 1, "from": "CN202600001", "to": "CN202600003", "totnum": 3, "cancel": 0,
                                 "net_issue": 3}]},
    ]},
}


def as_json(document) -> str:
    import simplejson

    return simplejson.dumps(document, use_decimal=True)


def assert_amounts_have_two_decimals(text: str) -> None:
    """Every amount in the document is written with exactly two decimals (counts and item numbers are whole)."""
    whole = {"num", "doc_num", "totnum", "cancel", "net_issue"}
    for key, number in re.findall(r'"(\w+)": (-?[0-9.]+)', text):
        if key in whole:
            assert re.fullmatch(r"\d+", number), (key, number)
        else:
            assert re.fullmatch(r"-?\d+\.\d\d", number), (key, number)


def test_gstr1_matches_the_hand_written_document(gst_month):
    from services.reports.gst import gstr1, portal_json

    store, _ = gst_month
    document = portal_json(gstr1(store, 10, 2026))
    text = as_json(document)
    assert json.loads(text, parse_float=Decimal) == EXPECTED
    assert_amounts_have_two_decimals(text)
    assert "Total" not in text and "total" not in text


def _sum(rows, key):
    return sum((row[key] for row in rows), Decimal(0))


def test_hsn_and_document_tables_add_up_to_the_bill_tables(gst_month):
    from services.reports.gst import gstr1

    store, _ = gst_month
    doc = gstr1(store, 10, 2026).portal
    b2b_items = [i["itm_det"] for p in doc["b2b"] for inv in p["inv"] for i in inv["itms"]]
    cdnr_items = [i["itm_det"] for p in doc["cdnr"] for nt in p["nt"] for i in nt["itms"]]
    b2cl_items = [i["itm_det"] for g in doc["b2cl"] for inv in g["inv"] for i in inv["itms"]]
    cdnur_items = [i["itm_det"] for nt in doc["cdnur"] for i in nt["itms"]]
    for key in ("txval", "iamt", "camt", "samt"):
        b2b = _sum(b2b_items, key) - _sum(cdnr_items, key)
        assert _sum(doc["hsn"]["hsn_b2b"], key) == b2b, key
        b2c = (sum((i.get(key, 0) for i in b2cl_items), Decimal(0)) + _sum(doc["b2cs"], key)
               - sum((i.get(key, 0) for i in cdnur_items), Decimal(0)))
        assert _sum(doc["hsn"]["hsn_b2c"], key) == b2c, key
    invoices, notes = doc["doc_issue"]["doc_det"]
    # Net issued invoices: the B2B and B2C large invoices, and the three small B2C bills summed into B2CS.
    assert invoices["docs"][0]["net_issue"] == sum(len(p["inv"]) for p in doc["b2b"]) + sum(
        len(g["inv"]) for g in doc["b2cl"]) + 3
    # Credit notes: one CDNR, one CDNUR and the one summed into B2CS.
    assert notes["docs"][0]["net_issue"] == sum(len(p["nt"]) for p in doc["cdnr"]) + len(doc["cdnur"]) + 1
    assert all(d["totnum"] == d["cancel"] + d["net_issue"] for g in doc["doc_issue"]["doc_det"] for d in g["docs"])


def test_page_tables_keep_their_totals_out_of_the_rows(gst_month):
    from services.reports.gst import gstr1

    store, _ = gst_month
    tables = {t.key: t for t in gstr1(store, 10, 2026).tables}
    b2b = tables["b2b"]
    assert all(row[0] != "Total" for t in tables.values() for row in t.rows)
    assert b2b.total[0] == "Total" and b2b.total[3] == D("73030.00") and b2b.total[6] == D("62000.00")
    assert b2b.total[5] is None  # rates are not summed
    assert tables["doc_issue"].total[3:] == [10, 1, 9]


def test_other_months_are_empty_and_november_has_its_bill(gst_month):
    from services.reports.gst import gstr1

    store, _ = gst_month
    assert gstr1(store, 9, 2026).portal == {"gstin": STORE_GSTIN, "fp": "092026"}
    november = gstr1(store, 11, 2026).portal
    assert [inv["inum"] for p in november["b2b"] for inv in p["inv"]] == ["INV202600008"]
    assert "cdnr" not in november and "b2cs" not in november


def test_gstr3b_outward_supplies_and_inter_state_to_unregistered(gst_month):
    from services.reports.gst import gstr3b

    store, _ = gst_month
    portal = gstr3b(store, 10, 2026).portal
    assert portal["ret_period"] == "102026"
    # Invoices less credit notes: 62000 + 120000 + 3700 - (500 + 60000 + 500).
    assert portal["sup_details"]["osup_det"] == {"txval": D("124700.00"), "iamt": D("21816.00"),
                                                 "camt": D("217.50"), "samt": D("217.50"), "csamt": D("0.00")}
    assert portal["inter_sup"]["unreg_details"] == [
        {"pos": "29", "txval": D("1200.00"), "iamt": D("216.00")},
        {"pos": "33", "txval": D("60000.00"), "iamt": D("10800.00")},
    ]


@pytest.mark.parametrize("period", ["132026", "002026", "abc", "", "1026", "10-2026", "102016"])
def test_parse_period_refuses_what_is_not_a_month(app, period):
    from services.errors import ValidationError
    from services.reports.gst import parse_period

    with pytest.raises(ValidationError) as caught:
        parse_period(period)
    assert "period" in caught.value.errors


def test_parse_period_takes_the_portal_form_and_a_month_picker(app):
    from services.reports.gst import parse_period

    assert parse_period("102026") == (10, 2026)
    assert parse_period("2026-10") == (10, 2026)


# --------------------------------------------------------------------------- Billing v1 extension


def test_billing_v1_gstr1_answers_the_portal_document(gst_month, client, api_headers):
    store, owner = gst_month
    response = client.get(f"/api/v1/billing/{store.uid}/reports/gstr1?period=102026", headers=api_headers(owner))
    assert response.status_code == 200
    body = json.loads(response.data, parse_float=Decimal)
    assert body["success"] is True and body["data"] == EXPECTED
    assert_amounts_have_two_decimals(response.get_data(as_text=True))


def test_billing_v1_gstr1_roles_scope_and_bad_period(gst_month, client, api_headers, make_user):
    store, owner = gst_month
    url = f"/api/v1/billing/{store.uid}/reports/gstr1"
    manager = make_user("gstmanager", store=store, role="manager")
    cashier = make_user("gstcashier", store=store, role="cashier")
    stranger = make_user("gststranger")
    assert client.get(f"{url}?period=102026", headers=api_headers(manager)).status_code == 200
    refused = client.get(f"{url}?period=102026", headers=api_headers(cashier))
    assert refused.status_code == 403 and refused.json["success"] is False and refused.json["message"]
    other = client.get(f"{url}?period=102026", headers=api_headers(stranger))
    missing = client.get("/api/v1/billing/00000000-0000-4000-8000-000000000000/reports/gstr1?period=102026",
                         headers=api_headers(stranger))
    assert other.status_code == missing.status_code == 403 and other.json == missing.json
    for period in ("132026", "abc", ""):
        bad = client.get(f"{url}?period={period}", headers=api_headers(owner))
        assert bad.status_code == 400, period
        assert bad.json["success"] is False and "period" in bad.json["errors"]
    assert client.get(f"{url}?period=102026").status_code == 401


def test_a_bill_cancelled_after_its_return_takes_its_credit_note_out_too(gst_month):
    """Cancelling keeps a bill's credit notes; the return then reports neither (Table 13 counts both cancelled)."""
    from models import Bill
    from services.billing.bills import cancel_bill
    from services.reports.gst import gstr1, gstr3b

    store, owner = gst_month
    before = gstr3b(store, 10, 2026).portal["sup_details"]["osup_det"]
    bill = db.session.execute(db.select(Bill).filter_by(invoice_number="INV202600001")).scalar_one()
    cancel_bill(store, owner, bill, "Entered twice")
    db.session.commit()
    doc = gstr1(store, 10, 2026).portal
    assert [p["ctin"] for p in doc["b2b"]] == [INTER_GSTIN] and "cdnr" not in doc
    invoices, notes = doc["doc_issue"]["doc_det"]
    assert (invoices["docs"][0]["cancel"], invoices["docs"][0]["net_issue"]) == (2, 5)
    assert (notes["docs"][0]["cancel"], notes["docs"][0]["net_issue"]) == (1, 2)
    after = gstr3b(store, 10, 2026).portal["sup_details"]["osup_det"]
    assert before["txval"] - after["txval"] == D("1500.00")  # the bill's 2000 less its 500 credit note


def test_b2c_large_limit_by_invoice_date_and_a_store_without_gstin(app, make_user, make_product):
    """Inter-state to an unregistered buyer at 1,77,000: B2C small in July 2024 (limit 2,50,000), B2C large from
    August 2024 (limit 1,00,000). A store with no GSTIN gets an empty `gstin` and a warning."""
    from services.accounts.access import current_store_for
    from services.billing.bills import BillDraft, DraftLine, save_bill
    from services.reports.gst import gstr1

    owner = make_user("limitowner", state_code="27")
    store = current_store_for(owner)
    safe = make_product(store, "Safe", unit_price="150000.00", quantity=5, hsn_code="8303")
    for month in (7, 8):
        save_bill(store, owner, BillDraft(lines=[DraftLine(product=safe, qty=1)], place_of_supply="29"),
                  now=datetime(2024, month, 10, 6, tzinfo=timezone.utc))
    db.session.commit()
    july, august = gstr1(store, 7, 2024), gstr1(store, 8, 2024)
    assert "b2cl" not in july.portal and july.portal["b2cs"] == [
        {"sply_ty": "INTER", "pos": "29", "typ": "OE", "rt": D(18), "txval": D("150000.00"), "iamt": D("27000.00"),
         "camt": D(0), "samt": D(0), "csamt": D(0)}]
    assert "b2cs" not in august.portal and august.portal["b2cl"] == [
        {"pos": "29", "inv": [{"inum": "INV202400002", "idt": "10-08-2024", "val": D("177000.00"),
                               "itms": [igst_item(1, "18", "150000", "27000")]}]}]
    assert july.portal["gstin"] == "" and any("no GSTIN" in w for w in july.warnings)


# --------------------------------------------------------------------------- the buyer as the bill saw them


def test_a_customers_later_gstin_change_moves_no_old_invoice(gst_month):
    """The bill keeps the buyer's GSTIN and state as they were when it was saved (Rule 46 invoice particulars are
    fixed at issue): registering the walk-in customer or dropping Sharma's GSTIN later changes no October table."""
    from models import Bill, Customer
    from services.parties.parties import CustomerInput, update_party
    from services.reports.gst import gstr1, portal_json

    store, owner = gst_month
    first = db.session.execute(db.select(Bill).filter_by(invoice_number="INV202600001")).scalar_one()
    assert (first.buyer_gstin, first.buyer_state) == (INTRA_GSTIN, "27")
    large = db.session.execute(db.select(Bill).filter_by(invoice_number="INV202600003")).scalar_one()
    assert (large.buyer_gstin, large.buyer_state) == (None, None)
    for name, gstin in (("Sharma Stores", ""), ("Meena", INTER_GSTIN), ("Rao Traders", INTRA_GSTIN)):
        party = db.session.execute(db.select(Customer).filter_by(store_id=store.id, name=name)).scalar_one().party
        update_party(store, owner, party, CustomerInput.of(gstin=gstin))
    db.session.commit()
    assert portal_json(gstr1(store, 10, 2026)) == EXPECTED


def bill_for(store, owner, product, customer=None, place=None):
    from services.billing.bills import BillDraft, DraftLine, save_bill

    bill = save_bill(store, owner, BillDraft(lines=[DraftLine(product=product, qty=1)], customer=customer,
                                             place_of_supply=place), now=at(12))
    db.session.commit()
    return bill


def test_a_customer_with_a_state_and_no_gstin_is_supplied_in_their_state(app, make_user, make_product,
                                                                          make_customer):
    """IGST Act s.10: an unregistered customer's own state is the place of supply unless the bill names one; the
    till, Billing v1 and every surface price through services.billing.bills.place_of_supply."""
    from services.accounts.access import current_store_for
    from services.billing.bills import BillDraft, NewCustomer, buyer_of, place_of_supply, supply_state
    from services.reports.gst import gstr1

    owner = make_user("stateowner", gstin=STORE_GSTIN, state_code="27")
    store = current_store_for(owner)
    speaker = make_product(store, "Speaker", unit_price="1000.00", quantity=10, hsn_code="8518")
    karnataka = make_customer(store, "Kiran", phone_no="9845012345", state_code="29")
    local = make_customer(store, "Lata", state_code="27")
    away = bill_for(store, owner, speaker, karnataka)
    assert (away.place_of_supply, away.buyer_state, away.igst_amount, away.cgst_amount) == (
        "29", "29", D("180.00"), D(0))
    home = bill_for(store, owner, speaker, local)
    assert (home.place_of_supply, home.igst_amount, home.cgst_amount) == ("27", D(0), D("90.00"))
    chosen = bill_for(store, owner, speaker, karnataka, place="33")  # the state named on the bill wins
    assert (chosen.place_of_supply, chosen.igst_amount) == ("33", D("180.00"))
    # a customer named by phone at the till or in Billing v1 is the stored one, with their state
    typed = NewCustomer(name="Kiran", phone_no="98450 12345")
    assert supply_state(store, BillDraft(lines=[], customer=typed)) == "29"
    assert place_of_supply(store, buyer_of(store, None)) == "27"
    doc = gstr1(store, 10, 2026).portal
    assert sorted((row["sply_ty"], row["pos"], row["txval"]) for row in doc["b2cs"]) == [
        ("INTER", "29", D("1000.00")), ("INTER", "33", D("1000.00")), ("INTRA", "27", D("1000.00"))]


def test_a_store_with_a_gstin_and_no_state_code_takes_its_state_from_the_gstin(app, make_user, make_product):
    """A registered person's state is the one in its GSTIN: inter-state supplies from it are IGST even when the
    store's state_code was never filled in."""
    from services.accounts.access import current_store_for
    from services.billing.bills import store_state
    from services.reports.gst import gstr1

    owner = make_user("gstinonly", gstin=STORE_GSTIN, state_code=None)
    store = current_store_for(owner)
    assert store.state_code is None and store_state(store) == "27"
    speaker = make_product(store, "Speaker", unit_price="1000.00", quantity=10, hsn_code="8518")
    inter = bill_for(store, owner, speaker, place="29")
    intra = bill_for(store, owner, speaker)
    assert (inter.igst_amount, inter.cgst_amount) == (D("180.00"), D(0))
    assert (intra.place_of_supply, intra.igst_amount, intra.cgst_amount) == ("27", D(0), D("90.00"))
    doc = gstr1(store, 10, 2026).portal
    assert sorted((row["sply_ty"], row["pos"], row["iamt"], row["camt"]) for row in doc["b2cs"]) == [
        ("INTER", "29", D("180.00"), D(0)), ("INTRA", "27", D(0), D("90.00"))]
