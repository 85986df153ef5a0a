"""Outgoing mail through Flask-Mail; without MAIL_SERVER every mail goes to the log and instance/outbox/.

Mail waits for the database: `send_mail` queues the message on the session while a transaction is open, and it
goes out only after that transaction commits (a rolled-back request sends nothing, and no SMTP round trip runs
while the request holds row locks). With no transaction open (a CLI command between commits) it goes at once.
Every SMTP connection has a timeout (MAIL_TIMEOUT seconds, default 10), so a slow mail server cannot hang a worker.
A delivery that fails after the commit is logged; the committed work stands.
"""
from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Optional

import flask_mail
from flask import current_app
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from extensions import db

log = logging.getLogger(__name__)

QUEUE_KEY = "outgoing_mail"
DEFAULT_TIMEOUT = 10


def outbox_dir() -> Path:
    folder = current_app.config.get("MAIL_OUTBOX") or str(Path(current_app.instance_path) / "outbox")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def send_mail(
    to: str | Iterable[str],
    subject: str,
    text: str,
    html: Optional[str] = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    log_body: bool = True,
) -> Message:
    """Send (or, with no mail server, file) one message once the current transaction commits.

    Attachments are (filename, content type, data). log_body=False keeps secrets such as one-time codes out of
    the log; the outbox file still holds them because the outbox exists only where no real mail server is
    configured (development).
    """
    recipients = [to] if isinstance(to, str) else list(to)
    message = Message(subject=subject, recipients=recipients, body=text, html=html)
    for filename, content_type, data in attachments:
        message.attach(filename, content_type, data)
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(QUEUE_KEY, []).append((message, log_body))
    else:
        _deliver(message, log_body)
    return message


def queued(session: Optional[Session] = None) -> list[Message]:
    """Messages waiting for the session's commit (for tests and diagnostics)."""
    return [message for message, _ in (session or db.session()).info.get(QUEUE_KEY, [])]


class TimedConnection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout (Flask-Mail 0.10 opens SMTP without one)."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = float(current_app.config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)
        smtp = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def _deliver(message: Message, log_body: bool) -> None:
    recipients = ", ".join(message.recipients)
    if current_app.config.get("MAIL_SERVER"):
        with TimedConnection(current_app.extensions["mail"]) as connection:
            connection.send(message)
        log.info("mail sent to %s: %s", recipients, message.subject)
        return
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", message.subject)[:40].strip("-").lower()
    path = outbox_dir() / f"{stamp}-{slug}.eml"
    path.write_bytes(message.as_bytes())
    if log_body and not current_app.config.get("TESTING"):
        log.info("mail to %s (no MAIL_SERVER; written to %s): %s\n%s", recipients, path, message.subject,
                 message.body)
    else:
        log.info("mail to %s (no MAIL_SERVER; written to %s): %s", recipients, path, message.subject)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for message, log_body in session.info.pop(QUEUE_KEY, []):
        try:
            _deliver(message, log_body)
        except Exception:  # the commit stands; a lost mail is logged, never a 500 after the work is saved
            log.exception("mail to %s failed after commit: %s", ", ".join(message.recipients), message.subject)


@event.listens_for(Session, "after_transaction_end")
def _drop_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without after_commit having taken the queue: it rolled back or closed.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(QUEUE_KEY, None)
