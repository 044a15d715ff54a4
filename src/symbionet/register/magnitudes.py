"""Numbers of a park too large to compute with, found before any step computes."""

from __future__ import annotations

import pandas as pd

from symbionet.errors import Problem, SymbionetError
from symbionet.register.park import Park

# the largest magnitude of any number discovery and the optimiser take: HiGHS counts 1e20
# as infinite, and the penalty on unmet demand is a thousand times the largest cost per unit
LARGEST = 1e12
# the numbers of the park that the steps compute with, by table (quantity: the yearly
# amount)
INPUTS = {
    "streams": ("annual_quantity", "price", "temperature_c", "pressure_bar", "purity"),
    "exchanges": ("capex", "opex", "lifetime", "distance_km"),
    "technologies": (
        "efficiency",
        "ratio2",
        "efficiency2",
        "capacity",
        "capex",
        "capex_per_capacity",
        "opex_fixed",
        "opex_variable",
        "lifetime",
    ),
}


def beyond(values: pd.Series) -> pd.Series:
    """The values too large (or not finite) to compute with; missing ones are fine."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers[numbers.notna() & ~(numbers.abs() <= LARGEST)]


def check_magnitudes(park: Park) -> None:
    """Raise for any number of the park too large to compute with, naming its table, row
    and field: beyond 1e12 in magnitude (or infinite)."""
    problems = []
    for name, columns in INPUTS.items():
        table = park.table(name)
        stated = [c for c in table.columns if c in columns or c.startswith("ppm_")]
        for column in stated:
            field = "quantity" if column == "annual_quantity" else column
            problems += [
                Problem(
                    f"{name}.csv",
                    None,
                    field,
                    f"{row}: {value:g} is too large to compute with (at most {LARGEST:g})",
                )
                for row, value in beyond(table[column]).items()
            ]
    for key in ("co2_price", "discount_rate"):
        value = park.meta.get(key)
        if isinstance(value, int | float) and not abs(value) <= LARGEST:
            problems.append(Problem("park.yaml", None, key, f"{value:g} is too large"))
    if problems:
        raise SymbionetError(problems)


__all__ = ["INPUTS", "LARGEST", "beyond", "check_magnitudes"]
