"""Invoice documents (HTML, PDF, receipts, share links, email) and uploaded images."""
