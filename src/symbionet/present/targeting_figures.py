"""Figures of the targets: composite and grand composite curves, water composites, and
one offline HTML file that holds them."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from symbionet.register.write import write_text
from symbionet.targeting.heat import HeatTargets, composite_curves
from symbionet.targeting.water import WaterTargets, limiting_composites, source_sink_composites

COLOURS = {"hot": "firebrick", "cold": "royalblue"}


def composite_curves_figure(streams: pd.DataFrame, targets: HeatTargets) -> go.Figure:
    """Hot and cold composite curves; the cold curve starts at the minimum cold utility."""
    figure = go.Figure()
    for curve, points in composite_curves(streams, targets).groupby("curve", sort=False):
        figure.add_scatter(
            x=points.heat_kw,
            y=points.temperature_c,
            name=f"{curve} composite",
            line={"color": COLOURS[str(curve)]},
        )
    figure.update_layout(
        title=f"Composite curves (ΔTmin = {targets.dt_min_k:g} K)",
        xaxis_title="Heat flow (kW)",
        yaxis_title="Temperature (°C)",
    )
    return figure


def grand_composite_figure(targets: HeatTargets) -> go.Figure:
    """Grand composite curve: net heat flow against shifted temperature."""
    figure = go.Figure()
    figure.add_scatter(
        x=targets.cascade.heat_flow_kw,
        y=targets.cascade.shifted_temp_c,
        name="grand composite",
        line={"color": "darkorange"},
    )
    figure.update_layout(
        title="Grand composite curve",
        xaxis_title="Net heat flow (kW)",
        yaxis_title="Shifted temperature (°C)",
    )
    return figure


def water_figure(table: pd.DataFrame, targets: WaterTargets) -> go.Figure:
    """The limiting composite curve with the supply line (fixed load), or the sink and
    source composite curves (fixed flowrate)."""
    figure = go.Figure()
    if targets.form == "fixed load":
        curves, x, y = (
            limiting_composites(table, targets),
            "mass_load_kg_per_h",
            "concentration_ppm",
        )
        title, axes = "Limiting composite curve", ("Mass load (kg/h)", "Concentration (ppm)")
    else:
        curves, x, y = source_sink_composites(table, targets), "flow_t_per_h", "load_kg_per_h"
        title = "Source and sink composite curves"
        axes = ("Cumulative flow (t/h)", "Cumulative contaminant load (kg/h)")
    for curve, points in curves.groupby("curve", sort=False):
        supply = str(curve).startswith("water supply line")
        line = {"dash": "dash", "color": "grey"} if supply else None
        figure.add_scatter(x=points[x], y=points[y], name=str(curve), line=line)
    figure.update_layout(title=title, xaxis_title=axes[0], yaxis_title=axes[1])
    return figure


def write_html(figures: Sequence[go.Figure], path: str | Path, title: str) -> None:
    """Write figures to one self-contained HTML file (plotly.js inlined, nothing remote),
    whole or not at all."""
    parts = [
        figure.to_html(full_html=False, include_plotlyjs=(i == 0), include_mathjax=False)
        for i, figure in enumerate(figures)
    ]
    body = "\n".join(parts)
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title>'
    write_text(
        path, f"<!DOCTYPE html>\n<html><head>{head}</head>\n<body>\n{body}\n</body></html>\n"
    )


__all__ = ["composite_curves_figure", "grand_composite_figure", "water_figure", "write_html"]
