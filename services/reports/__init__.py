"""Read-only figures for pages (the home dashboard today)."""
