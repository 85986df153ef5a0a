"""The salon (issue 16): staff who serve bill lines; appointments and commissions live beside them."""
