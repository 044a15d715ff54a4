"""Candidate exchanges of a national dataset: within each park and between parks."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from symbionet.discovery.engine import DiscoverOptions, discover
from symbionet.national.dataset import National
from symbionet.options import options_from
from symbionet.progress import Progress, silent
from symbionet.results import Result


@dataclass
class NationalResult(Result):
    """The candidate exchanges between the parks of a national dataset, best first, the
    parks, and the count, value and CO2e of the candidates within parks and between them."""

    between: pd.DataFrame
    parks: pd.DataFrame
    links: pd.DataFrame
    candidates: pd.DataFrame = field(metadata={"json": False})
    main_table = "between"


def national_candidates(
    national: National,
    options: DiscoverOptions | None = None,
    *,
    executor: Executor | None = None,
    regions: int | None = None,
    progress: Progress = silent,
    **overrides: Any,
) -> NationalResult:
    """Discovery on the national view, each candidate's supplier and receiver park named:
    the parks' sizes, counts and value of candidates within parks and between them, and
    the candidates between parks, best first (``top`` keeps the best N of those).
    ``regions``: the view searched in that many regions, each a task on ``executor``."""
    options = options_from(DiscoverOptions, options, overrides)
    view = national.view
    found = discover(
        view, options, top=None, executor=executor, regions=regions, progress=progress
    ).candidates
    park_of = view.streams["park"]
    found.insert(0, "supplier_park", found["supply"].astype(str).map(park_of))
    found.insert(1, "receiver_park", found["demand"].astype(str).map(park_of))
    found["between"] = found["supplier_park"] != found["receiver_park"]
    parks = pd.DataFrame(
        {
            "name": [park.name for park in national.parks.values()],
            "currency": [park.currency for park in national.parks.values()],
            **{
                table: [len(park.table(table)) for park in national.parks.values()]
                for table in ("sites", "streams", "exchanges", "plots")
            },
        },
        index=pd.Index(list(national.parks), name="park"),
    )
    links = (
        found.assign(where=found["between"].map({True: "between parks", False: "within a park"}))
        .groupby("where")
        .agg(
            candidates=("supply", "size"),
            value_eur=("value_eur", "sum"),
            co2e_t=("co2e_t", "sum"),
        )
        .reindex(["within a park", "between parks"], fill_value=0)
    )
    between = found[found["between"]].head(options.top or None)
    return NationalResult(between, parks, links, found)


__all__ = ["NationalResult", "national_candidates"]
