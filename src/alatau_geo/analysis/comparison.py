"""Indicators of several scenarios side by side, with their differences from the first.

:func:`compare_indicators` takes one indicator table per scenario (see
:func:`alatau_geo.analysis.indicators.indicator_table`) and returns one wide
table: a value column per scenario and a difference column per scenario
after the first (``"<label> - <first label>"``). A row missing from a
scenario (a zone it does not have) is NaN there. Equal values differ by 0,
``inf`` (never reached) included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alatau_geo.analysis.indicator_model import INDICATOR_COLUMNS

ROW_COLUMNS = ("id", "group", "name", "unit", "basis")
"""Columns of the wide table that describe the row (before the scenario values)."""


def unique_labels(names: Sequence[str]) -> list[str]:
    """Scenario labels from names, a number added where a name repeats.

    Examples
    --------
    >>> unique_labels(["default", "sez", "default"])
    ['default', 'sez', 'default (2)']
    """
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return labels


def difference_column(label: str, first: str) -> str:
    """Name of the column holding `label`'s value less `first`'s."""
    return f"{label} - {first}"


def compare_indicators(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every indicator of every scenario side by side, and each scenario's difference from the first.

    Parameters
    ----------
    tables : mapping of label to DataFrame
        Indicator tables (columns
        :data:`~alatau_geo.analysis.indicator_model.INDICATOR_COLUMNS`), in
        scenario order; the first is the reference of the differences.

    Returns
    -------
    DataFrame
        :data:`ROW_COLUMNS`, one value column per label, then one
        difference column per label after the first. Rows in the first
        table's order, then rows only later scenarios have.

    Raises
    ------
    ValueError
        If fewer than two tables are given or one lacks a column.

    Examples
    --------
    >>> a = pd.DataFrame({"id": ["x"], "group": ["land"], "name": ["X"], "value": [10.0], "unit": ["ha"],
    ...                   "definition": ["..."], "basis": ["derived"]})
    >>> wide = compare_indicators({"A": a, "B": a.assign(value=12.5)})
    >>> wide[["A", "B", "B - A"]].to_numpy().tolist()
    [[10.0, 12.5, 2.5]]
    """
    if len(tables) < 2:
        raise ValueError("compare_indicators needs at least two scenarios")
    for label, table in tables.items():
        missing = [c for c in INDICATOR_COLUMNS if c not in table.columns]
        if missing:
            raise ValueError(f"scenario {label!r}: indicator table lacks {', '.join(missing)}")
    labels = list(tables)
    rows = pd.concat([t[list(ROW_COLUMNS)] for t in tables.values()]).drop_duplicates("id", keep="first")
    wide = rows.set_index("id")
    for label in labels:
        wide[label] = tables[label].set_index("id")["value"].reindex(wide.index).astype(float)
    first = wide[labels[0]].to_numpy()
    for label in labels[1:]:
        values = wide[label].to_numpy()
        with np.errstate(invalid="ignore"):
            wide[difference_column(label, labels[0])] = np.where(values == first, 0.0, values - first)
    return wide.reset_index()


def definitions(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The definition of every indicator family of the scenarios, once each.

    Returns
    -------
    DataFrame
        ``group``, ``family`` (the id up to its first dot), ``unit``,
        ``basis``, ``definition``; in the order of first appearance.
    """
    rows = pd.concat(list(tables.values()), ignore_index=True)
    rows = rows.assign(family=rows["id"].str.split(".", n=1).str[0])
    return rows.drop_duplicates(["family", "definition"])[["group", "family", "unit", "basis", "definition"]]\
        .reset_index(drop=True)
