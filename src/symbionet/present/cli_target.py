"""``symbionet target``: heat and water integration targets from CSV files or a park."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from symbionet.errors import Problem
from symbionet.present.output import (
    CsvOption,
    ForceFlag,
    JsonFlag,
    Output,
    XlsxOption,
    console,
    err_console,
    printable,
)
from symbionet.targeting.options import DT_MIN_K, HeatOptions, SiteOptions, WaterOptions

if TYPE_CHECKING:
    import pandas as pd

    from symbionet.targeting.heat import HeatTargets
    from symbionet.targeting.site import HeatSharing, WaterSharing
    from symbionet.targeting.water import WaterTargets

target_app = typer.Typer(
    help="Integration targets: least utility or freshwater, the pinch, what a park could share.",
    no_args_is_help=True,
)

UNITS = {
    "_mwh_per_year": "MWh/yr",
    "_kg_per_h": "kg/h",
    "_t_per_h": "t/h",
    "_kw": "kW",
    "_ppm": "ppm",
    "_c": "°C",
    "_k": "K",
}
"""Units of the targets' columns, by the end of their names."""


class Method(StrEnum):
    """How the targets are computed: the pinch algorithm or the linear program."""

    cascade = "cascade"
    lp = "lp"


HEAT_METHOD, WATER_METHOD = Method(HeatOptions.method), Method(WaterOptions.method)
PlotFile = Annotated[
    Path | None, typer.Option("--plot", help="Write the curves to this self-contained HTML file.")
]
MethodOption = Annotated[
    Method, typer.Option("--method", help="cascade (pinch algorithm) or lp (linear program).")
]
DtMin = Annotated[
    float,
    typer.Option(
        "--dt-min",
        help=f"Minimum approach temperature (K) between hot and cold streams; default "
        f"{DT_MIN_K:g} K, a common first value for process heat exchangers with liquids.",
    ),
]
FreshwaterPpm = Annotated[
    float, typer.Option("--freshwater-ppm", help="Contaminant concentration of freshwater (ppm).")
]


def _warn(table: pd.DataFrame) -> None:
    """The warnings found reading an input table (columns not used), on stderr."""
    warnings: list[Problem] = table.attrs.get("warnings", [])
    for problem in warnings:
        err_console.print(printable(str(problem)), markup=False, highlight=False)


def header(name: str) -> str:
    """A column name as a header with its unit: ``hot_utility_kw`` -> ``hot utility (kW)``."""
    for end, unit in UNITS.items():
        if name.endswith(end):
            return f"{name.removesuffix(end).replace('_', ' ')} ({unit})"
    return name.replace("_", " ")


def _print_frame(frame: pd.DataFrame, title: str) -> None:
    from symbionet.present.tables import rich_table

    console.print(rich_table(frame.rename(columns=header), title, index=False))


def _pair_table(title: str, rows: list[tuple[str, float | str | None, str]]) -> Table:
    """Figures one per row: what, value (numbers never in scientific notation), unit."""
    from symbionet.present.tables import number

    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("target")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for what, value, unit in rows:
        shown = number(value) if isinstance(value, float | int) else (value or "")
        table.add_row(what, shown, unit)
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
    dt_min: DtMin = HeatOptions.dt_min,
    method: MethodOption = HEAT_METHOD,
    json_output: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
    plot: PlotFile = None,
) -> None:
    """Minimum hot and cold utility, maximum heat recovery and the pinch."""
    from symbionet.present.tables import check_export
    from symbionet.present.targeting_figures import (
        composite_curves_figure,
        grand_composite_figure,
        write_html,
    )
    from symbionet.targeting.heat import heat_targets, read_heat_streams

    out = Output(json_output, csv, xlsx, force)
    if plot is not None:
        check_export(plot, force, (".html",))
    table = read_heat_streams(streams)
    _warn(table)
    targets = heat_targets(table, HeatOptions(dt_min=dt_min, method=method.value))
    if plot is not None:
        figures = [composite_curves_figure(table, targets), grand_composite_figure(targets)]
        write_html(figures, plot, title=f"Heat targets: {streams.name}")
        err_console.print(f"Wrote {plot}", markup=False, highlight=False)
    out.send(
        targets.tables(),
        targets.to_dict,
        lambda: console.print(_heat_table(targets, printable(streams.name))),
    )


def _utility_needed(targets: HeatTargets) -> str:
    if targets.hot_utility_kw > 0:
        return "hot utility only"
    if targets.cold_utility_kw > 0:
        return "cold utility only"
    return "no utility needed"


def _heat_table(targets: HeatTargets, name: str) -> Table:
    rows: list[tuple[str, float | str | None, str]] = [
        ("minimum approach", targets.dt_min_k, "K"),
        ("minimum hot utility", targets.hot_utility_kw, "kW"),
        ("minimum cold utility", targets.cold_utility_kw, "kW"),
        ("maximum heat recovery", targets.heat_recovery_kw, "kW"),
    ]
    if targets.pinch_shifted_c is None:
        rows.append(("pinch", f"none: threshold problem, {_utility_needed(targets)}", ""))
    else:
        rows += [
            ("pinch, shifted", targets.pinch_shifted_c, "°C"),
            ("pinch, hot side", targets.pinch_hot_c, "°C"),
            ("pinch, cold side", targets.pinch_cold_c, "°C"),
        ]
    rows.append(("method", targets.method, ""))
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
    freshwater_ppm: FreshwaterPpm = WaterOptions.freshwater_ppm,
    method: MethodOption = WATER_METHOD,
    json_output: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
    plot: PlotFile = None,
) -> None:
    """Minimum freshwater and wastewater, the pinch and a reuse network that reaches them."""
    from symbionet.present.tables import check_export
    from symbionet.present.targeting_figures import water_figure, write_html
    from symbionet.targeting.water import read_water_table, water_targets

    out = Output(json_output, csv, xlsx, force)
    if plot is not None:
        check_export(plot, force, (".html",))
    table = read_water_table(data)
    _warn(table)
    targets = water_targets(table, WaterOptions(freshwater_ppm, method.value))
    if plot is not None:
        write_html([water_figure(table, targets)], plot, title=f"Water targets: {data.name}")
        err_console.print(f"Wrote {plot}", markup=False, highlight=False)

    def show() -> None:
        console.print(_water_table(targets, printable(data.name)))
        _print_frame(targets.network, "Reuse network")

    out.send(targets.tables(), targets.to_dict, show)


def _water_table(targets: WaterTargets, name: str) -> Table:
    rows: list[tuple[str, float | str | None, str]] = [
        ("form", targets.form, ""),
        ("freshwater concentration", targets.freshwater_ppm, "ppm"),
        ("minimum freshwater", targets.freshwater_t_per_h, "t/h"),
        ("minimum wastewater", targets.wastewater_t_per_h, "t/h"),
        ("pinch", "none" if targets.pinch_ppm is None else targets.pinch_ppm, "ppm"),
        ("optimality", targets.optimality, ""),
        ("method", targets.method, ""),
    ]
    if len(targets.contaminants) > 1:
        rows.insert(1, ("contaminants", ", ".join(targets.contaminants), ""))
    return _pair_table(f"Water targets: {name}", rows)


@target_app.command("site")
def site(
    park: Annotated[Path, typer.Argument(help="Park folder, .xlsx workbook or .json file.")],
    dt_min: DtMin = SiteOptions.dt_min,
    freshwater_ppm: FreshwaterPpm = SiteOptions.freshwater_ppm,
    json_output: JsonFlag = False,
    csv: CsvOption = None,
    xlsx: XlsxOption = None,
    force: ForceFlag = False,
) -> None:
    """Heat and water the plants of a park could share, against each plant on its own."""
    from symbionet.register.park import load_park
    from symbionet.targeting.site import targets

    out = Output(json_output, csv, xlsx, force)
    found = targets(load_park(park), SiteOptions(dt_min, freshwater_ppm))

    def show() -> None:
        if found.heat is None:
            console.print("Heat: no heat stream (in MWh or a heat carrier) with a temperature.")
        else:
            console.print(_heat_sharing_table(found.heat, found.dt_min_k))
            if found.heat.typical_temperature:
                from symbionet.present.tables import number

                typical = ", ".join(
                    f"{printable(k)} {number(v)} °C"
                    for k, v in found.heat.typical_temperature.items()
                )
                console.print(
                    f"Typical temperature of the resource used (no temperature_c): {typical}",
                    markup=False,
                    highlight=False,
                )
            _print_frame(found.heat.sites, "Heat per plant on its own")
        if found.water is None:
            console.print("Water: no water stream with a ppm_<contaminant> value.")
        else:
            console.print(_water_sharing_table(found.water, found.freshwater_ppm))
            _print_frame(found.water.sites, "Water per plant on its own")

    out.send(found.tables(), found.to_dict, show)


def _heat_sharing_table(heat: HeatSharing, dt_min: float) -> Table:
    return _pair_table(
        "Heat shared through a loop",
        [
            ("minimum approach at each exchanger", dt_min, "K"),
            ("heat streams", heat.streams, ""),
            ("hot utility, plants on their own", heat.plants_hot_utility_kw, "kW"),
            ("hot utility, park", heat.park_hot_utility_kw, "kW"),
            ("cold utility, plants on their own", heat.plants_cold_utility_kw, "kW"),
            ("cold utility, park", heat.park_cold_utility_kw, "kW"),
            ("recoverable between plants", heat.interplant_recovery_kw, "kW"),
            ("per year", heat.interplant_recovery_mwh_per_year, "MWh/yr"),
        ],
    )


def _water_sharing_table(water: WaterSharing, freshwater_ppm: float) -> Table:
    return _pair_table(
        "Water reuse between plants",
        [
            ("freshwater concentration", freshwater_ppm, "ppm"),
            ("water streams", water.streams, ""),
            ("contaminants", ", ".join(water.contaminants), ""),
            ("freshwater, plants on their own", water.plants_freshwater_t_per_h, "t/h"),
            ("freshwater, park", water.park_freshwater_t_per_h, "t/h"),
            ("wastewater, plants on their own", water.plants_wastewater_t_per_h, "t/h"),
            ("wastewater, park", water.park_wastewater_t_per_h, "t/h"),
            ("reusable between plants", water.interplant_reuse_t_per_h, "t/h"),
        ],
    )
