"""customer identity: phone numbers in E.164, emails in lower case

Revision ID: 7e164a5c0b1d
Revises: 5e55a0e1c0de
Create Date: 2026-11-26 15:30:00

Existing customer rows get the form services.parties.parties now stores ("98765 43210" -> +919876543210,
"Asha@X.in" -> asha@x.in). Where two customers of one store would end up with the same phone or email, both
rows are left exactly as they are and a warning lists their ids: merging people is a shop's decision, not a
migration's. A phone that cannot be read as one is left as it is too.

The normaliser is copied here on purpose: a migration must keep doing what it did when it was written, even
after services/parties/parties.py changes.
"""
import logging
import re
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "7e164a5c0b1d"
down_revision = "5e55a0e1c0de"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
INDIAN_MOBILE = re.compile(r"^(?:\+?91|0)?([6-9]\d{9})$")
INDIAN_TRUNK = re.compile(r"^0([1-9]\d{9})$")
SEPARATORS = re.compile(r"[\s\-().]")

customer = sa.table("customer", sa.column("id", sa.Integer), sa.column("store_id", sa.Integer),
                    sa.column("phone_no", sa.String), sa.column("email", sa.String))


def e164_phone(raw):
    """services.parties.parties.e164_phone as of this revision; the value unchanged when it is no phone."""
    if not raw:
        return raw
    compact = SEPARATORS.sub("", raw.strip())
    for pattern in (INDIAN_MOBILE, INDIAN_TRUNK):
        found = pattern.match(compact)
        if found:
            return "+91" + found.group(1)
    return compact if E164.match(compact) else raw


def normal_email(raw):
    if raw is None:
        return None
    return raw.strip().lower() or None


def colliding_ids(rows, targets):
    """Ids of rows whose normalised phone or email equals another row's of the same store."""
    holders = defaultdict(set)
    for row in rows:
        phone, email = targets[row.id]
        if phone:
            holders[(row.store_id, "phone", phone)].add(row.id)
        if email:
            holders[(row.store_id, "email", email)].add(row.id)
    return {pk for ids in holders.values() if len(ids) > 1 for pk in ids}


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(customer.c.id, customer.c.store_id, customer.c.phone_no, customer.c.email)).all()
    targets = {row.id: (e164_phone(row.phone_no), normal_email(row.email)) for row in rows}
    collisions = colliding_ids(rows, targets)
    for row in rows:
        phone, email = targets[row.id]
        if row.id in collisions or (phone, email) == (row.phone_no, row.email):
            continue
        bind.execute(customer.update().where(customer.c.id == row.id).values(phone_no=phone, email=email))
    if collisions:
        by_store = defaultdict(list)
        for row in rows:
            if row.id in collisions:
                by_store[row.store_id].append(row.id)
        log.warning("customer identity: left unchanged because they would share a phone or email after "
                    "normalising (store id: customer ids): %s", dict(sorted(by_store.items())))


def downgrade():
    # The typed forms are gone; E.164 and lower-case values remain valid for the older code.
    pass
