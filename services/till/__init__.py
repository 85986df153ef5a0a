"""The till's server-side state (TillSession) and what the POS page does with it."""
