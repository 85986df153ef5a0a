"""Customers, suppliers and expenses."""
