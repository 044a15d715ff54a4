"""The park map: sites and exchanges over real land and water, drawn with no map tiles.

Land, lakes and coastline come from the GSHHG shorelines that ship in an installed package
(see ``geography``), so the map draws offline. Positions are in km from the box's centre
(a local equirectangular projection: east km = longitude difference x 111.32 x cos of the
centre's latitude, north km = latitude difference x 111.32), so the axes serve as a scale.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from symbionet.present.geography import (
    KM_PER_DEGREE,
    SOURCE,
    Box,
    box_around,
    geography,
    outlines,
)
from symbionet.present.report import CLASS_COLOURS
from symbionet.register.park import Park

LAND = "#efe6cf"
WATER = "#cfe6f5"
SHORE = "#6b7f8f"
OTHER = "#7f7f7f"
"""The colour of a resource whose class is not known."""
STYLES = {
    "operating": ("solid", 3.0, "operating exchange"),
    "planned": ("dashdot", 2.0, "registered, not yet operating"),
    "candidate": ("dash", 2.0, "candidate (discovery)"),
    "designed": ("dot", 3.0, "designed link"),
}
"""How each kind of link is drawn: line dash, width and the legend's words."""
PIPELINE = ("idea", "screening", "feasibility", "agreement")
PLOT_PX = 800
"""The width in pixels of the map's plot area in a report, as labels are placed for it."""


class Projection:
    """Longitude and latitude to km east and north of a box's centre."""

    def __init__(self, box: Box) -> None:
        self.lat0 = (box.south + box.north) / 2
        self.lon0 = (box.west + box.east) / 2
        self.scale = math.cos(math.radians(self.lat0))

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = (np.asarray(lon, dtype=float) - self.lon0) * KM_PER_DEGREE * self.scale
        y = (np.asarray(lat, dtype=float) - self.lat0) * KM_PER_DEGREE
        return x, y


def _links(
    park: Park, candidates: pd.DataFrame | None, design: pd.DataFrame | None
) -> pd.DataFrame:
    """Every link to draw: style, class, the sites at either end and a label."""
    streams = park.streams
    site_of = streams["site"]
    class_of = streams["resource_class"]
    rows: list[tuple[str, str, str, str, str]] = []
    exchanges = park.exchanges
    drawn: set[tuple[str, str]] = set()
    for ex_id, row in exchanges.iterrows():
        status = row.get("status", "operating")
        if status == "operating":
            style = "operating"
        elif status in PIPELINE:
            style = "planned"
        else:
            continue
        supply, demand = row["supply"], row["demand"]
        if supply in site_of.index and demand in site_of.index:
            drawn.add((supply, demand))
            rows.append(
                (
                    style,
                    str(class_of[supply]),
                    site_of[supply],
                    site_of[demand],
                    f"{ex_id}: {supply} → {demand} ({status})",
                )
            )
    if candidates is not None and len(candidates):
        for rank, row in candidates.iterrows():
            supply, demand = row["supply"], row["demand"]
            known = supply in site_of.index and demand in site_of.index
            if known and (supply, demand) not in drawn:
                drawn.add((supply, demand))
                rows.append(
                    (
                        "candidate",
                        str(class_of[supply]),
                        site_of[supply],
                        site_of[demand],
                        f"candidate {rank}: {supply} → {demand}",
                    )
                )
    if design is not None and len(design):
        rows += _designed(park, design, drawn)
    return pd.DataFrame(rows, columns=["style", "class", "from_site", "to_site", "label"])


def _site(park: Park, node: str) -> str | None:
    """The site of a design's node: a stream, or a hub named ``site/resource``."""
    streams = park.streams
    if node in streams.index:
        return str(streams.at[node, "site"])
    site = node.split("/", 1)[0]
    return site if "/" in node and site in park.sites.index else None


def _designed(
    park: Park, design: pd.DataFrame, drawn: set[tuple[str, str]]
) -> list[tuple[str, str, str, str, str]]:
    """What a design builds between sites that the park does not already run."""
    chosen = design[design["built"].astype(bool)]
    chosen = chosen[~chosen["kind"].astype(str).str.startswith("technology")]
    resources = park.catalogue.resources
    rows = []
    for arc, row in chosen.iterrows():
        if row["kind"] == "exchange" and row["status"] == "operating":
            continue
        if (row["from"], row["to"]) in drawn:
            continue
        a, b = _site(park, str(row["from"])), _site(park, str(row["to"]))
        if a is None or b is None:
            continue
        entry = resources.get(str(row["resource"]))
        cls = entry.resource_class if entry is not None else "other"
        rows.append(("designed", str(cls), a, b, f"designed {arc}: {row['from']} → {row['to']}"))
    return rows


def park_map(
    park: Park,
    candidates: pd.DataFrame | None = None,
    design: pd.DataFrame | None = None,
) -> go.Figure:
    """Sites and exchanges over land and water: the park's operating exchanges as solid
    lines (those registered but not yet operating dash-dotted), ``candidates`` (a discovery's
    table, with supply and demand streams) dashed and a ``design``'s built table (its links
    that are new) dotted, each coloured by resource class; sites labelled with their actor.
    A candidate or designed link the park already has is drawn once, as the park's."""
    fig = go.Figure()
    sites = park.sites.join(
        park.actors[["name"]].rename(columns={"name": "actor_name"}), on="actor"
    )
    if not len(sites):
        fig.update_layout(title="Sites and exchanges: the park has no site")
        return fig
    links = _links(park, candidates, design)
    links = links[links["from_site"] != links["to_site"]]
    linked = sites.loc[sites.index.isin([*links["from_site"], *links["to_site"]])]
    frame = linked if len(linked) else sites
    box = box_around(frame["lat"].to_numpy(), frame["lon"].to_numpy())
    project = Projection(box)
    _background(fig, box, project)
    _draw_links(fig, sites, links, project, box)
    x, y = project(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    labels = list(sites["actor_name"].fillna(sites["actor"]))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers+text",
            marker={"size": 10, "color": "#222", "line": {"color": "white", "width": 1}},
            text=labels,
            textposition=_label_positions(x, y, labels, _width_km(box) / PLOT_PX),
            textfont={"size": 10},
            name="sites",
            hovertext=[
                f"{a}: {n} ({s}), {lat:.4f} N, {lon:.4f} E"
                for a, n, s, lat, lon in zip(
                    sites["actor_name"],
                    sites["name"].fillna(""),
                    sites.index,
                    sites["lat"],
                    sites["lon"],
                    strict=True,
                )
            ],
            hoverinfo="text",
        )
    )
    left, bottom = project(np.array([box.west]), np.array([box.south]))
    right, top = project(np.array([box.east]), np.array([box.north]))
    fig.update_xaxes(
        title=f"km east of {project.lon0:.3f} E",
        range=[float(left[0]), float(right[0])],
        constrain="domain",
        showgrid=False,
        zeroline=False,
    )
    fig.update_yaxes(
        title=f"km north of {project.lat0:.3f} N",
        range=[float(bottom[0]), float(top[0])],
        scaleanchor="x",
        scaleratio=1,
        constrain="domain",
        showgrid=False,
        zeroline=False,
    )
    fig.update_layout(
        title="Sites and exchanges",
        height=620,
        plot_bgcolor=WATER,
        legend={"bgcolor": "rgba(255,255,255,0.85)"},
        annotations=[
            {
                "text": "Shorelines: " + SOURCE.replace(", from ", ",<br>from ", 1),
                "xref": "x domain",
                "yref": "y domain",
                "x": 0,
                "y": 0,
                "xanchor": "left",
                "yanchor": "bottom",
                "align": "left",
                "showarrow": False,
                "font": {"size": 9, "color": "#444"},
                "bgcolor": "rgba(255,255,255,0.7)",
            }
        ],
    )
    return fig


def _width_km(box: Box) -> float:
    middle = math.radians((box.south + box.north) / 2)
    return (box.east - box.west) * KM_PER_DEGREE * math.cos(middle)


def _label_positions(
    x: np.ndarray, y: np.ndarray, labels: list[str], km_per_px: float
) -> list[str]:
    """Where each site's label goes (above, below, right or left of its marker): the place
    that overlaps least the labels placed so far and the markers, sites taken north to south.
    Sizes are estimated at 5.5 px a character and 12 px a line, 7 px from the marker."""
    boxes: list[tuple[float, float, float, float]] = [
        (a - 5 * km_per_px, b - 5 * km_per_px, a + 5 * km_per_px, b + 5 * km_per_px)
        for a, b in zip(x, y, strict=True)
    ]
    chosen = ["top center"] * len(labels)
    gap, height = 7 * km_per_px, 12 * km_per_px
    for i in sorted(range(len(labels)), key=lambda i: -y[i]):
        a, b = float(x[i]), float(y[i])
        width = (5.5 * len(labels[i]) + 4) * km_per_px
        places = {
            "top center": (a - width / 2, b + gap, a + width / 2, b + gap + height),
            "bottom center": (a - width / 2, b - gap - height, a + width / 2, b - gap),
            "middle right": (a + gap, b - height / 2, a + gap + width, b + height / 2),
            "middle left": (a - gap - width, b - height / 2, a - gap, b + height / 2),
        }
        overlaps = {
            name: sum(_overlap(place, other) for j, other in enumerate(boxes) if j != i)
            for name, place in places.items()
        }
        best = min(places, key=lambda name: overlaps[name])
        chosen[i] = best
        boxes.append(places[best])
    return chosen


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(width, 0.0) * max(height, 0.0)


def _gaps(points: np.ndarray, project: Projection) -> tuple[list[float | None], ...]:
    """Projected x and y lists with None between parts (NaN rows in ``points``)."""
    x, y = project(points[:, 0], points[:, 1])
    return (
        [None if math.isnan(v) else float(v) for v in x],
        [None if math.isnan(v) else float(v) for v in y],
    )


def _background(fig: go.Figure, box: Box, project: Projection) -> None:
    """Sea over the whole box, then land, lakes and islands in lakes, then the coastline."""
    corners = np.array(
        [
            [box.west, box.south],
            [box.east, box.south],
            [box.east, box.north],
            [box.west, box.north],
            [box.west, box.south],
        ]
    )
    x, y = _gaps(corners, project)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            fill="toself",
            fillcolor=WATER,
            mode="lines",
            line={"width": 0},
            name="sea and lakes",
            legendgroup="water",
            hoverinfo="skip",
        )
    )
    found = geography(box)
    shown = {"land": False, "water": True}
    for level, polygons in found.layers:
        land = level % 2 == 1
        group = "land" if land else "water"
        x, y = _gaps(outlines(polygons), project)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                fill="toself",
                fillcolor=LAND if land else WATER,
                mode="lines",
                line={"width": 0},
                name="land" if land else "lakes",
                legendgroup=group,
                showlegend=not shown[group],
                hoverinfo="skip",
            )
        )
        shown[group] = True
    x, y = _gaps(outlines([found.coastline]), project)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"width": 1, "color": SHORE},
            name="coastline",
            legendgroup="land",
            showlegend=False,
            hoverinfo="skip",
        )
    )


def _draw_links(
    fig: go.Figure, sites: pd.DataFrame, links: pd.DataFrame, project: Projection, box: Box
) -> None:
    """One trace per style and resource class; classes side by side where links share a
    route (offset across it by 1/250 of the map's width)."""
    classes = [*CLASS_COLOURS, "other"]
    x0, _ = project(np.array([box.west]), np.array([box.south]))
    gap = 2 * abs(float(x0[0])) / 250
    for style, (dash, width, words) in STYLES.items():
        for cls in classes:
            chosen = links[(links["style"] == style) & (links["class"] == cls)]
            if not len(chosen):
                continue
            xs: list[float | None] = []
            ys: list[float | None] = []
            text: list[str | None] = []
            offset = (classes.index(cls) - 1) * gap
            for _, row in chosen.iterrows():
                a, b = sites.loc[row["from_site"]], sites.loc[row["to_site"]]
                x, y = project(np.array([a["lon"], b["lon"]]), np.array([a["lat"], b["lat"]]))
                dx, dy = x[1] - x[0], y[1] - y[0]
                length = math.hypot(dx, dy) or 1.0
                nx, ny = -dy / length * offset, dx / length * offset
                xs += [float(x[0] + nx), float(x[1] + nx), None]
                ys += [float(y[0] + ny), float(y[1] + ny), None]
                text += [row["label"], row["label"], None]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": CLASS_COLOURS.get(cls, OTHER), "width": width, "dash": dash},
                    name=f"{cls}: {words}",
                    legendgroup=style,
                    meta=style,
                    hovertext=text,
                    hoverinfo="text",
                )
            )
