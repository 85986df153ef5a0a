"""The jewellery shop: metal rates (and, later, pieces, old-gold exchange, estimates and interest)."""
