"""The audit trail cannot be switched off: every change is audited, rows are hash-chained per store, and a row
changed or deleted in the database is reported by verify, `flask audit-verify` and the owner's audit page."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from extensions import db
from models import AuditChainHead, AuditLog
from services import audit, audit_chain
from services.audit_chain import GENESIS, AuditRowChanged
from tests.fixtures_pos import sign_in
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture

D = Decimal


@pytest.fixture
def store_and_owner(make_user):
    from services.accounts.access import current_store_for

    owner = make_user("chainowner", store_name="Chain Stores")
    return current_store_for(owner), owner


def chain_rows(chain: int) -> list[AuditLog]:
    db.session.expire_all()
    return list(db.session.execute(select(AuditLog).where(AuditLog.chain == chain).order_by(AuditLog.seq)).scalars())


def add_rows(store, owner, n: int, action: str = "update") -> None:
    for i in range(n):
        audit.record(action, "note", i, store_id=store.id, user_id=owner.id, after={"n": i, "amount": "1.50"})
    db.session.commit()


# --------------------------------------------------------------------------- the chain


def test_rows_are_numbered_and_chained_per_store_and_verify(store_and_owner, make_user):
    store, owner = store_and_owner
    from services.accounts.access import current_store_for

    other = current_store_for(make_user("otherowner"))
    add_rows(store, owner, 3)
    audit.record("update", "note", 1, store_id=other.id, user_id=owner.id, before={"k": (1, 2)}, meta={"é": "₹"})
    add_rows(store, owner, 2)
    rows = chain_rows(store.id)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 5
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    assert all(r.hash == audit_chain.hash_of(r) and len(r.hash) == 64 for r in rows)
    head = db.session.get(AuditChainHead, store.id)
    assert (head.seq, head.hash) == (rows[-1].seq, rows[-1].hash)
    assert [r.seq for r in chain_rows(other.id)][-1] == len(chain_rows(other.id))
    for target in (store.id, other.id):
        report = audit.verify(target)
        assert report.ok and report.rows == len(chain_rows(target)), report.problems


def test_account_rows_without_a_store_form_chain_zero(store_and_owner):
    _, owner = store_and_owner
    audit.record("password_reset", "user", owner.id, user_id=owner.id)
    audit.record("password_change", "user", owner.id, user_id=owner.id)
    db.session.commit()
    rows = chain_rows(0)
    assert [(r.store_id, r.seq) for r in rows][-2:] == [(None, len(rows) - 1), (None, len(rows))]
    assert audit.verify(None).ok


def test_rows_are_append_only_in_the_orm(store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 1)
    row = chain_rows(store.id)[-1]
    row.after = {"n": 99}
    with pytest.raises(AuditRowChanged):
        db.session.flush()
    db.session.rollback()
    db.session.delete(chain_rows(store.id)[-1])
    with pytest.raises(AuditRowChanged):
        db.session.flush()
    db.session.rollback()


def test_a_rolled_back_transaction_leaves_no_gap(store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 2)
    audit.record("update", "note", "lost", store_id=store.id, user_id=owner.id)
    db.session.flush()
    db.session.rollback()
    add_rows(store, owner, 1)
    assert audit.verify(store.id).ok


def test_rows_wait_for_the_commit_in_the_order_recorded_and_a_rolled_back_savepoint_drops_its_own(
        store_and_owner):
    store, owner = store_and_owner
    db.session.commit()
    audit.record("update", "note", "a", store_id=store.id, user_id=owner.id)
    db.session.flush()  # held back: not numbered, not in the database, no lock taken
    assert db.session.execute(select(func.count()).select_from(AuditLog).filter_by(entity_id="a")).scalar_one() == 0
    with db.session.begin_nested() as savepoint:
        audit.record("update", "note", "dropped", store_id=store.id, user_id=owner.id)
        db.session.flush()
        savepoint.rollback()
    with db.session.begin_nested():
        audit.record("update", "note", "b", store_id=store.id, user_id=owner.id)
        db.session.flush()
    audit.record("update", "note", "c", store_id=store.id, user_id=owner.id)
    db.session.commit()
    rows = chain_rows(store.id)
    assert [r.entity_id for r in rows][-3:] == ["a", "b", "c"]
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)) and audit.verify(store.id).ok


# --------------------------------------------------------------------------- tampering is found


def _cli(runner, *args):
    return runner.invoke(args=["audit-verify", *args])


def test_a_row_changed_in_the_database_is_reported_by_verify_the_cli_and_the_page(client, runner, store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 4)
    assert _cli(runner, "--store", str(store.id)).exit_code == 0
    victim = chain_rows(store.id)[-2]
    db.session.execute(text("UPDATE audit_log SET after = :after WHERE id = :id"),
                       {"after": '{"n": 2, "amount": "0.50"}', "id": victim.id})
    db.session.commit()

    report = audit.verify(store.id)
    assert not report.ok
    assert [(p.kind, p.seq, p.row_id) for p in report.problems] == [("changed", victim.seq, victim.id)]

    result = _cli(runner, "--store", str(store.id))
    assert result.exit_code == 1
    assert f"Row seq {victim.seq} (id {victim.id}) was changed" in result.output
    assert _cli(runner).exit_code == 1  # every chain

    sign_in(client, owner)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert 'hx-get="/admin/audit/chain" hx-trigger="load"' in page  # the verdict loads after the list
    assert f'data-entity="note" data-action="update" data-seq="{victim.seq}"' in page
    for verdict in (client.hx_get("/admin/audit/chain"), client.get("/admin/audit/chain")):  # HTMX, no JavaScript
        text_ = verdict.get_data(as_text=True)
        assert verdict.status_code == 200 and 'data-ok="false"' in text_ and "has been tampered with" in text_
        assert f"Row seq {victim.seq} (id {victim.id}) was changed" in text_
    assert client.hx_get("/admin/audit/chain").get_data(as_text=True).lstrip().startswith('<div id="audit-chain"')


def test_a_row_deleted_in_the_middle_or_at_the_end_is_reported(client, runner, store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 5)
    rows = chain_rows(store.id)
    middle, last = [SimpleNamespace(id=r.id, seq=r.seq) for r in (rows[-3], rows[-1])]
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": middle.id})
    db.session.commit()
    problems = audit.verify(store.id).problems
    assert [(p.kind, p.seq) for p in problems] == [("deleted", middle.seq + 1)]
    assert f"seq {middle.seq}" in problems[0].message

    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": last.id})
    db.session.commit()
    problems = audit.verify(store.id).problems
    assert ("deleted", last.seq) in [(p.kind, p.seq) for p in problems]
    assert "Rows deleted at the end of the trail: seq " + str(last.seq) in problems[-1].message
    result = _cli(runner, "--store", str(store.id))
    assert result.exit_code == 1 and "deleted" in result.output
    sign_in(client, owner)
    assert "Rows deleted at the end of the trail" in client.get("/admin/audit/chain").get_data(as_text=True)


def test_a_row_rehashed_after_a_change_breaks_the_link_to_the_next(store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 3)
    rows = chain_rows(store.id)
    victim = rows[-2]
    victim_after = {"n": 7}
    forged = audit_chain.row_hash(chain=victim.chain, seq=victim.seq, prev_hash=victim.prev_hash,
                                  store_id=victim.store_id, user_id=victim.user_id, action=victim.action,
                                  entity=victim.entity, entity_id=victim.entity_id, before=victim.before,
                                  after=victim_after, meta=victim.meta, at=victim.at)
    db.session.execute(text("UPDATE audit_log SET after = :after, hash = :hash WHERE id = :id"),
                       {"after": '{"n": 7}', "hash": forged, "id": victim.id})
    db.session.commit()
    problems = audit.verify(store.id).problems
    assert [(p.kind, p.seq) for p in problems] == [("relinked", rows[-1].seq)]


@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_only_owners_check_the_trail(client, store_and_owner, make_user, role):
    store, _ = store_and_owner
    sign_in(client, make_user(f"staff_{role}", store=store, role=role))
    assert client.get("/admin/audit/chain").status_code == 403


def test_a_row_added_behind_the_apps_back_is_reported(store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 2)
    last = chain_rows(store.id)[-1]
    forged = dict(chain=store.id, seq=last.seq + 1, prev_hash=last.hash, store_id=store.id, user_id=owner.id,
                  action="delete", entity="bill", entity_id="x", before=None, after=None, meta=None, at=last.at)
    db.session.execute(text("INSERT INTO audit_log (store_id, user_id, action, entity, entity_id, at, chain, seq, "
                            "prev_hash, hash) VALUES (:store_id, :user_id, :action, :entity, :entity_id, :at, "
                            ":chain, :seq, :prev_hash, :hash)"),
                       {**forged, "at": last.at.replace(tzinfo=None), "hash": audit_chain.row_hash(**forged)})
    db.session.commit()
    assert [(p.kind, p.seq) for p in audit.verify(store.id).problems] == [("added", last.seq + 1)]


def test_a_clean_trail_says_so_on_the_page_and_in_the_cli(client, runner, store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 2)
    sign_in(client, owner)
    page = client.hx_get("/admin/audit/chain").get_data(as_text=True)
    assert 'data-ok="true"' in page and "Trail intact." in page
    result = _cli(runner)
    assert result.exit_code == 0 and f"store {store.id}: OK" in result.output


# --------------------------------------------------------------------------- concurrency (PostgreSQL)


def _appender(app, store_id: int, user_id: int, rounds: int, per_round: int, start: threading.Barrier,
              errors: list) -> None:
    try:
        with app.app_context():
            start.wait()
            for r in range(rounds):
                for i in range(per_round):
                    audit.record("update", "note", f"{threading.get_ident()}-{r}-{i}", store_id=store_id,
                                 user_id=user_id, after={"round": r, "i": i})
                    if i == 0:
                        db.session.flush()  # two flushes per transaction: the head is taken again, no gap
                db.session.commit()
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


@pytest.mark.postgres_only
@pytest.mark.slow
def test_concurrent_appends_to_one_store_make_one_unbroken_chain(app, store_and_owner):
    store, owner = store_and_owner
    db.session.commit()
    before = len(chain_rows(store.id))
    threads, rounds, per_round = 8, 10, 3
    start, errors = threading.Barrier(threads), []
    workers = [threading.Thread(target=_appender, args=(app, store.id, owner.id, rounds, per_round, start, errors))
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors
    rows = chain_rows(store.id)
    assert len(rows) == before + threads * rounds * per_round
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    assert audit.verify(store.id).ok


@pytest.mark.postgres_only
def test_a_second_writer_waits_for_the_first_to_commit(app, store_and_owner):
    store, owner = store_and_owner
    add_rows(store, owner, 1)
    audit_chain._take_head(db.session, store.id, 0)  # what a commit does first: lock the chain's head
    done = threading.Event()
    seen: list = []

    def second():
        with app.app_context():
            audit.record("update", "note", "second", store_id=store.id, user_id=owner.id)
            db.session.commit()
            seen.append(db.session.execute(select(AuditLog.seq).filter_by(entity_id="second")).scalar_one())
            db.session.remove()
            done.set()

    worker = threading.Thread(target=second)
    worker.start()
    assert not done.wait(1.0)  # blocked on the head row
    audit.record("update", "note", "first", store_id=store.id, user_id=owner.id)
    db.session.commit()
    worker.join(30)
    first_seq = db.session.execute(select(AuditLog.seq).filter_by(entity_id="first")).scalar_one()
    assert seen == [first_seq + 1]
    assert audit.verify(store.id).ok


# --------------------------------------------------------------------------- every change is audited


def _audited(store, entity: str, action: str) -> int:
    return db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.store_id == store.id, AuditLog.entity == entity, AuditLog.action == action)).scalar_one()


def test_every_create_change_and_delete_writes_an_audit_row(client, store_and_owner, make_product):
    from services.accounts.store_settings import update_store_settings
    from services.billing import bills as billing
    from services.billing.returns import ReturnDraft, ReturnLine, create_return
    from services.catalog import products, stock
    from services.parties import expenses, parties

    store, owner = store_and_owner
    db.session.commit()
    steps: list[tuple[str, str]] = []

    def expect(entity: str, action: str, run) -> None:
        before = _audited(store, entity, action)
        run()
        db.session.commit()
        assert _audited(store, entity, action) == before + 1, (entity, action)
        steps.append((entity, action))

    # products and stock
    made = {}
    expect("product", "create", lambda: made.setdefault("p", products.create_product(
        store, owner, products.ProductInput.of(product_name="Audit Soap", type="product", unit_price=D("40.00"),
                                               cgst_rate=D("9"), sgst_rate=D("9")))))
    soap = made["p"]
    expect("product", "update", lambda: products.update_product(store, owner, soap,
                                                                products.ProductInput.of(unit_price=D("42.00"))))
    expect("stock", "adjust", lambda: stock.adjust_with_reason(store, owner, soap,
                                                               stock.Adjustment("add", D("20"), "correction")))
    expect("stock", "stocktake", lambda: stock.post_count(store, owner, [stock.CountLine(soap, soap.quantity,
                                                                                         D("19"))]))
    # parties: added by a person, added by a bill, changed, deleted
    expect("party", "create", lambda: made.setdefault("c", parties.create_customer(
        store, owner, parties.CustomerInput.of(name="Ravi Kumar", phone_no="+919811111111"))))
    expect("party", "update", lambda: parties.update_party(store, owner, made["c"],
                                                           parties.CustomerInput.of(name="Ravi K")))
    expect("party", "create", lambda: made.setdefault("s", parties.create_supplier(
        store, owner, parties.SupplierInput.of(name="Acme Traders", code="ACME"))))
    # bills, payments, credit notes
    sale = billing.BillDraft(lines=[billing.DraftLine(soap, 2)],
                             customer=billing.NewCustomer("Walk In Buyer", "+919822222222"))
    before_parties = _audited(store, "party", "create")
    expect("bill", "create", lambda: made.setdefault("bill", billing.save_bill(store, owner, sale)))
    assert _audited(store, "party", "create") == before_parties + 1  # the bill's new customer
    bill = made["bill"]
    expect("bill", "payment", lambda: billing.record_payment(store, owner, bill,
                                                             billing.DraftPayment("cash", D("10.00"))))
    expect("bill", "return", lambda: create_return(store, owner, bill, ReturnDraft([ReturnLine(1, 1)],
                                                                                   refund_mode="cash")))
    expect("bill", "cancel", lambda: billing.cancel_bill(store, owner, bill, "wrong customer"))
    # purchases
    purchase = billing.BillDraft(
        lines=[billing.DraftLine(product=soap, qty=5, unit_price=D("30.00"), cgst_rate=D("9"), sgst_rate=D("9"),
                                 price_includes_tax=False)], customer=made["s"], kind="purchase")
    expect("bill", "create", lambda: made.setdefault("pur", billing.save_bill(store, owner, purchase)))
    expect("bill", "payment", lambda: billing.record_payment(store, owner, made["pur"],
                                                             billing.DraftPayment("cash", D("20.00"))))
    expect("bill", "cancel", lambda: billing.cancel_bill(store, owner, made["pur"], "entered twice"))
    # expenses
    expect("expense", "create", lambda: made.setdefault("e", expenses.create_expense(
        store, owner, expenses.ExpenseInput.of(amount=D("250.00"), date=date(2026, 11, 1), category="Rent",
                                               description=None, is_necessary=True))))
    expect("expense", "update", lambda: expenses.update_expense(store, owner, made["e"],
                                                                expenses.ExpenseInput.of(amount=D("275.00"))))
    expect("expense", "delete", lambda: expenses.delete_expense(store, owner, made["e"]))
    # store settings
    expect("store", "update", lambda: update_store_settings(owner, store, {"name": "Chain Stores & Sons"}))
    # deletes last: a product no bill names, a party
    spare = make_product(store, "Spare Item", quantity=0)
    expect("product", "delete", lambda: products.delete_product(store, owner, spare))
    expect("party", "delete", lambda: parties.delete_party(store, owner, made["c"]))
    assert audit.verify(store.id).ok
    assert len(steps) == 20


def test_the_jewellery_apps_log_entries_join_the_stores_chain(client, jeweller):
    body = {"action": "CREATE", "entityType": "INVOICE", "timestamp": "2026-11-26T10:00:00.000Z", "id": "12",
            "metadata": {"customerName": "Meena Shah"}}
    assert client.post("/api/logs/create", headers=jeweller.headers, json=body).status_code == 201
    rows = chain_rows(jeweller.store.id)
    assert rows[-1].entity == "app_invoice" and rows[-1].seq == len(rows)
    assert audit.verify(jeweller.store.id).ok


def test_no_setting_turns_auditing_off(app):
    assert not [key for key in app.config if "AUDIT" in key.upper()]


# --------------------------------------------------------------------------- the page links to the record


def test_the_audit_page_links_each_row_to_its_record(client, store_and_owner, make_product):
    from services.billing import bills as billing
    from services.catalog import stock

    store, owner = store_and_owner
    soap = make_product(store, "Linked Soap", quantity=5)
    bill = billing.save_bill(store, owner, billing.BillDraft(lines=[billing.DraftLine(soap, 1)]))
    stock.adjust_with_reason(store, owner, soap, stock.Adjustment("add", D("1"), "correction"))
    db.session.commit()
    sign_in(client, owner)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f'<a class="audit-link" href="/bills/{bill.id}">open bill</a>' in page
    assert f'<a class="audit-link" href="/inventory/{soap.id}/edit">open product</a>' in page
    assert f'<a class="audit-link" href="/inventory/{soap.id}/history">stock history</a>' in page
    fragment = client.hx_get("/admin/audit?entity=bill").get_data(as_text=True)
    assert f'href="/bills/{bill.id}"' in fragment and "audit-chain" not in fragment


# --------------------------------------------------------------------------- the migration chains old rows


def test_the_migration_chains_the_rows_already_there(backend, tmp_path, empty_database_url):
    from flask_migrate import downgrade, upgrade

    from services.accounts.stores import create_owner
    from tests.test_migrations import migration_app

    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade()
        owner, store = create_owner(username="old", email="old@example.com", password="Password123!",
                                    store_name="Old Shop", verified=True)
        db.session.commit()
        store_id, user_id = store.id, owner.id
        db.session.remove()
        downgrade(revision="b3e8d1c5f7a2")
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_log"))
            for n, (sid, at) in enumerate([(store_id, "2026-01-01 10:00:00.000000"), (None, "2026-01-02 10:00:00"),
                                           (store_id, "2026-01-03 10:00:00.123456")]):
                connection.execute(text(
                    "INSERT INTO audit_log (store_id, user_id, action, entity, entity_id, \"before\", \"after\", "
                    "metadata, at) VALUES (:s, :u, 'update', 'note', :e, NULL, :a, NULL, :at)"),
                    {"s": sid, "u": user_id, "e": str(n), "a": '{"n": %d, "x": [1, "₹"]}' % n, "at": at})
        upgrade()
        rows = chain_rows(store_id)
        assert [(r.seq, r.entity_id) for r in rows] == [(1, "0"), (2, "2")]
        assert audit.verify(store_id).ok and audit.verify(None).ok
        audit.record("update", "note", "new", store_id=store_id, user_id=user_id)
        db.session.commit()
        assert [r.seq for r in chain_rows(store_id)] == [1, 2, 3] and audit.verify(store_id).ok
        db.session.remove()
        db.engine.dispose()
