"""Discovery split by region equals discovery in one process: the same candidates, values,
ranks, scores and explanations, for any number of regions and halo, across borders, for
far-reaching demands, and on a Dask cluster of worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbionet import discover
from symbionet.discovery.candidates import unit_vectors
from symbionet.discovery.engine import DiscoverOptions, DiscoveryResult
from symbionet.discovery.generate import generate_park
from symbionet.discovery.regions import discover_regions, kd_cells
from symbionet.errors import SymbionetError
from symbionet.executors import InProcess
from symbionet.register.park import Park
from tests.test_discover_properties import park_from


def same(regional: DiscoveryResult, whole: DiscoveryResult) -> None:
    """The whole result alike: every column, dtype, category and value, to the last bit."""
    pd.testing.assert_frame_equal(regional.candidates, whole.candidates, check_exact=True)
    assert regional.found == whole.found


class Steps:
    """Progress reports: the most tasks of each step."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    def __call__(self, message: str, done: float, total: float | None = None) -> None:
        self.totals[message] = max(self.totals.get(message, 0), total or 0)


@pytest.fixture(scope="module")
def park() -> Park:
    return generate_park(3_000, seed=7)


@pytest.fixture(scope="module")
def whole(park: Park) -> DiscoveryResult:
    return discover(park)


@pytest.mark.parametrize("regions", [2, 3, 7])
def test_regions_find_what_one_process_finds(
    park: Park, whole: DiscoveryResult, regions: int
) -> None:
    steps = Steps()
    same(discover(park, regions=regions, executor=InProcess(), progress=steps), whole)
    assert steps.totals["searching regions"] == regions


def test_a_narrow_halo_sends_more_demands_to_the_second_pass_with_the_same_answer(
    park: Park, whole: DiscoveryResult
) -> None:
    wide, narrow = Steps(), Steps()
    options = DiscoverOptions()
    same(discover_regions(park, options, 4, executor=InProcess(), progress=wide), whole)
    same(
        discover_regions(park, options, 4, executor=InProcess(), progress=narrow, halo_km=0.0),
        whole,
    )
    assert narrow.totals["searching across regions"] > wide.totals["searching across regions"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(20, 200),
    st.integers(0, 10_000),
    st.integers(1, 7),
    st.sampled_from([None, 0.0, 0.5, 3.0]),
    st.sampled_from(
        [
            {},
            {"per_demand": 1},
            {"top": 7},
            {"internal": True, "per_demand": 3},
            {"max_km": 3.0, "resource": "water"},
            {"blend": True, "method": "all_pairs"},
        ]
    ),
)
def test_any_split_of_any_park_gives_the_one_process_answer(
    sites: int, seed: int, regions: int, halo_km: float | None, chosen: dict[str, Any]
) -> None:
    park = generate_park(sites, seed)
    options = DiscoverOptions(**chosen)
    regional = discover_regions(park, options, regions, executor=InProcess(), halo_km=halo_km)
    same(regional, discover(park, options))


def line_park(streams: list[tuple[str, str, str, float]]) -> Park:
    """Sites on the parallel 55° N, one actor each, with (direction, resource, unit,
    longitude) streams of 1,000 units a year."""
    return park_from(
        {
            "actors": "id,name\n" + "".join(f"a{i},Actor {i}\n" for i in range(len(streams))),
            "sites": "id,actor,lat,lon\n"
            + "".join(f"x{i},a{i},55.0,{row[3]}\n" for i, row in enumerate(streams)),
            "streams": "id,site,direction,resource,quantity,unit\n"
            + "".join(f"s{i},x{i},{d},{r},1000,{u}\n" for i, (d, r, u, _) in enumerate(streams)),
        }
    )


def cells_of(park: Park, regions: int) -> pd.Series:
    """The region of each stream, as the regional search splits them."""
    sites = park.sites.loc[park.streams["site"]]
    points = unit_vectors(sites["lat"].to_numpy(float), sites["lon"].to_numpy(float))
    return pd.Series(kd_cells(points, regions)[2], index=park.streams.index)


def test_the_best_supply_just_across_a_border_is_found_once() -> None:
    filler = ("demand", "natural_gypsum", "t")
    park = line_park(
        [
            ("supply", "cooling_water", "m3", 10.000),  # s0: 3.2 km west, same region
            (*filler, 10.010),
            (*filler, 10.020),
            ("demand", "cooling_water", "m3", 10.049),  # s3: the demand by the border
            ("supply", "cooling_water", "m3", 10.052),  # s4: 0.19 km east, across it
            (*filler, 10.080),
            (*filler, 10.090),
            (*filler, 10.100),
        ]
    )
    cells = cells_of(park, 2)
    assert cells["s3"] == cells["s0"] != cells["s4"]
    whole = discover(park, per_demand=1)
    assert list(whole.candidates["supply"]) == ["s4"]
    for halo_km, second in ((1.0, 0), (0.0, 1)):  # through the halo, or searched again
        steps = Steps()
        options = DiscoverOptions(per_demand=1)
        regional = discover_regions(
            park, options, 2, executor=InProcess(), progress=steps, halo_km=halo_km
        )
        same(regional, whole)
        assert steps.totals["searching across regions"] == second


def test_a_demand_whose_supplies_are_far_away_is_searched_again_and_found_once() -> None:
    filler = ("demand", "cooling_water", "m3")
    park = line_park(
        [
            ("demand", "natural_gypsum", "t", 10.0),  # s0: its supplies lie 130-190 km east
            (*filler, 10.01),
            (*filler, 10.02),
            (*filler, 10.03),
            ("supply", "fgd_gypsum", "t", 12.0),
            ("supply", "natural_gypsum", "t", 13.0),
            (*filler, 12.01),
            (*filler, 12.02),
        ]
    )
    cells = cells_of(park, 2)
    assert cells["s0"] != cells["s4"] == cells["s5"]
    whole = discover(park)
    assert sorted(whole.candidates["supply"]) == ["s4", "s5"]
    assert (whole.candidates["mode"] == "truck").all()
    steps = Steps()
    regional = discover_regions(park, DiscoverOptions(), 2, executor=InProcess(), progress=steps)
    same(regional, whole)
    assert steps.totals["searching across regions"] == 1


def test_a_park_without_demands_or_regions_to_spare() -> None:
    park = line_park([("supply", "fgd_gypsum", "t", 10.0)])
    same(discover(park, regions=3, executor=InProcess()), discover(park))
    with pytest.raises(SymbionetError, match="regions"):
        discover(park, regions=0)


def test_cells_hold_about_as_many_points_each_and_contain_them() -> None:
    points = np.random.default_rng(3).normal(size=(1_000, 3))
    lower, upper, cell = kd_cells(points, 7)
    sizes = np.bincount(cell, minlength=7)
    assert sizes.min() >= 1_000 // 7 - 1 and sizes.max() <= 1_000 // 7 + 2
    assert ((points >= lower[cell]) & (points <= upper[cell])).all()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A client of a Dask cluster of two worker processes on the loopback."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as local,
        Client(local, set_as_default=False) as client,
    ):
        yield client


def test_regions_on_a_dask_cluster_find_what_one_process_finds(
    cluster: Any, park: Park, whole: DiscoveryResult
) -> None:
    executed = cluster.run(lambda dask_worker: dask_worker.state.executed_count)
    same(discover(park, regions=5, executor=cluster.get_executor(pure=False)), whole)
    now = cluster.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(now) == 2
    assert sum(now.values()) - sum(executed.values()) >= 5  # the regions ran on the workers
