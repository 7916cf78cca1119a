"""Uncertainty of a plan's results: moved positions, drawn parameters, and what the runs add up to.

The uncertainty job (:mod:`alatau_geo.jobs.uncertainty`) rebuilds a plan
many times; this module holds the pure parts:

- :func:`sample_generators`: one seeded :class:`numpy.random.Generator` per
  kind of draw and run, from ``SeedSequence([seed, run])``, so a run's draws
  depend only on the seed and its number (never on which worker runs it,
  or in what order);
- :func:`moved_positions` and :func:`moved_table`: every position moved to a
  point drawn uniformly in the disc of its tolerance (metres, in UTM 43N);
- :func:`draw_values`: each varied plan entry drawn uniformly in its range;
- :func:`indicator_bands`, :func:`zone_stability`,
  :func:`district_probability` and :func:`probability_cells`: the median
  and 5-95 % band of every indicator, how stable the calibrated zones are,
  and the probability of each grid cell lying in each district.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import Transformer

from alatau_geo.analysis.population_grid import cell_squares
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS

DRAWS = ("places", "corridors", "infrastructure", "projects", "parameters")
"""The kinds of draw of a run, each from its own generator (adding a parameter leaves the positions as they were)."""
BAND = (0.05, 0.5, 0.95)
"""Quantiles reported: the 5-95 % band and the median."""
BAND_COLUMNS = ("id", "group", "name", "unit", "basis", "planned", "median", "p05", "p95", "band_width", "runs")
"""Columns of :func:`indicator_bands`."""
_TO_UTM = Transformer.from_crs(EXPORT_CRS, WORKING_CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(WORKING_CRS, EXPORT_CRS, always_xy=True)
_HUGE = np.finfo(np.float64).max / 4


def sample_generators(seed: int, run: int) -> dict[str, np.random.Generator]:
    """The generators of one run, one per kind of draw (:data:`DRAWS`).

    Examples
    --------
    >>> a = sample_generators(7, 3)["places"].random()
    >>> b = sample_generators(7, 3)["places"].random()
    >>> a == b, a == sample_generators(7, 4)["places"].random()
    (True, False)
    """
    children = np.random.SeedSequence([int(seed), int(run)]).spawn(len(DRAWS))
    return {name: np.random.default_rng(child) for name, child in zip(DRAWS, children, strict=True)}


def moved_positions(lon: np.ndarray, lat: np.ndarray, tolerance_m: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positions moved to a point drawn uniformly in the disc of their tolerance.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        WGS84 degrees (x, y); NaN positions (none given) stay NaN.
    tolerance_m : numpy.ndarray
        Radius of each disc, metres, measured in UTM 43N; 0 keeps the position exactly.
    rng : numpy.random.Generator
        Two numbers are drawn per position, whatever its tolerance.

    Returns
    -------
    (lon, lat) : numpy.ndarray

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> lon, lat = moved_positions(np.array([77.0, 77.1]), np.array([43.5, 43.6]), np.array([0.0, 1000.0]), rng)
    >>> bool(lon[0] == 77.0), bool(lon[1] != 77.1)
    (True, True)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    tolerance = np.asarray(tolerance_m, dtype=float)
    radius = tolerance * np.sqrt(rng.random(len(lon)))
    angle = 2.0 * np.pi * rng.random(len(lon))
    moves = (tolerance > 0) & np.isfinite(lon) & np.isfinite(lat)
    out_lon, out_lat = lon.copy(), lat.copy()
    if moves.any():
        x, y = _TO_UTM.transform(lon[moves], lat[moves])
        out_lon[moves], out_lat[moves] = _TO_WGS84.transform(x + radius[moves] * np.cos(angle[moves]),
                                                             y + radius[moves] * np.sin(angle[moves]))
    return out_lon, out_lat


def moved_table(table: pd.DataFrame, tolerance_m: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of a table with ``lon``/``lat`` moved within each row's tolerance (see :func:`moved_positions`)."""
    lon, lat = moved_positions(table["lon"].to_numpy(float), table["lat"].to_numpy(float), tolerance_m, rng)
    moved = table.copy()
    moved["lon"], moved["lat"] = lon, lat
    return moved


def draw_values(ranges: Mapping[str, tuple[float, float]], rng: np.random.Generator) -> dict[str, float]:
    """One value per plan entry, uniform in its ``(low, high)`` range (keys in sorted order; one draw each).

    Whole-number ends (``int``) draw a whole number from ``low`` to ``high``
    inclusive; others a float.

    Examples
    --------
    >>> values = draw_values({"b": (2.0, 2.0), "a": (10, 12)}, np.random.default_rng(0))
    >>> values["b"], values["a"] in (10, 11, 12), type(values["a"]).__name__
    (2.0, True, 'int')
    """
    values: dict[str, float] = {}
    for key in sorted(ranges):
        low, high = ranges[key]
        u = rng.random()
        if isinstance(low, int) and isinstance(high, int):
            values[key] = low + min(int(u * (high - low + 1)), high - low)
        else:
            values[key] = float(low) if low == high else float(low + (high - low) * u)
    return values


def quantiles(values: np.ndarray, q: Sequence[float] = BAND) -> np.ndarray:
    """Linear quantiles of `values` that keep ``inf`` (never reached); NaN values are left out, all NaN gives NaN.

    Examples
    --------
    >>> quantiles(np.array([1.0, 2.0, 3.0, np.nan])).tolist()
    [1.1, 2.0, 2.9]
    >>> quantiles(np.array([1.0, np.inf, np.inf]), [0.5]).tolist()
    [inf]
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return np.full(len(q), np.nan)
    capped = np.clip(values, -_HUGE, _HUGE)
    result = np.quantile(capped, q)
    return np.where(result >= _HUGE / 2, np.inf, np.where(result <= -_HUGE / 2, -np.inf, result))


def indicator_bands(planned: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Each indicator's planned value, median and 5-95 % band over the runs.

    Parameters
    ----------
    planned : DataFrame
        The indicator table of the plan as it is (columns ``id``, ``group``,
        ``name``, ``unit``, ``basis``, ``value``).
    runs : DataFrame
        One row per successful run, one column per indicator id.

    Returns
    -------
    DataFrame
        Columns :data:`BAND_COLUMNS`; ``band_width`` is ``p95 - p05`` (0
        when both are equal, ``inf`` included); ``runs`` counts the runs
        with a value.
    """
    rows = []
    for record in planned.to_dict("records"):
        values = runs[record["id"]].to_numpy(float) if record["id"] in runs.columns else np.array([])
        p05, median, p95 = quantiles(values)
        with np.errstate(invalid="ignore"):
            width = 0.0 if p05 == p95 else p95 - p05
        rows.append({**{k: record[k] for k in ("id", "group", "name", "unit", "basis")}, "planned": record["value"],
                     "median": median, "p05": p05, "p95": p95, "band_width": width,
                     "runs": int((~np.isnan(values)).sum())})
    return pd.DataFrame(rows, columns=list(BAND_COLUMNS))


def zone_stability(planned: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """How much each zone's area and calibrated parameter move over the runs.

    Parameters
    ----------
    planned : DataFrame
        One row per zone of the plan as it is: ``layer``, ``id``,
        ``published_ha``, ``area_ha``, ``solved_parameter``, ``solved_value_m``.
    runs : DataFrame
        The same columns for every successful run, with a ``run`` column;
        districts may add ``cells_kept`` (share of the planned district's
        grid cells still in it, 0-1).

    Returns
    -------
    DataFrame
        Per zone: ``layer``, ``id``, ``published_ha``, ``planned_ha``,
        ``area_median_ha``, ``area_p05_ha``, ``area_p95_ha``,
        ``solved_parameter``, ``planned_solved_m``, ``solved_median_m``,
        ``solved_p05_m``, ``solved_p95_m``, ``cells_kept_median``,
        ``cells_kept_p05``, ``runs``.
    """
    rows = []
    for zone in planned.to_dict("records"):
        own = runs[(runs["layer"] == zone["layer"]) & (runs["id"] == zone["id"])]
        area = quantiles(own["area_ha"].to_numpy(float))
        solved = quantiles(own["solved_value_m"].to_numpy(float))
        kept = quantiles(own["cells_kept"].to_numpy(float)) if "cells_kept" in own else np.full(3, np.nan)
        rows.append({
            "layer": zone["layer"], "id": zone["id"], "published_ha": zone["published_ha"],
            "planned_ha": zone["area_ha"], "area_median_ha": area[1], "area_p05_ha": area[0], "area_p95_ha": area[2],
            "solved_parameter": zone["solved_parameter"], "planned_solved_m": zone["solved_value_m"],
            "solved_median_m": solved[1], "solved_p05_m": solved[0], "solved_p95_m": solved[2],
            "cells_kept_median": kept[1], "cells_kept_p05": kept[0], "runs": len(own),
        })
    return pd.DataFrame(rows)


def cells_kept(planned: np.ndarray, run: np.ndarray, n_districts: int) -> np.ndarray:
    """Share of each planned district's cells that lie in the same district in a run, 0-1 (NaN if it has none).

    Examples
    --------
    >>> cells_kept(np.array([0, 0, 1, -1]), np.array([0, 1, 1, 1]), 2).tolist()
    [0.5, 1.0]
    """
    planned, run = np.asarray(planned).ravel(), np.asarray(run).ravel()
    inside = planned >= 0
    total = np.bincount(planned[inside], minlength=n_districts).astype(float)
    same = np.bincount(planned[inside & (run == planned)], minlength=n_districts).astype(float)
    return np.divide(same, total, out=np.full(n_districts, np.nan), where=total > 0)


def district_probability(grids: Sequence[np.ndarray], n_districts: int) -> np.ndarray:
    """Share of the runs in which each cell lies in each district.

    Parameters
    ----------
    grids : sequence of numpy.ndarray of int
        One district grid per run: index into the district ids, -1 in none.
    n_districts : int

    Returns
    -------
    numpy.ndarray of float32, shape (n_districts, rows, cols)
        0-1; the shares of a cell add up to at most 1.

    Examples
    --------
    >>> district_probability([np.array([[0, -1]]), np.array([[1, -1]])], 2)[:, 0, 0].tolist()
    [0.5, 0.5]
    """
    stacked = np.stack([np.asarray(g) for g in grids])
    counts = np.stack([(stacked == k).sum(axis=0) for k in range(n_districts)])
    return (counts / max(len(grids), 1)).astype(np.float32)


def probability_cells(probability: np.ndarray, district_ids: Sequence[str], *, transform: Affine) -> gpd.GeoDataFrame:
    """Cells with any chance of lying in a district, as squares with one probability column per district.

    Returns
    -------
    GeoDataFrame
        ``id`` (``cell_<row>_<col>``), ``p_<district>`` (0-1) per district,
        ``likely`` (the most probable district) and ``likely_p``; working CRS.
    """
    rows, cols = probability.shape[1:]
    flat = probability.reshape(len(district_ids), -1)
    cells = np.flatnonzero(flat.sum(axis=0) > 0)
    r, c = np.divmod(cells, cols)
    frame = pd.DataFrame({"id": [f"cell_{i}_{j}" for i, j in zip(r, c, strict=True)]})
    for k, district in enumerate(district_ids):
        frame[f"p_{district}"] = np.round(flat[k, cells].astype(float), 4)
    best = flat[:, cells].argmax(axis=0)
    frame["likely"] = np.asarray(district_ids, dtype=object)[best] if len(cells) else []
    frame["likely_p"] = np.round(flat[best, cells].astype(float), 4)
    return gpd.GeoDataFrame(frame, geometry=cell_squares(transform, (rows, cols), cells), crs=WORKING_CRS)
