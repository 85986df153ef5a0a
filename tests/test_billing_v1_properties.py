"""Random bills through the API: the response is exactly the pricing engine's result, and the bill invariants hold."""
from __future__ import annotations

from decimal import Decimal

import simplejson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.billing.pricing import LineInput, price_bill

D = Decimal
PRICES = (D("1000.00"), D("0.99"), D("33.33"), D("249.50"))

money = st.decimals(min_value=0, max_value=5000, places=2)
rates = st.sampled_from([D("0"), D("2.5"), D("6"), D("9"), D("14"), D("12.75")])


@st.composite
def bill_lines(draw):
    kind = draw(st.sampled_from(["percent", "flat"]))
    value = draw(st.decimals(min_value=0, max_value=100, places=2) if kind == "percent" else money)
    return {"product": draw(st.integers(0, len(PRICES) - 1)), "qty": draw(st.integers(1, 20)),
            "discount_type": kind, "discount_value": value, "cgst": draw(rates), "sgst": draw(rates)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(bill_lines(), min_size=1, max_size=6), discount=money, pay_share=st.sampled_from([0, 1, 2, 3]))
def test_api_response_equals_the_engine_and_keeps_the_invariants(client, billing_shop, make_product, lines, discount,
                                                                  pay_share):
    shop = billing_shop
    if not hasattr(shop, "catalog"):
        shop.catalog = [make_product(shop.store, f"Service {i}", unit_price=p, type="service")
                        for i, p in enumerate(PRICES)]
        shop.catalog_uids = [p.uid for p in shop.catalog]
    inputs = [LineInput(PRICES[ln["product"]], ln["qty"], ln["discount_type"], ln["discount_value"], ln["cgst"],
                        ln["sgst"]) for ln in lines]
    expected = price_bill(inputs, discount=discount)
    grand = expected.totals.grand_total
    # none, a single payment of part of the bill, a single payment of all of it, or a split of all of it
    pay = [D("0"), (grand / 3).quantize(D("0.01")), grand, grand][pay_share]
    body = {
        "customer": {"name": "Prop Test", "contact_no": "+919812345678"},
        "items": [{"line_no": i + 1, "type": "service", "id": shop.catalog_uids[ln["product"]], "qty": ln["qty"],
                   "discount_type": ln["discount_type"], "discount_value": ln["discount_value"], "cgst": ln["cgst"],
                   "sgst": ln["sgst"]} for i, ln in enumerate(lines)],
        "discount": discount, "billing_timestamp": "2025-09-26T11:29:00Z",
        "payment_mode": "none", "payment_amount": D("0"), "payments": [],
    }
    if pay > 0 and pay_share == 3 and pay >= D("0.02"):
        first = (pay / 2).quantize(D("0.01"))
        body.update(payment_mode="split", payment_amount=pay, payments=[
            {"mode": "upi", "amount": first, "timestamp": "2025-09-26T11:30:00Z"},
            {"mode": "cash", "amount": pay - first, "timestamp": "2025-09-26T11:30:00Z"}])
    elif pay > 0:
        body.update(payment_mode="card", payment_amount=pay,
                    payments=[{"mode": "card", "amount": pay, "timestamp": "2025-09-26T11:30:00Z"}])
    response = client.post(f"{shop.url}/bills", data=simplejson.dumps(body, use_decimal=True),
                           content_type="application/json", headers=shop.headers)
    assert response.status_code == 201, response.data
    data = simplejson.loads(response.data, use_decimal=True)["data"]
    priced = price_bill(inputs, discount=discount, payments=[p["amount"] for p in body["payments"]])
    for item, amounts in zip(data["items"], priced.lines):
        assert [item[f] for f in ("base_amount", "discount_amount", "cgst_amount", "sgst_amount", "line_total")] == [
            amounts.base_amount, amounts.discount_amount, amounts.cgst_amount, amounts.sgst_amount, amounts.line_total]
    totals = {k: v for k, v in data["totals"].items() if k not in ("credited", "refunded")}  # returns' extras
    t = priced.totals
    assert totals == {"sub_total": t.sub_total, "discount": t.discount, "tax_amount": t.tax_amount,
                      "cgst_amount": t.cgst_amount, "sgst_amount": t.sgst_amount, "grand_total": t.grand_total,
                      "paid": t.paid, "dues": t.dues,
                      # issue 11 extensions
                      "igst_amount": t.igst_amount, "round_off": t.round_off, "taxable_amount": t.taxable_amount,
                      "place_of_supply": None}
    assert totals["sub_total"] == sum(item["line_total"] for item in data["items"])
    assert totals["grand_total"] == totals["sub_total"] - totals["discount"] >= 0
    assert totals["dues"] == totals["grand_total"] - totals["paid"] >= 0
    assert all(value.as_tuple().exponent == -2 for key, value in totals.items() if key != "place_of_supply")
    expected_status = "paid" if totals["dues"] == 0 else ("partial" if totals["paid"] > 0 else "unpaid")
    assert data["status"] == expected_status
