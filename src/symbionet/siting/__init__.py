"""Siting new entrants on a park's free plots: what each placement is worth through
discovery, and the assignment that is worth most as a mixed-integer programme."""
