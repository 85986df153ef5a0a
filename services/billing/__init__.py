"""Bills: the pricing engine, invoice numbers, Idempotency-Key claims and saving, holding, cancelling."""
