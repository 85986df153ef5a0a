"""Purchases (issue 14): supplier bills saved through services.billing.bills.save_bill (kind "purchase"), the
supplier's invoice number rule, and the per-product cost (last and weighted average) they keep."""
