"""Discover step: candidate exchanges between streams, and screening from sectors."""

from symbionet.discovery.engine import discover
from symbionet.discovery.generate import generate_park
from symbionet.discovery.screening import screen

__all__ = ["discover", "generate_park", "screen"]
