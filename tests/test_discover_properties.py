"""Properties of discovery on random parks: amounts within both streams, symmetric
distances, looser limits never fewer candidates, the index equal to checking every pair."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbionet import discover
from symbionet.discovery.candidates import haversine_km
from symbionet.register.io import RawPark, RawTable
from symbionet.register.park import Park, build_park
from symbionet.register.schema import tables

RESOURCES = [
    ("hot_water", "MWh"),
    ("district_heat", "MWh"),
    ("steam_mp", "t"),
    ("steam_hp", "t"),
    ("treated_effluent", "m3"),
    ("cooling_water", "m3"),
    ("fgd_gypsum", "t"),
    ("natural_gypsum", "t"),
]
PROFILES = "period,summer,winter\n" + "".join(
    f"{m},{int(m in (5, 6, 7, 8))},{int(m in (11, 12, 1, 2, 3))}\n" for m in range(1, 13)
)
QUALITY = ["temperature_c", "pressure_bar", "purity", "ppm_cod"]
#: Temperatures a heat carrier can have (others take any drawn temperature).
TEMPERATURES = {
    "hot_water": (30, 200),
    "district_heat": (30, 150),
    "steam_mp": (150, 350),
    "steam_hp": (200, 650),
}


def park_from(files: dict[str, str]) -> Park:
    """A park built from CSV texts in memory."""
    raw = {}
    for name, content in files.items():
        frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
        raw[name] = RawTable(name, tables()[name].file, frame, list(range(2, len(frame) + 2)))
    return build_park(RawPark("memory", {"name": "random"}, "park.yaml", raw))


def optional(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.just(""), values.map(lambda v: f"{v:g}"))


streams = st.lists(
    st.tuples(
        st.sampled_from(["supply", "demand"]),
        st.sampled_from(RESOURCES),
        st.floats(1, 1e5),
        st.integers(0, 2),  # actor
        st.one_of(st.sampled_from([55.0, 55.1]), st.floats(55.0, 55.2)),  # shared sites tie
        st.one_of(st.sampled_from([11.0, 11.1]), st.floats(11.0, 11.3)),
        st.booleans(),  # port
        optional(st.floats(20, 200)),
        optional(st.floats(1, 40)),
        optional(st.floats(0.8, 1.0)),
        optional(st.floats(0, 100)),
        st.sampled_from(["", "summer", "winter"]),
    ),
    min_size=4,
    max_size=16,
)


def fitting(resource: str, temperature: str) -> str:
    """A drawn temperature moved into the resource's range."""
    low, high = TEMPERATURES.get(resource, (-273, 1e4))
    return f"{min(max(float(temperature), low), high):g}" if temperature else ""


def random_park(rows: list[tuple]) -> Park:
    sites = "id,actor,lat,lon,port\n" + "".join(
        f"x{i},a{r[3]},{r[4]},{r[5]},{str(r[6]).lower()}\n" for i, r in enumerate(rows)
    )
    body = "".join(
        f"s{i},x{i},{r[0]},{r[1][0]},{r[2]:g},{r[1][1]},{fitting(r[1][0], r[7])},"
        f"{','.join(r[8:11])},{r[11]}\n"
        for i, r in enumerate(rows)
    )
    return park_from(
        {
            "actors": "id,name\na0,A\na1,B\na2,C\n",
            "sites": sites,
            "streams": "id,site,direction,resource,quantity,unit,"
            + ",".join(QUALITY)
            + ",profile\n"
            + body,
            "profiles": PROFILES,
        }
    )


def candidates(table: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(table["supply"], table["demand"], strict=True))


FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(streams, st.integers(1, 3))
def test_amounts_stay_within_both_streams_and_the_index_finds_every_pair(
    rows: list[tuple], per_demand: int
) -> None:
    park = random_park(rows)
    table = discover(park, internal=True, per_demand=per_demand).candidates
    amounts = park.streams["annual_quantity"]
    assert (table["quantity"].to_numpy() <= amounts[table["supply"]].to_numpy() * (1 + 1e-9)).all()
    assert (table["replaced"].to_numpy() <= amounts[table["demand"]].to_numpy() * (1 + 1e-9)).all()
    assert (table["quantity"] > 0).all()
    assert (table["demand"].value_counts() <= per_demand).all()
    every = discover(park, internal=True, per_demand=per_demand, method="all_pairs").candidates
    assert candidates(table) == candidates(every)


@FAST
@given(streams)
def test_looser_quality_limits_never_give_fewer_candidates(rows: list[tuple]) -> None:
    park = random_park(rows)
    streams_ = park.streams.copy()
    demand = streams_["direction"] == "demand"
    streams_.loc[demand, QUALITY] = np.nan
    loose = Park(park.meta, {**park.frames, "streams": streams_}, park.catalogue)
    strict = discover(park, internal=True, per_demand=100).candidates
    assert candidates(strict) <= candidates(
        discover(loose, internal=True, per_demand=100).candidates
    )


@given(
    st.lists(st.floats(-90, 90), min_size=2, max_size=2),
    st.lists(st.floats(-180, 180), min_size=2, max_size=2),
)
def test_distance_is_symmetric_and_bounded(lat: list[float], lon: list[float]) -> None:
    there = haversine_km(lat[0], lon[0], lat[1], lon[1])
    back = haversine_km(lat[1], lon[1], lat[0], lon[0])
    assert there == back
    assert 0 <= there <= np.pi * 6371.0088 + 1e-6
    assert haversine_km(lat[0], lon[0], lat[0], lon[0]) == 0
