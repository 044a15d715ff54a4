"""Assess step: what a park saves (``accounting``), how to split it (``sharing``), what
happens when partners leave (``resilience``) and all of it for one park (``assess``)."""
