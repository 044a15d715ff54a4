"""Discover step: candidate exchanges between streams, and screening from sectors."""

from symbionet.discover.engine import discover
from symbionet.discover.generate import generate_park
from symbionet.discover.screen import screen

__all__ = ["discover", "generate_park", "screen"]
