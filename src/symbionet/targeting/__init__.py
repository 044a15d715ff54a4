"""Targeting step: the least utility or freshwater a set of streams can reach.

``heat`` targets heat recovery (problem table and transshipment LP), ``water`` targets
water reuse (water cascade and source-sink allocation LP, plus a bilinear model for
several contaminants), and ``site`` compares plant-by-plant and park-wide targets:
``symbionet.targets(park)``. ``options`` holds their options, ``shared`` what they
share: input tables read through the register's declarations, and HiGHS. Figures are
drawn in ``symbionet.present.targeting_figures``.
"""
