"""Helpers for the accounts tests: read codes out of mail, post JSON, sign in through the API or the web."""
from __future__ import annotations

import email.message
import re
from typing import Iterable, Optional

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def text_of(message: email.message.Message, subtype: str = "plain") -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part in {message['Subject']!r}")


def mails_to(messages: Iterable[email.message.Message], address: str) -> list[email.message.Message]:
    return [m for m in messages if m["To"] == address]


def last_code(messages: Iterable[email.message.Message], address: str, subject: Optional[str] = None) -> str:
    """The 6-digit code in the newest mail to this address (optionally with a subject starting so)."""
    for message in reversed(mails_to(messages, address)):
        if subject and not message["Subject"].startswith(subject):
            continue
        found = CODE.search(text_of(message))
        if found:
            return found.group(1)
    raise AssertionError(f"no code mailed to {address}")


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def signup_body(username: str = "asha", **extra) -> dict:
    body = {"username": username, "email": f"{username}@example.com", "password": "Sup3rSecret!",
            "phone_no": "+919876543210", "business_name": f"{username.title()} Stores"}
    body.update(extra)
    return body

