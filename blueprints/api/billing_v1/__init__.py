"""Billing v1 API (../shared/seeds/002_af1ec0be52e1f232.txt): views, the bill PDF, parsing and serialising."""
from blueprints.api.billing_v1 import (
    appointments,  # noqa: F401  (adds GET /api/v1/billing/<storeId>/appointments)
    documents,  # noqa: F401  (adds the bill PDF route to the blueprint)
    reports,  # noqa: F401  (adds GET /api/v1/billing/<storeId>/reports/gstr1)
    stores,  # noqa: F401  (adds GET/PATCH /api/v1/stores/<storeId>)
)
from blueprints.api.billing_v1.views import bp

__all__ = ["bp"]
