"""The salon (issue 16): the appointment book."""
