"""Outgoing mail through Flask-Mail; without MAIL_SERVER every mail goes to the log and instance/outbox/."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Optional

from flask import current_app
from flask_mail import Message

from extensions import mail

log = logging.getLogger(__name__)


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
    """Send (or, with no mail server, file) one message. Attachments are (filename, content type, data).

    log_body=False keeps secrets such as one-time codes out of the log; the outbox file still holds them
    because the outbox exists only where no real mail server is configured (development).
    """
    recipients = [to] if isinstance(to, str) else list(to)
    message = Message(subject=subject, recipients=recipients, body=text, html=html)
    for filename, content_type, data in attachments:
        message.attach(filename, content_type, data)
    if current_app.config.get("MAIL_SERVER"):
        mail.send(message)
        log.info("mail sent to %s: %s", ", ".join(recipients), subject)
        return message
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", subject)[:40].strip("-").lower()
    path = outbox_dir() / f"{stamp}-{slug}.eml"
    path.write_bytes(message.as_bytes())
    if log_body and not current_app.config.get("TESTING"):
        log.info("mail to %s (no MAIL_SERVER; written to %s): %s\n%s", ", ".join(recipients), path, subject, text)
    else:
        log.info("mail to %s (no MAIL_SERVER; written to %s): %s", ", ".join(recipients), path, subject)
    return message
