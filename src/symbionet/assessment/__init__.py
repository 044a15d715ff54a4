"""Assess step."""
