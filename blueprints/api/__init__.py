"""JSON surfaces: NamastePMS (/api), Billing v1 (/api/v1/billing), jewellery (root paths), and the docs."""
