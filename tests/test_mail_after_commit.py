"""Mail waits for the commit: queued during the transaction, sent after it, dropped on rollback, with a timeout."""
from __future__ import annotations

import smtplib
import socket
import threading
import time

import pytest
from sqlalchemy import func, select, text

from extensions import db
from models import Category
from services import mail
from services.mail import send_mail


def _write_category(store, name: str) -> None:
    db.session.add(Category(store_id=store.id, name=name))
    db.session.flush()


def _committed_categories(name: str) -> int:
    with db.engine.connect() as connection:  # another connection sees only committed rows
        return connection.execute(select(func.count()).select_from(Category).where(Category.name == name)).scalar()


def test_mail_sent_in_a_transaction_waits_for_the_commit(make_store, outbox):
    store = make_store()
    before = len(outbox())
    _write_category(store, "Queued")
    send_mail("asha@example.com", "Your code", "Code 123456")
    assert len(outbox()) == before and len(mail.queued()) == 1
    db.session.commit()
    assert [m["Subject"] for m in outbox()[before:]] == ["Your code"]
    assert mail.queued() == []


def test_a_rolled_back_transaction_sends_nothing(make_store, outbox):
    store = make_store()
    before = len(outbox())
    _write_category(store, "Rolled back")
    send_mail("asha@example.com", "Never sent", "x")
    db.session.rollback()
    db.session.execute(text("SELECT 1"))
    db.session.commit()  # a later commit must not send what the rollback dropped
    assert len(outbox()) == before and _committed_categories("Rolled back") == 0


def test_a_savepoint_rollback_keeps_the_outer_transactions_mail(make_store, outbox):
    store = make_store()
    before = len(outbox())
    _write_category(store, "Outer")
    send_mail("asha@example.com", "Kept", "x")
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()
    assert [m["Subject"] for m in outbox()[before:]] == ["Kept"]


def test_a_request_that_fails_sends_nothing(app, client, make_store, outbox):
    store_id = make_store().id
    before = len(outbox())

    @app.get("/_test/mail-then-fail")
    def mail_then_fail():
        db.session.add(Category(store_id=store_id, name="Failed request"))
        db.session.flush()
        send_mail("asha@example.com", "From a failed request", "x")
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/_test/mail-then-fail")
    assert response.status_code == 500
    assert len(outbox()) == before and _committed_categories("Failed request") == 0


def test_without_an_open_transaction_mail_goes_at_once(app, outbox):
    db.session.commit()
    before = len(outbox())
    send_mail("asha@example.com", "At once", "x")
    assert len(outbox()) == before + 1


@pytest.fixture
def silent_smtp():
    """A server that accepts connections and never says a word (a mail server that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()
    server.close()
    for connection in held:
        connection.close()


def test_a_silent_mail_server_times_out_after_the_commit(app, make_store, silent_smtp, monkeypatch, caplog):
    store = make_store()
    host, port = silent_smtp
    monkeypatch.setitem(app.config, "MAIL_SERVER", host)
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.5)
    monkeypatch.setattr(app.extensions["mail"], "server", host)
    monkeypatch.setattr(app.extensions["mail"], "port", port)
    monkeypatch.setattr(app.extensions["mail"], "suppress", False)
    seen_at_delivery = []
    original = mail.TimedConnection.configure_host

    def spying(self):
        seen_at_delivery.append(_committed_categories("Slow mail"))
        return original(self)

    monkeypatch.setattr(mail.TimedConnection, "configure_host", spying)
    timeouts = []

    class RecordingSMTP(smtplib.SMTP):
        def __init__(self, *args, **kwargs):
            timeouts.append(kwargs.get("timeout"))
            if kwargs.get("timeout") is None:  # without a timeout this test would hang instead of failing
                raise OSError("no timeout given")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP", RecordingSMTP)
    _write_category(store, "Slow mail")
    send_mail("asha@example.com", "Slow", "x")
    started = time.monotonic()
    db.session.commit()  # the failed delivery is logged, not raised: the work is saved
    assert time.monotonic() - started < 5
    assert timeouts == [0.5]
    assert seen_at_delivery == [1]  # the row was committed (no lock held) before SMTP was tried
    assert "failed after commit" in caplog.text
