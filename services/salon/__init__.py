"""The salon (issue 16): staff, memberships, the wallet, commissions and the appointment book."""
