"""How far each position of an editable table may be off: the ``tolerance_m`` column.

The places, corridors, infrastructure and projects tables may carry a
``tolerance_m`` column: the radius, in metres, within which the true
position is believed to lie. It feeds only the uncertainty runs (which move
each position within it); no layer depends on it. Where the column is
absent, or a cell is empty, the tolerance is the default for the row's
``position_quality`` (the plan's ``[uncertainty.default_tolerance_m]``).

The shipped tables fill the column for every position given by coordinates
(places, corridor waypoints, infrastructure placed ``given``) with those
defaults, so a user can narrow one row (a surveyed substation) without
touching the others. Rows placed by rule have no coordinates of their own
and leave it empty: they move with the zones they are placed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alatau_geo.core.errors import TableError

TOLERANCE_COLUMN = "tolerance_m"
"""The optional column of the editable tables."""


def read_tolerances(path: str | Path, *, keys: Sequence[str]) -> pd.Series:
    """The ``tolerance_m`` column of a table, by its key columns; NaN where empty or absent.

    Parameters
    ----------
    path : str or Path
        A UTF-8 CSV table (already checked by its own reader).
    keys : sequence of str
        Columns that identify a row (``["id"]``; ``["id", "seq"]`` for corridor waypoints).

    Returns
    -------
    Series
        Float metres, indexed by the key columns.

    Raises
    ------
    TableError
        For a tolerance that is not a number of at least 0, naming the file and line.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise TableError(f"{path}: cannot read table ({str(error).splitlines()[0]})") from None
    index = pd.MultiIndex.from_frame(table[list(keys)]) if len(keys) > 1 else pd.Index(table[keys[0]])
    if TOLERANCE_COLUMN not in table.columns:
        return pd.Series(np.nan, index=index, name=TOLERANCE_COLUMN)
    text = table[TOLERANCE_COLUMN].str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = (text != "") & ~(values >= 0)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise TableError(f"{path}: line {line}: '{TOLERANCE_COLUMN}' must be a distance in metres of at least 0 "
                         f"(or empty for the default of its position_quality), got {text[bad].iloc[0]!r}")
    return pd.Series(values.to_numpy(dtype=float), index=index, name=TOLERANCE_COLUMN)


def tolerances_for(table: pd.DataFrame, given: pd.Series, *, keys: Sequence[str],
                   defaults: Mapping[str, float]) -> np.ndarray:
    """Tolerance of every row of a checked table: its own value, else the default of its ``position_quality``.

    Parameters
    ----------
    table : DataFrame
        With the `keys` columns and ``position_quality``.
    given : Series
        From :func:`read_tolerances`.
    keys : sequence of str
    defaults : mapping of position_quality to metres

    Returns
    -------
    numpy.ndarray of float
        Metres, aligned with the rows of `table`.

    Raises
    ------
    TableError
        If a row's quality has no default.

    Examples
    --------
    >>> table = pd.DataFrame({"id": ["a", "b"], "position_quality": ["geonames", "approximate"]})
    >>> given = pd.Series([np.nan, 250.0], index=pd.Index(["a", "b"], name="id"))
    >>> tolerances_for(table, given, keys=["id"], defaults={"geonames": 500.0, "approximate": 3000.0}).tolist()
    [500.0, 250.0]
    """
    index = pd.MultiIndex.from_frame(table[list(keys)].astype(str)) if len(keys) > 1 \
        else pd.Index(table[keys[0]].astype(str))
    own = given.groupby(level=list(range(given.index.nlevels))).first().reindex(index).to_numpy(dtype=float)
    missing = sorted(set(table["position_quality"]) - set(defaults))
    if missing:
        raise TableError(f"no default tolerance for position_quality {missing[0]!r}; "
                         "add it to [uncertainty.default_tolerance_m] in the plan")
    fallback = table["position_quality"].map(dict(defaults)).to_numpy(dtype=float)
    return np.where(np.isnan(own), fallback, own)
