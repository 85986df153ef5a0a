"""The domain layer: plain functions that validate, compute and write (flush, never commit).

HTML views and all three JSON APIs call these; no `request` in here.
"""
