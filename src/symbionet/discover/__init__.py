"""Discover step: candidate exchanges between streams, and sector screening."""

from symbionet.discover.engine import discover

__all__ = ["discover"]
