"""Log entries the jewellery app sends (POST /api/logs/create), kept in the audit log beside the server's own.

The entry is the app's account of what its user did; it is stored as sent (after its shape was checked), under
the caller's user and store, with entity "app_product" or "app_invoice" so it is never mistaken for a row the server
wrote about its own changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from models import AuditLog, Store, User
from services import audit

ACTIONS = ("CREATE", "UPDATE", "DELETE")
ENTITY_TYPES = ("PRODUCT", "INVOICE")


@dataclass(frozen=True)
class ClientLog:
    action: str  # CREATE | UPDATE | DELETE
    entity_type: str  # PRODUCT | INVOICE
    timestamp: datetime
    entity_id: Optional[str]
    details: dict[str, Any]  # userName, productName, type, amount, invoiceId, metadata (as sent)


def record_client_log(store: Store, user: User, entry: ClientLog) -> AuditLog:
    """One audit row for the app's entry (flushes with the caller's transaction)."""
    return audit.record(entry.action.lower(), f"app_{entry.entity_type.lower()}", entry.entity_id,
                        store_id=store.id, user_id=user.id,
                        meta={"source": "api/logs/create", "timestamp": entry.timestamp.isoformat(), **entry.details})
