"""Register step."""
