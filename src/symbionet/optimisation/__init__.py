"""Design step: which exchanges, pipes and shared plants to build, and how to run them.

``symbionet.design(park)`` (in ``solve``) solves one optimisation over all resources
(water with contaminant limits, heat and steam by temperature, electricity, gases,
materials), conversion technologies and storage, over a year of periods, for the least
cost, CO2e or freshwater, as ``DesignOptions`` (in ``options``) say.
``symbionet.pareto(park)`` (in ``tradeoff``) traces the trade-off between two of them,
and ``baseline_cost(park, actors)`` gives the cost with no exchange at all, so that a
coalition's value is one subtraction. The model (``network``, ``model``) is written in
linopy and solved by HiGHS; ``docs/design.md`` gives its equations.
"""
