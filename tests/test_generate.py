"""Synthetic national parks: valid, realistic in shape, reproducible; and the benchmark's
core at a tiny size."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from symbionet import load_park
from symbionet.discovery.generate import SECTORS, TOWNS, generate_park, generate_tables
from symbionet.present.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_a_generated_park_is_valid_and_shaped_like_danish_industry() -> None:
    park = generate_park(600, seed=3)
    assert len(park.sites) == len(park.actors) == 600
    per_site = len(park.streams) / 600
    assert 4 <= per_site <= 6
    assert park.sites["lat"].between(54.3, 57.9).all()
    assert park.sites["lon"].between(7.8, 13.2).all()
    assert set(park.actors["nace"]) <= set(SECTORS["nace"])
    assert park.actors["nace"].value_counts().index[0] in {"01.11", "41.20", "47.11"}
    assert 0 < park.sites["port"].mean() < 0.3
    # sites cluster: most lie within 20 km of a town centre
    near = pd.concat(
        [
            (park.sites["lat"] - town.lat).abs() * 111 + (park.sites["lon"] - town.lon).abs() * 63
            < 20
            for town in TOWNS.itertuples()
        ],
        axis=1,
    ).any(axis=1)
    assert near.mean() > 0.9
    assert park.streams["resource_class"].nunique() == 3
    assert park.streams["profile"].notna().any()


def test_the_same_seed_gives_the_same_park() -> None:
    first, again = generate_tables(200, seed=7), generate_tables(200, seed=7)
    for name, frame in first.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = generate_tables(200, seed=8)
    assert not first["sites"].equals(other["sites"])


def test_generate_writes_a_park_folder_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "national"
    result = CliRunner().invoke(
        app, ["generate", "--sites", "150", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "streams.csv").exists() and (out / "profiles.csv").exists()
    loaded = load_park(out)
    made = generate_park(150, seed=2)
    assert list(loaded.streams.index) == list(made.streams.index)
    assert (
        loaded.streams["annual_quantity"].round(6).equals(made.streams["annual_quantity"].round(6))
    )


def test_the_benchmark_core_runs_and_the_index_matches_the_naive_baseline() -> None:
    spec = importlib.util.spec_from_file_location(
        "bench", ROOT / "benchmarks" / "bench_discover.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    indexed = bench.measure(400)
    naive = bench.measure(400, method="all_pairs")
    assert indexed["candidates"] > 100
    assert indexed["pairs"] == naive["pairs"]
    assert indexed["seconds"] >= 0 and indexed["peak_mb"] > 0
    assert "cores" in bench.machine()
