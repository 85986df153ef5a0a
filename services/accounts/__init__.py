"""Users, sign-in codes and tokens, stores, memberships and their settings."""
