"""One-line explanations of candidates, built column-wise with Arrow string kernels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text(column: pd.Series) -> pa.Array:
    """A column as an Arrow string array (categories looked up once)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = pa.array(column.cat.categories.astype(str).to_numpy(dtype=object), pa.string())
        return labels.take(pa.array(column.cat.codes.to_numpy()))
    return pa.array(column.fillna("").astype(str).to_numpy(dtype=object), pa.string())


def join(*parts: pa.Array | str) -> pa.Array:
    """Row-wise concatenation of string arrays and constants, in one pass."""
    return pc.binary_join_element_wise(*parts, "")


def when(mask: np.ndarray, then: pa.Array | str, otherwise: pa.Array | str = "") -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), then, otherwise)


def _magnitude(x: np.ndarray) -> np.ndarray:
    return np.floor(np.log10(np.where(x != 0, np.abs(x), 1.0))).astype(np.int64)


def amounts(values: pd.Series | np.ndarray) -> pa.Array:
    """Numbers to three significant figures, with thousands separators.

    Rounded numbers repeat, so each distinct one is written once.
    """
    x = np.asarray(values, dtype=float)
    x = np.where(np.isfinite(x), x, 0.0)
    step = 10.0 ** (_magnitude(x) - 2)
    distinct, rows = np.unique(np.round(x / step) * step, return_inverse=True)
    decimals = np.where(distinct != 0, np.clip(2 - _magnitude(distinct), 0, 6), 0)
    labels = [f"{v:,.{k}f}" for v, k in zip(distinct, decimals, strict=True)]
    return pa.array(labels, pa.string()).take(pa.array(rows))


def explain(table: pd.DataFrame, names: pd.Series) -> pd.Series:
    """One line per candidate: who, what, how much, how, and what it saves."""
    if table.empty:
        return pd.Series([], dtype="str", index=table.index)

    def named(column: str) -> pa.Array:
        actors = table[column].cat.categories
        labels = names.reindex(actors).fillna(pd.Series(actors, index=actors))
        return pa.array(labels.to_numpy(dtype=object), pa.string()).take(
            pa.array(table[column].cat.codes.to_numpy())
        )

    share = table["share_of_demand"].to_numpy()
    unverified = table["unverified"].to_numpy(dtype=object)
    line = join(
        named("supplier"),
        " → ",
        named("receiver"),
        ": ",
        amounts(table["quantity"]),
        " ",
        text(table["unit"]),
        " of ",
        text(table["resource"]),
        when(
            (table["resource"] != table["replaces"]).to_numpy(),
            join(
                " for ",
                amounts(table["replaced"]),
                " ",
                text(table["replaced_unit"]),
                " of ",
                text(table["replaces"]),
            ),
        ),
        when(
            (table["mode"] == "onsite").to_numpy(),
            " on site",
            join(" by ", text(table["mode"]), " (", text(table["route"]), ")"),
        ),
        when(
            share < 0.995,
            join("; meets ", amounts(100 * share), " % of the demand"),
            "; meets the whole demand",
        ),
        "; saves ",
        amounts(table["co2e_t"]),
        " t CO2e and ",
        amounts(table["value_eur"]),
        " EUR a year",
        when(unverified != "", join("; supply does not state ", text(table["unverified"]))),
        when(table["internal"].to_numpy(), "; within one actor"),
        when(table["existing"].to_numpy(), join("; exists (", text(table["status"]), ")")),
    )
    return pd.Series(line.to_pandas(), index=table.index, dtype="str")
