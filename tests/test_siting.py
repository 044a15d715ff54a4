"""Siting entrants on free plots: a case worked out by hand, contiguity, zoning, nothing
that fits, bad input, and the MILP against brute force on small random cases."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbionet import load_park, site
from symbionet.errors import SymbionetError
from symbionet.siting.land import connected_groups
from tests.fuzzing import invoke

EARTH_KM = 6371.0088
LAT, LON = 55.0, 11.0
# truck defaults of transport.yaml: 3 EUR/t handling, 0.10 EUR/t·km over the road, taken
# as 1.3 times the straight line
HANDLING, PER_TKM, CIRCUITY = 3.0, 0.10, 1.3
# the park's discount rate 5 %, land over 30 years: 0.05 / (1 - 1.05^-30)
ANNUITY = 0.05 / (1 - 1.05**-30)


def north(km: float, origin: float = LAT) -> float:
    """The latitude ``km`` north of the supply (along a meridian: distance = R × Δφ)."""
    return origin + math.degrees(km / EARTH_KM)


def write_case(
    folder: Path,
    plots: list[tuple[str, float, float, float, str, str, bool]],
    supply: float,
    origin: float = LAT,
    direction: str = "supply",
    price: float = 0.0,
) -> Path:
    """A park with one fly-ash stream at latitude ``origin`` (a supply free to take by
    default, or a demand paying ``price``) and the given plots: (id, km north of the
    stream, area m2, price EUR/m2, zoning, adjacent, port)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "park.yaml": "name: Hand park\ncurrency: EUR\nco2_price: 0\ndiscount_rate: 0.05\n",
        "actors.csv": "id,name\nashco,Ash Co\n",
        "sites.csv": f"id,actor,name,lat,lon\nyard,ashco,Ash yard,{origin},{LON}\n",
        "streams.csv": "id,site,direction,resource,quantity,unit,fate,price\n"
        f"ash,yard,{direction},fly_ash,{supply},t/yr,"
        f"{'landfill' if direction == 'supply' else ''},{price}\n",
        "plots.csv": "id,lat,lon,area_m2,zoning,price,adjacent,port\n"
        + "".join(
            f"{p},{north(km, origin):.9f},{LON},{a},{z},{c},{adj},{str(port).lower()}\n"
            for p, km, a, c, z, adj, port in plots
        ),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def entrant(ident: str, area: float, zoning: str, tonnes: float, price: float) -> dict:
    """An entrant that buys fly ash at ``price`` EUR/t today."""
    stream = {"resource": "fly_ash", "direction": "demand", "quantity": tonnes}
    return {
        "id": ident,
        "area_m2": area,
        "zoning": zoning,
        "streams": [{**stream, "unit": "t/yr", "price": price}],
    }


HAND_PLOTS = [
    ("P1", 1.0, 10_000, 20.0, "industry", "P2", False),
    ("P2", 2.0, 10_000, 20.0, "industry", "P1", False),
    ("P3", 1.5, 12_000, 10.0, "office", "", False),
    ("P4", 20.0, 10_000, 5.0, "industry", "", False),
]
HAND_ENTRANTS = {
    "entrants": [
        entrant("big", 15_000, "industry", 800, 100.0),
        entrant("small", 8_000, "industry", 600, 80.0),
    ]
}


def per_tonne(price: float, km: float) -> float:
    """What a tonne of ash is worth to a buyer paying ``price``, trucked ``km``."""
    return price - HANDLING - PER_TKM * CIRCUITY * km


def test_hand_case(tmp_path: Path) -> None:
    """Two entrants, four plots: 'big' needs 15,000 m2 and can only have the adjacent
    P1+P2; P3 is close and cheap but zoned for offices; both want the same 1,000 t of ash.

    Worked by hand: big on P1+P2 buys from P1 (1 km): 100 − 3 − 0.13 = 96.87 EUR/t;
    small can only go to P1, P2 (taken by big) or P4 (20 km): 80 − 3 − 2.6 = 74.4 EUR/t.
    Ash goes first to big (800 t), 200 t are left for small.
    Land: P1+P2 20,000 m2 × 20 EUR = 400,000 EUR × 0.0650514 = 26,020.57 EUR/yr;
    P4 10,000 × 5 = 50,000 × 0.0650514 = 3,252.57 EUR/yr.
    big: 800 × 96.87 − 26,020.57 = 51,475.43; small: 200 × 74.4 − 3,252.57 = 11,627.43.
    Total 63,102.86 EUR/yr. The other assignments are worth less: small alone on P1 with
    all 600 t, 600 × 76.87 − 13,010.29 = 33,111.71; big alone 51,475.43; small alone on
    P4 600 × 74.4 − 3,252.57 = 41,387.43 (so big with small on P4 wins).
    """
    park = load_park(write_case(tmp_path / "park", HAND_PLOTS, 1000))
    result = site(park, HAND_ENTRANTS)
    assert result.ok
    placed = result.placements
    assert placed.loc["big", "plots"] == "P1+P2"
    assert placed.loc["small", "plots"] == "P4"
    big = 800 * per_tonne(100, 1.0) - 400_000 * ANNUITY
    small = 200 * per_tonne(80, 20.0) - 50_000 * ANNUITY
    assert big == pytest.approx(51_475.43, abs=0.01)
    assert small == pytest.approx(11_627.43, abs=0.01)
    assert placed.loc["big", "net_eur"] == pytest.approx(big, rel=1e-6)
    assert placed.loc["small", "net_eur"] == pytest.approx(small, rel=1e-6)
    assert placed.loc["big", "land_eur"] == pytest.approx(400_000 * ANNUITY, rel=1e-9)
    assert placed.loc["big", "connection_eur"] == pytest.approx(800 * 3.13, rel=1e-6)
    assert result.objective_eur == pytest.approx(63_102.86, abs=0.01)
    exchanges = result.exchanges.set_index("entrant")
    assert exchanges.loc["small", "quantity"] == pytest.approx(200.0)
    assert exchanges.loc["big", "quantity"] == pytest.approx(800.0)
    assert "800 t/yr of fly_ash from Ash Co (ash)" in placed.loc["big", "explanation"]
    # small's alternatives, each alone: P4 (600 t), then P1, P2; never the office plot
    runner_up = result.alternatives[result.alternatives["entrant"] == "small"]
    assert list(runner_up["plots"]) == ["P4", "P1", "P2"]
    assert runner_up["net_eur"].iloc[0] == pytest.approx(600 * 74.4 - 50_000 * ANNUITY, 1e-6)
    assert runner_up["net_eur"].iloc[1] == pytest.approx(
        600 * per_tonne(80, 1.0) - 200_000 * ANNUITY, rel=1e-6
    )
    assert "P3" not in set(result.alternatives["plots"])


def test_office_zoning_opens_the_plot(tmp_path: Path) -> None:
    """An entrant allowed only on offices can only have P3.

    300 t at 50 − 3 − 0.13 × 1.5 = 46.805 EUR/t = 14,041.5 EUR/yr, less 12,000 m2 × 10 EUR
    × 0.0650514 = 7,806.17 EUR/yr of land: 6,235.33 EUR/yr.
    """
    park = load_park(write_case(tmp_path / "park", HAND_PLOTS, 1000))
    result = site(park, {"entrants": [entrant("lab", 12_000, "office", 300, 50.0)]})
    assert result.placements.loc["lab", "plots"] == "P3"
    lab = 300 * per_tonne(50, 1.5) - 120_000 * ANNUITY
    assert lab == pytest.approx(6_235.33, abs=0.01)
    assert result.placements.loc["lab", "net_eur"] == pytest.approx(lab, rel=1e-6)


def test_two_suppliers_share_one_demand(tmp_path: Path) -> None:
    """Two like entrants for industry plots each offer 800 t of ash that costs them
    20 EUR/t to landfill; the park buys 1,000 t at 30 EUR/t. A tonne is worth 30 + 20 − 3 − 0.13 km EUR: 46.87 from
    P1 (1 km), 44.4 from P4 (20 km).

    One on P4 with 800 t: 800 × 44.4 − 3,252.57 = 32,267.43 EUR/yr. Adding the other on P1
    would take the 800 t (it is nearer) and leave 200 t to P4: 800 × 46.87 − 13,010.29 +
    200 × 44.4 − 3,252.57 = 30,113.14, less; on P1 alone 800 × 46.87 − 13,010.29 =
    24,485.71. So one entrant is placed, on the far, cheap plot.
    """
    park = load_park(write_case(tmp_path / "park", HAND_PLOTS, 1000, direction="demand", price=30))
    offer = {"resource": "fly_ash", "direction": "supply", "quantity": 800, "unit": "t/yr"}
    offer |= {"fate": "landfill", "price": 20}
    twins = [
        {"id": f"twin{k}", "area_m2": 8_000, "zoning": "industry", "streams": [offer]}
        for k in (1, 2)
    ]
    result = site(park, {"entrants": twins})
    best = 800 * (30 + 20 - HANDLING - PER_TKM * CIRCUITY * 20) - 50_000 * ANNUITY
    assert best == pytest.approx(32_267.43, abs=0.01)
    assert result.objective_eur == pytest.approx(best, rel=1e-6)
    assert sorted(result.placements["plots"].fillna("-")) == ["-", "P4"]
    assert result.exchanges["quantity"].tolist() == pytest.approx([800.0])
    assert result.exchanges["direction"].tolist() == ["supply"]


def test_an_entrant_named_like_a_park_actor_still_trades_with_it(tmp_path: Path) -> None:
    """The lab of test_office_zoning_opens_the_plot, with the id of the park's ash company."""
    park = load_park(write_case(tmp_path / "park", HAND_PLOTS, 1000))
    result = site(park, {"entrants": [entrant("ashco", 12_000, "office", 300, 50.0)]})
    lab = 300 * per_tonne(50, 1.5) - 120_000 * ANNUITY
    assert result.placements.loc["ashco", "net_eur"] == pytest.approx(lab, rel=1e-6)


def test_plots_that_are_not_adjacent_are_never_taken_together(tmp_path: Path) -> None:
    """Without the P1–P2 border no group is large enough for big: it is not placed, and
    small takes the best single plot with all the ash (P4, as worked by hand above)."""
    plots = [(p, km, a, c, z, "", port) for p, km, a, c, z, _, port in HAND_PLOTS]
    park = load_park(write_case(tmp_path / "park", plots, 1000))
    result = site(park, HAND_ENTRANTS)
    assert pd.isna(result.placements.loc["big", "plots"])
    assert "no plot or connected group" in result.placements.loc["big", "explanation"]
    assert result.placements.loc["small", "plots"] == "P4"
    assert result.placements.loc["small", "net_eur"] == pytest.approx(
        600 * 74.4 - 50_000 * ANNUITY, rel=1e-6
    )
    assert not result.alternatives["plots"].str.contains("+", regex=False).any()


def test_nothing_fits_or_pays(tmp_path: Path) -> None:
    """An entrant larger than any group is told so; one whose exchanges cannot pay for its
    land is told its best net worth; neither is placed."""
    park = load_park(write_case(tmp_path / "park", HAND_PLOTS, 1000))
    huge = entrant("huge", 100_000, "industry", 800, 100.0)
    poor = entrant("poor", 8_000, "industry", 10, 10.0)
    lonely = entrant("lonely", 8_000, "industry", 10, 10.0)
    lonely["streams"][0]["direction"] = "supply"  # the park wants no fly ash
    bare = {"id": "bare", "area_m2": 8_000}  # no streams at all
    result = site(park, {"entrants": [huge, poor, lonely, bare]})
    assert result.ok
    assert result.placements["plots"].isna().all()
    assert "has 100,000 m2" in result.placements.loc["huge", "explanation"]
    # best alone: P4, 10 t × (10 − 3 − 2.6) − 3,252.57 = −3,208.57 EUR/yr
    best = 10 * per_tonne(10, 20.0) - 50_000 * ANNUITY
    assert f"best net {best:,.0f} EUR/yr" in result.placements.loc["poor", "explanation"]
    assert "finds a partner" in result.placements.loc["lonely", "explanation"]
    assert "finds a partner" in result.placements.loc["bare", "explanation"]
    assert result.objective_eur == 0.0


def test_groups_are_the_connected_subsets() -> None:
    """On a path 0–1–2–3 the connected groups of up to three plots are the runs."""
    groups = connected_groups(4, np.array([[0, 1], [1, 2], [2, 3]]), 3)
    found = {tuple(row) for size in groups for row in size.tolist()}
    assert found == {(0,), (1,), (2,), (3,), (0, 1), (1, 2), (2, 3), (0, 1, 2), (1, 2, 3)}


# --- bad input ---------------------------------------------------------------------------


def write_entrants(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """entrants:
  - id: big
    area_m2: 15000
    zoning: industry
    streams:
      - {resource: fly_ash, direction: demand, quantity: 800, unit: t/yr, price: 100}
"""


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (GOOD.replace("fly_ash", "fly ashh"), "entrants.yaml:6:resource", "did you mean fly_ash"),
        (GOOD.replace("    area_m2: 15000\n", ""), "entrants.yaml:2:area_m2", "value required"),
        (GOOD.replace("industry", "heavy"), "entrants.yaml:2:zoning", "zoned 'heavy'"),
        (GOOD.replace("t/yr", "MWh/yr"), "entrants.yaml:6:unit", "fly_ash is measured in t"),
        (GOOD.replace("area_m2: 15000", "area_m2: -3"), "entrants.yaml:2:area_m2", "above 0"),
        (GOOD + "    colour: red\n", "entrants.yaml:2:colour", "unknown field"),
        ("entrants: [", "entrants.yaml:1", "not valid YAML"),
    ],
)
def test_bad_entrants(tmp_path: Path, text: str, where: str, message: str) -> None:
    park = load_park(write_case(tmp_path / "park", HAND_PLOTS, 1000))
    path = write_entrants(tmp_path / "entrants.yaml", text)
    with pytest.raises(SymbionetError) as error:
        site(park, path)
    assert any(p.location == where and message in p.message for p in error.value.problems), (
        error.value.problems
    )


def test_unknown_adjacent_plot(tmp_path: Path) -> None:
    plots = [("P1", 1.0, 10_000, 20.0, "industry", "P22", False), *HAND_PLOTS[1:]]
    park = load_park(write_case(tmp_path / "park", plots, 1000))
    with pytest.raises(SymbionetError) as error:
        site(park, HAND_ENTRANTS)
    message = "plots.csv:2:adjacent: plot 'P1': no plot 'P22' (did you mean P2?)"
    assert str(error.value) == message


def test_command_line_refuses_bad_input_without_traceback(tmp_path: Path) -> None:
    park = write_case(tmp_path / "park", HAND_PLOTS, 1000)
    path = write_entrants(tmp_path / "entrants.yaml", GOOD.replace("fly_ash", "fly ashh"))
    code, output, trace = invoke(["site", str(park), "--entrants", str(path)])
    assert (code, trace) == (1, "")
    assert "entrants.yaml:6:resource: unknown resource 'fly ashh'" in output
    assert "Traceback" not in output


# --- against brute force -----------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> tuple[list, list, float, str]:
    n = draw(st.integers(2, 5))
    zones = ["a", "b"]
    edges = [e for e in itertools.combinations(range(n), 2) if draw(st.booleans())]
    adjacent = {i: {j for e in edges for j in e if i in e and j != i} for i in range(n)}
    plots = [
        (
            f"Q{i}",
            draw(st.integers(1, 40)),
            draw(st.sampled_from([4_000, 6_000, 10_000])),
            draw(st.sampled_from([0.0, 5.0, 20.0])),
            draw(st.sampled_from(zones)),
            ";".join(f"Q{j}" for j in sorted(adjacent[i])),
            False,
        )
        for i in range(n)
    ]
    people = [
        (
            f"e{k}",
            draw(st.sampled_from([3_000, 8_000, 12_000, 18_000])),
            draw(st.sampled_from(sorted({p[4] for p in plots}))),
            draw(st.sampled_from([200, 500, 900])),
            draw(st.sampled_from([20.0, 60.0, 120.0])),
        )
        for k in range(draw(st.integers(1, 3)))
    ]
    amount = float(draw(st.sampled_from([300, 1000, 3000])))
    return plots, people, amount, draw(st.sampled_from(["supply", "demand"]))


def brute_force(plots: list, people: list, supply: float) -> float:
    """The best total by trying every assignment of entrants to connected plot sets of up
    to three plots that they fill, the park's ash (or its demand for ash) shared out to
    the entrants it is worth most to first."""
    graph = nx.Graph()
    graph.add_nodes_from(p[0] for p in plots)
    for p in plots:
        graph.add_edges_from((p[0], q) for q in p[5].split(";") if q)
    info = {p[0]: p for p in plots}

    def area(group: tuple) -> float:
        return sum(info[q][2] for q in group)

    def connected(group: tuple) -> bool:
        return bool(group) and nx.is_connected(graph.subgraph(group))

    def fills(group: tuple, need: float) -> bool:
        smaller = [tuple(q for q in group if q != x) for x in group]
        return area(group) >= need and not any(
            connected(s) and area(s) >= need for s in smaller if s
        )

    choices = []
    for _, need, zone, _, _ in people:
        mine = [None] + [
            g
            for k in (1, 2, 3)
            for g in itertools.combinations(sorted(info), k)
            if connected(g) and fills(g, need) and all(info[q][4] == zone for q in g)
        ]
        choices.append(mine)
    best = 0.0
    for pick in itertools.product(*choices):
        used = [q for g in pick if g for q in g]
        if len(used) != len(set(used)):
            continue
        buyers = []
        total = 0.0
        for (_, _, _, tonnes, price), group in zip(people, pick, strict=True):
            if group is None:
                continue
            total -= sum(info[q][2] * info[q][3] for q in group) * ANNUITY
            buyers.append((max(per_tonne(price, info[q][1]) for q in group), tonnes))
        left = supply
        for worth, tonnes in sorted(buyers, reverse=True):
            taken = min(tonnes, left) if worth > 0 else 0.0
            total += taken * worth
            left -= taken
        best = max(best, total)
    return best


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_milp_equals_brute_force(tmp_path_factory: pytest.TempPathFactory, case: tuple) -> None:
    plots, people, supply, direction = case
    folder = tmp_path_factory.mktemp("park")
    entrants = {"entrants": [entrant(*person) for person in people]}
    if direction == "demand":
        # the park buys the ash at 10 EUR/t, and each entrant pays (price − 10) EUR/t to
        # landfill it today: a tonne is worth price − 3 − 0.13 km to it, as a buyer's
        write_case(folder, plots, supply, direction="demand", price=10)
        for record, person in zip(entrants["entrants"], people, strict=True):
            stream = record["streams"][0]
            stream |= {"direction": "supply", "fate": "landfill", "price": person[4] - 10}
    else:
        write_case(folder, plots, supply)
    result = site(load_park(folder), entrants)
    assert result.ok
    assert result.objective_eur == pytest.approx(brute_force(plots, people, supply), abs=1e-3)
    assert result.placements["net_eur"].sum() == pytest.approx(result.objective_eur, abs=1e-3)
