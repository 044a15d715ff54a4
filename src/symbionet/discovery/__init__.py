"""Discover step: candidate exchanges between streams (``engine``), screening from
sectors (``screening``) and synthetic parks to test them on (``generate``)."""
