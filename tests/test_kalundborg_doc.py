"""docs/kalundborg.md is generated from the code: it matches what the code gives today."""

from __future__ import annotations

import pytest

from symbionet import load_park
from symbionet.assessment.accounting import impact
from symbionet.present.kalundborg import PAGE, co2_lines, grouped, markdown
from tests.conftest import EXAMPLES


def test_the_page_matches_the_code() -> None:
    assert PAGE.read_text(encoding="utf-8") == markdown(), (
        "docs/kalundborg.md is out of date: run python -m symbionet.present.kalundborg"
    )


def test_the_bridge_adds_up_to_the_park_totals() -> None:
    park = load_park(EXAMPLES / "kalundborg")
    result = impact(park)
    for kpi in ("co2e_t", "groundwater_m3", "materials_exchanged_t", "net_saving_eur"):
        lines = grouped(result, kpi)
        assert sum(line.value or 0.0 for line in lines) == pytest.approx(
            result.park.loc[kpi, "central"]
        )
    # biomethane displacing grid gas: 8 million Nm3 x 9.7 kWh x the gas factor
    grid = co2_lines(park, result)[0]
    gas = park.catalogue.emission_t("natural_gas")
    assert grid.value == pytest.approx(8_000_000 * 0.0097 * gas)
