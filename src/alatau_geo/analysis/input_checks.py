"""Checks of the frames the straight-line analyses take: working CRS, columns, geometries, facility kinds.

Each check raises a one-line :class:`~alatau_geo.core.errors.CRSError` or
:class:`~alatau_geo.core.errors.LayerError` that names the frame and the
rows at fault. A kind without facilities raises, or with
``on_missing="warn"`` gives a :class:`UserWarning` whose message the
analysis also lists in ``result.attrs["warnings"]``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from alatau_geo.core.crs import WORKING_CRS, require_crs
from alatau_geo.core.errors import CRSError, LayerError

#: What to do when a kind has no facilities: raise LayerError, or warn and carry on.
OnMissing = Literal["raise", "warn"]
#: Geometries as the analyses take them.
Geo = gpd.GeoSeries | gpd.GeoDataFrame


def _crs_name(crs: CRS) -> str:
    return crs.to_string() if crs.to_epsg() is None else f"EPSG:{crs.to_epsg()}"


def check_working_crs(*frames: tuple[Geo, str]) -> None:
    """Raise CRSError unless every frame is in the working CRS; the message names the CRSs."""
    found = [(require_crs(frame, what=what), what) for frame, what in frames]
    first, first_what = found[0]
    for crs, what in found[1:]:
        if not first.equals(crs):
            raise CRSError(
                f"CRS mismatch: {first_what} in {_crs_name(first)}, {what} in {_crs_name(crs)}; "
                f"project both to {_crs_name(WORKING_CRS)} (alatau_geo.core.crs.to_working)"
            )
    if not WORKING_CRS.equals(first):
        raise CRSError(
            f"{first_what}: in {_crs_name(first)}, expected the working CRS {_crs_name(WORKING_CRS)}; "
            "project it with alatau_geo.core.crs.to_working"
        )


def geometry_array(frame: Geo) -> np.ndarray:
    """The geometries of a GeoSeries or GeoDataFrame as a numpy object array (no copy)."""
    series = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    return np.asarray(series.array)


def row_labels(index: pd.Index, mask: np.ndarray, *, limit: int = 5) -> str:
    """The index labels of the rows in `mask`, for a message: the first `limit`, then how many more.

    Examples
    --------
    >>> row_labels(pd.Index(list("abcdefg")), np.ones(7, dtype=bool))
    'a, b, c, d, e and 2 more'
    """
    labels = [str(label) for label in index[mask][:limit]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """Raise LayerError naming `what` and the missing columns unless `frame` has all `columns`."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise LayerError(f"{what}: missing column(s) {', '.join(map(repr, missing))}")


def missing_kinds(facilities: gpd.GeoDataFrame, kinds: Sequence[str], *, kind_column: str,
                  what: str) -> list[str]:
    """The `kinds` without any facility in `facilities`, in the order given.

    Raises
    ------
    LayerError
        If `facilities` is empty or has no `kind_column`.
    ValueError
        If `kinds` is empty.
    """
    if len(facilities) == 0:
        raise LayerError(f"{what}: no facilities (empty layer)")
    require_columns(facilities, [kind_column], what=what)
    if not kinds:
        raise ValueError("kinds: give at least one facility kind")
    present = set(facilities[kind_column].dropna())
    return [kind for kind in kinds if kind not in present]


def report_missing(missing: Sequence[str], *, what: str, on_missing: OnMissing, consequence: str) -> list[str]:
    """Raise for kinds without facilities, or warn and return the messages.

    The warning points at the caller of the analysis that called this
    function (``stacklevel=3``).
    """
    if not missing:
        return []
    if on_missing not in ("raise", "warn"):
        raise ValueError(f"on_missing must be 'raise' or 'warn', got {on_missing!r}")
    if on_missing == "raise":
        raise LayerError(f"{what}: no facilities of kind {', '.join(missing)}; add them or leave the kind out")
    messages = [f"{what}: no facilities of kind {kind}; {consequence}" for kind in missing]
    for message in messages:
        warnings.warn(message, UserWarning, stacklevel=3)
    return messages
