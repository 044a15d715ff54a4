"""Design step."""
