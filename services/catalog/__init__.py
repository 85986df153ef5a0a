"""Products, categories, stock and catalogue search."""
