"""``symbionet target``: heat and water integration targets from CSV files or a park."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from symbionet.register.park import load_park
from symbionet.targeting import write_html
from symbionet.targeting.heat import (
    HeatTargets,
    composite_curves_figure,
    grand_composite_figure,
    heat_targets,
    read_heat_streams,
)
from symbionet.targeting.site import (
    HeatSharing,
    WaterSharing,
    heat_carriers,
    site_targets,
)
from symbionet.targeting.water import WaterTargets, read_water_table, water_figure
from symbionet.targeting.water import water_targets as compute_water_targets

target_app = typer.Typer(
    help="Integration targets: least utility or freshwater, the pinch, what a park could share.",
    no_args_is_help=True,
)
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)


class Method(StrEnum):
    """How the targets are computed: the pinch algorithm or the linear program."""

    cascade = "cascade"
    lp = "lp"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
PlotFile = Annotated[
    Path | None, typer.Option("--plot", help="Write the curves to this self-contained HTML file.")
]
MethodOption = Annotated[
    Method, typer.Option("--method", help="cascade (pinch algorithm) or lp (linear program).")
]


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, allow_nan=False))


def _kw(value: float) -> str:
    return f"{value:,.2f} kW"


def _pair_table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("target")
    table.add_column("value")
    for row in rows:
        table.add_row(*row)
    return table


@target_app.command("heat")
def heat(
    streams: Annotated[
        Path,
        typer.Argument(
            help="CSV: name, supply_temp_c, target_temp_c, cp_kw_per_k "
            "[, site, dt_min_contribution_k]."
        ),
    ],
    dt_min: Annotated[
        float, typer.Option("--dt-min", min=0, help="Minimum approach temperature (K).")
    ],
    method: MethodOption = Method.cascade,
    json_output: JsonFlag = False,
    plot: PlotFile = None,
) -> None:
    """Minimum hot and cold utility, maximum heat recovery and the pinch."""
    table = read_heat_streams(streams)
    targets = heat_targets(table, dt_min, "lp" if method is Method.lp else "cascade")
    if plot is not None:
        figures = [composite_curves_figure(table, targets), grand_composite_figure(targets)]
        write_html(figures, plot, title=f"Heat targets: {streams.name}")
        err_console.print(f"Wrote {plot}", markup=False, highlight=False)
    if json_output:
        _print_json(targets.to_dict())
    else:
        console.print(_heat_table(targets, streams.name))


def _utility_needed(targets: HeatTargets) -> str:
    if targets.hot_utility_kw > 0:
        return "hot utility only"
    if targets.cold_utility_kw > 0:
        return "cold utility only"
    return "no utility needed"


def _heat_table(targets: HeatTargets, name: str) -> Table:
    rows = [
        ("minimum approach", f"{targets.dt_min_k:g} K"),
        ("minimum hot utility", _kw(targets.hot_utility_kw)),
        ("minimum cold utility", _kw(targets.cold_utility_kw)),
        ("maximum heat recovery", _kw(targets.heat_recovery_kw)),
    ]
    if targets.pinch_shifted_c is None:
        rows.append(("pinch", f"none: threshold problem, {_utility_needed(targets)}"))
    else:
        rows += [
            ("pinch, shifted", f"{targets.pinch_shifted_c:g} °C"),
            ("pinch, hot side", f"{targets.pinch_hot_c:g} °C"),
            ("pinch, cold side", f"{targets.pinch_cold_c:g} °C"),
        ]
    rows.append(("method", targets.method))
    return _pair_table(f"Heat targets: {name}", rows)


@target_app.command("water")
def water(
    data: Annotated[
        Path,
        typer.Argument(
            help="CSV, fixed load (operation, contaminant, mass_load_kg_per_h, c_in_max_ppm, "
            "c_out_max_ppm) or fixed flowrate (stream_id, kind, flow_t_per_h, concentration_ppm)."
        ),
    ],
    freshwater_ppm: Annotated[
        float,
        typer.Option("--freshwater-ppm", min=0, help="Contaminant concentration of freshwater."),
    ] = 0.0,
    method: MethodOption = Method.cascade,
    json_output: JsonFlag = False,
    plot: PlotFile = None,
) -> None:
    """Minimum freshwater and wastewater, the pinch and a reuse network that reaches them."""
    table = read_water_table(data)
    targets = compute_water_targets(
        table, freshwater_ppm, "lp" if method is Method.lp else "cascade"
    )
    if plot is not None:
        write_html([water_figure(table, targets)], plot, title=f"Water targets: {data.name}")
        err_console.print(f"Wrote {plot}", markup=False, highlight=False)
    if json_output:
        _print_json(targets.to_dict())
        return
    console.print(_water_table(targets, data.name))
    console.print(_network_table(targets))


def _water_table(targets: WaterTargets, name: str) -> Table:
    pinch = "none" if targets.pinch_ppm is None else f"{targets.pinch_ppm:g} ppm"
    rows = [
        ("form", targets.form),
        ("freshwater concentration", f"{targets.freshwater_ppm:g} ppm"),
        ("minimum freshwater", f"{targets.freshwater_t_per_h:,.6g} t/h"),
        ("minimum wastewater", f"{targets.wastewater_t_per_h:,.6g} t/h"),
        ("pinch", pinch),
        ("optimality", targets.optimality),
        ("method", targets.method),
    ]
    if len(targets.contaminants) > 1:
        rows.insert(1, ("contaminants", ", ".join(targets.contaminants)))
    return _pair_table(f"Water targets: {name}", rows)


def _network_table(targets: WaterTargets) -> Table:
    table = Table(title="Reuse network", title_justify="left", header_style="bold")
    table.add_column("from")
    table.add_column("to")
    table.add_column("flow (t/h)", justify="right")
    for edge in targets.network:
        table.add_row(str(edge["from"]), str(edge["to"]), f"{edge['flow_t_per_h']:,.4g}")
    return table


@target_app.command("site")
def site(
    park: Annotated[Path, typer.Argument(help="Park folder, .xlsx workbook or .json file.")],
    dt_min: Annotated[
        float, typer.Option("--dt-min", min=0, help="Minimum approach temperature (K).")
    ] = 10.0,
    freshwater_ppm: Annotated[
        float,
        typer.Option("--freshwater-ppm", min=0, help="Contaminant concentration of freshwater."),
    ] = 0.0,
    json_output: JsonFlag = False,
) -> None:
    """Heat and water the plants of a park could share, against each plant on its own."""
    loaded = load_park(park)
    streams = loaded.streams.copy()
    streams.attrs["file"] = str(park)
    targets = site_targets(streams, dt_min, freshwater_ppm, heat_carriers(loaded.catalogue))
    if json_output:
        _print_json(targets.to_dict())
        return
    if targets.heat is None:
        console.print("Heat: no heat stream (in MWh or a heat carrier) with a temperature.")
    else:
        console.print(_heat_sharing_table(targets.heat, targets.dt_min_k))
        if targets.heat.typical_temperature:
            typical = ", ".join(
                f"{k} {v:g} °C" for k, v in targets.heat.typical_temperature.items()
            )
            console.print(f"Typical temperature of the resource used (no temperature_c): {typical}")
        console.print(_per_site_table(targets.heat.per_site, "Heat per plant on its own"))
    if targets.water is None:
        console.print("Water: no water stream with a ppm_<contaminant> value.")
    else:
        console.print(_water_sharing_table(targets.water, targets.freshwater_ppm))
        console.print(_per_site_table(targets.water.per_site, "Water per plant on its own"))


def _heat_sharing_table(heat: HeatSharing, dt_min: float) -> Table:
    return _pair_table(
        "Heat shared through a loop",
        [
            ("minimum approach", f"{dt_min:g} K at each exchanger"),
            ("heat streams", str(heat.streams)),
            ("hot utility, plants on their own", _kw(heat.plants_hot_utility_kw)),
            ("hot utility, park", _kw(heat.park_hot_utility_kw)),
            ("cold utility, plants on their own", _kw(heat.plants_cold_utility_kw)),
            ("cold utility, park", _kw(heat.park_cold_utility_kw)),
            ("recoverable between plants", _kw(heat.interplant_recovery_kw)),
            ("per year", f"{heat.interplant_recovery_mwh_per_year:,.0f} MWh/yr"),
        ],
    )


def _water_sharing_table(water: WaterSharing, freshwater_ppm: float) -> Table:
    return _pair_table(
        "Water reuse between plants",
        [
            ("freshwater concentration", f"{freshwater_ppm:g} ppm"),
            ("water streams", str(water.streams)),
            ("contaminants", ", ".join(water.contaminants)),
            ("freshwater, plants on their own", f"{water.plants_freshwater_t_per_h:,.4g} t/h"),
            ("freshwater, park", f"{water.park_freshwater_t_per_h:,.4g} t/h"),
            ("wastewater, plants on their own", f"{water.plants_wastewater_t_per_h:,.4g} t/h"),
            ("wastewater, park", f"{water.park_wastewater_t_per_h:,.4g} t/h"),
            ("reusable between plants", f"{water.interplant_reuse_t_per_h:,.4g} t/h"),
        ],
    )


def _per_site_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("site")
    for column in frame.columns[1:]:
        unit = column.replace("_t_per_h", " (t/h)").replace("_kw", " (kW)")
        table.add_column(unit.replace("_", " "), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(str(row[0]), *(f"{value:,.4g}" for value in row[1:]))
    return table
