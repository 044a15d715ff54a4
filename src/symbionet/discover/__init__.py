"""Discover step."""
