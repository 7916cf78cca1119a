"""The proximity report: nearest facilities, coverage gaps and uncovered settlements of a built plan.

:func:`proximity_tables` strings :mod:`alatau_geo.analysis.nearest` and
:mod:`alatau_geo.analysis.coverage` together over a layer set (facilities,
places, projects, and a grid over the city from :func:`city_grid`);
:func:`coverage_layers` gives the ``coverage`` and ``coverage_gaps`` layers
to export. Distances are straight lines in EPSG:32643 metres, areas
hectares from the equal-area CRS.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis.coverage import BUFFER_QUAD_SEGS, coverage, settlements_outside, uncovered_by_district
from alatau_geo.analysis.input_checks import Geo, OnMissing, check_working_crs, geometry_array, require_columns
from alatau_geo.analysis.layer_names import FACILITY_LAYERS
from alatau_geo.analysis.nearest import nearest_by_kind
from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import Layer, LayerSet, Provenance

logger = logging.getLogger(__name__)

#: Default cell size of :func:`city_grid`, metres.
DEFAULT_CELL_M = 100.0


def _area_geometry(area: shapely.Geometry | Geo, *, what: str) -> shapely.Geometry:
    if isinstance(area, (gpd.GeoSeries, gpd.GeoDataFrame)):
        check_working_crs((area, what))
        return shapely.union_all(geometry_array(area))
    return area


def city_grid(area: shapely.Geometry | Geo, *, cell_m: float = DEFAULT_CELL_M) -> gpd.GeoDataFrame:
    """Centres of the cells of a regular grid that fall inside `area`.

    Cell edges lie on whole multiples of `cell_m` (so every area gets the
    same grid), centres half a cell in. A cell is kept when its centre lies
    inside `area` (on the edge does not count).

    Parameters
    ----------
    area : Polygon or MultiPolygon, or GeoSeries / GeoDataFrame
        The area in EPSG:32643; a bare geometry is taken to be in it, a
        GeoSeries or GeoDataFrame is checked and its geometries united.
    cell_m : float, default 100.0
        Cell size, metres.

    Returns
    -------
    GeoDataFrame
        One point per cell, rows north to south, then west to east (raster
        order), in EPSG:32643: ``cell_id`` (0, 1, ... in that order) and
        ``cell_area_ha`` (``cell_m ** 2 / 10_000``: the cell's area on the
        working grid, which differs from the equal-area measure by the UTM
        scale factor, about 0.1 %).

    Raises
    ------
    ValueError
        If `cell_m` is not a positive finite number.
    CRSError
        If a GeoSeries / GeoDataFrame is not in EPSG:32643.

    Examples
    --------
    >>> from shapely import box
    >>> grid = city_grid(box(0, 0, 1000, 1000), cell_m=100)
    >>> len(grid), float(grid["cell_area_ha"].sum())
    (100, 100.0)
    """
    if isinstance(cell_m, bool) or not isinstance(cell_m, (int, float)) or not math.isfinite(cell_m) or cell_m <= 0:
        raise ValueError(f"cell_m must be a positive number of metres, got {cell_m!r}")
    geometry = _area_geometry(area, what="area")
    columns = {"cell_id": pd.Series([], dtype="int64"), "cell_area_ha": pd.Series([], dtype="float64")}
    if geometry is None or geometry.is_empty:
        return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WORKING_CRS), crs=WORKING_CRS)
    west, south, east, north = geometry.bounds
    xs = (np.arange(math.floor(west / cell_m), math.ceil(east / cell_m)) + 0.5) * cell_m
    ys = (np.arange(math.ceil(north / cell_m) - 1, math.floor(south / cell_m) - 1, -1) + 0.5) * cell_m
    x, y = (grid.ravel() for grid in np.meshgrid(xs, ys))
    shapely.prepare(geometry)
    inside = shapely.contains_xy(geometry, x, y)
    x, y = x[inside], y[inside]
    return gpd.GeoDataFrame(
        {"cell_id": np.arange(len(x), dtype="int64"), "cell_area_ha": np.full(len(x), cell_m * cell_m / 10_000.0)},
        geometry=gpd.GeoSeries(shapely.points(x, y), crs=WORKING_CRS), crs=WORKING_CRS,
    )


#: Layers holding investment projects.
PROJECT_LAYERS = ("projects", "projects_lines")


def facilities_from(layers: Mapping[str, Layer]) -> gpd.GeoDataFrame:
    """The ``infrastructure`` layer, with ``infrastructure_lines`` when present, as one frame.

    Raises
    ------
    LayerError
        If there is no ``infrastructure`` layer.
    """
    if "infrastructure" not in layers:
        raise LayerError("no 'infrastructure' layer; build the infrastructure layers before the proximity analysis")
    return _stacked([layers[name] for name in FACILITY_LAYERS if name in layers])


def _stacked(found: Sequence[Layer]) -> gpd.GeoDataFrame:
    frames = [layer.frame for layer in found]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=WORKING_CRS)


def _city(layers: Mapping[str, Layer]) -> gpd.GeoDataFrame:
    """The city boundary, or the districts when the layers have no boundary."""
    for name in ("city_boundary", "districts"):
        if name in layers:
            return layers[name].frame
    raise LayerError("no 'city_boundary' or 'districts' layer; build the zones before the proximity analysis")


def _nearest_kinds(facilities: gpd.GeoDataFrame, radii_m: Mapping[str, float],
                   kinds: Sequence[str] | None) -> tuple[str, ...]:
    if kinds is not None:
        return tuple(kinds)
    require_columns(facilities, ["kind"], what="facilities")
    present = set(facilities["kind"].dropna())
    return tuple(kind for kind in radii_m if kind in present) + tuple(sorted(present - set(radii_m)))


def grid_summary(grid: pd.DataFrame, nearest: pd.DataFrame, *, kinds: Sequence[str],
                 radii_m: Mapping[str, float]) -> pd.DataFrame:
    """Distances from the grid cells to the nearest facility of each kind, summarised.

    Parameters
    ----------
    grid : DataFrame
        From :func:`city_grid` (``cell_area_ha``).
    nearest : DataFrame
        From :func:`~alatau_geo.analysis.nearest.nearest_by_kind` on the grid, same index.
    kinds : sequence of str
    radii_m : mapping of str to float
        Service radius per kind, metres; kinds without one get no coverage share.

    Returns
    -------
    DataFrame
        One row per kind: ``kind``, ``cells``, ``area_ha``, ``median_m``,
        ``p90_m``, ``max_m`` (metres), ``radius_m`` and ``within_radius_pct``
        (share of the grid area within the radius; ``<NA>`` when the kind
        has no radius or no facilities).
    """
    rows = []
    for kind in kinds:
        distance = nearest[f"{kind}_distance_m"].astype("Float64")
        radius = radii_m.get(kind)
        measured = distance.dropna().to_numpy(dtype="float64")
        within = pd.NA
        if radius is not None and len(measured) == len(distance) and len(distance):
            within = 100.0 * float(grid["cell_area_ha"][measured <= radius].sum()) / float(grid["cell_area_ha"].sum())
        rows.append({
            "kind": kind, "cells": len(distance), "area_ha": float(grid["cell_area_ha"].sum()),
            "median_m": float(np.median(measured)) if len(measured) else pd.NA,
            "p90_m": float(np.percentile(measured, 90)) if len(measured) else pd.NA,
            "max_m": float(measured.max()) if len(measured) else pd.NA,
            "radius_m": float(radius) if radius is not None else pd.NA,
            "within_radius_pct": within,
        })
    table = pd.DataFrame(rows, columns=["kind", "cells", "area_ha", "median_m", "p90_m", "max_m", "radius_m",
                                        "within_radius_pct"])
    for column in ("median_m", "p90_m", "max_m", "radius_m", "within_radius_pct"):
        table[column] = table[column].astype("Float64")
    return table


def proximity_tables(layers: Mapping[str, Layer], *, radii_m: Mapping[str, float], cell_m: float = DEFAULT_CELL_M,
                     kinds: Sequence[str] | None = None, on_missing: OnMissing = "raise",
                     workers: int = 1) -> dict[str, pd.DataFrame]:
    """Every table of the proximity report, from the layers and the plan's service radii.

    Parameters
    ----------
    layers : mapping of str to Layer
        ``infrastructure`` (and ``infrastructure_lines``), ``places``,
        ``districts`` and ``city_boundary``; ``projects`` (and
        ``projects_lines``) when present.
    radii_m : mapping of str to float
        ``plan.service_radii_m``: the kinds whose coverage is analysed.
    cell_m : float, default 100.0
        Grid cell size over the city, metres.
    kinds : sequence of str, optional
        Kinds for the nearest-facility columns; default every kind present,
        those with a radius first.
    on_missing : {'raise', 'warn'}, default 'raise'
        See :func:`~alatau_geo.analysis.nearest.nearest_by_kind` and :func:`~alatau_geo.analysis.coverage.coverage`.
    workers : int, default 1
        Threads for the tree queries.

    Returns
    -------
    dict of str to DataFrame
        ``nearest_places`` (id, name_en, kind + per-kind columns),
        ``nearest_projects`` (id, name_en, jobs + per-kind columns; only with a
        projects layer; lines measured from their representative point),
        ``nearest_grid`` (cell_id, x_m, y_m, cell_area_ha + per-kind columns),
        ``grid_summary`` (:func:`grid_summary`), ``uncovered_by_district``
        (:func:`~alatau_geo.analysis.coverage.uncovered_by_district` with the city as a last district) and
        ``settlements_outside`` (:func:`~alatau_geo.analysis.coverage.settlements_outside`). Messages about
        kinds without facilities (``on_missing='warn'``) are in every table's
        ``attrs["warnings"]``.

    Raises
    ------
    LayerError, PlanError, CRSError
        As the functions called.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> tables = ag.proximity_tables(ag.read_layers("layers"),
    ...                              radii_m=ag.load_plan().service_radii_m)  # doctest: +SKIP
    >>> tables["uncovered_by_district"].head()  # doctest: +SKIP
    """
    facilities = facilities_from(layers)
    kinds = _nearest_kinds(facilities, radii_m, kinds)
    for name in ("places", "districts"):
        if name not in layers:
            raise LayerError(f"no {name!r} layer; build the reference layers before the proximity analysis")
    covered = coverage(facilities, radii_m=radii_m, on_missing=on_missing)
    messages = list(covered.attrs["warnings"])

    def nearest(points: Geo) -> pd.DataFrame:
        with warnings.catch_warnings(record=True):  # reported once, below, for all tables
            warnings.simplefilter("always")
            table = nearest_by_kind(points, facilities, kinds=kinds, on_missing=on_missing, workers=workers)
        messages.extend(m for m in table.attrs["warnings"] if m not in messages)
        return table

    places = layers["places"].frame
    tables = {"nearest_places": places[["id", "name_en", "kind"]].join(nearest(places))}
    projects = [layers[name] for name in PROJECT_LAYERS if name in layers]
    if projects:
        frame = _stacked(projects)
        columns = [column for column in ("id", "name_en", "jobs") if column in frame.columns]
        tables["nearest_projects"] = pd.DataFrame(frame[columns]).join(nearest(frame))
    city = _city(layers)
    grid = city_grid(city, cell_m=cell_m)
    grid_nearest = nearest(grid)
    tables["nearest_grid"] = pd.DataFrame({
        "cell_id": grid["cell_id"], "x_m": grid.geometry.x, "y_m": grid.geometry.y,
        "cell_area_ha": grid["cell_area_ha"],
    }).join(grid_nearest)
    tables["grid_summary"] = grid_summary(grid, grid_nearest, kinds=kinds, radii_m=radii_m)
    zones = layers["districts"].frame[["id", "geometry"]]
    if "city_boundary" in layers:
        zones = pd.concat([zones, layers["city_boundary"].frame[["id", "geometry"]]], ignore_index=True)
    tables["uncovered_by_district"] = uncovered_by_district(gpd.GeoDataFrame(zones, crs=WORKING_CRS), covered)
    tables["settlements_outside"] = settlements_outside(places, covered)
    for message in messages[len(covered.attrs["warnings"]):]:
        warnings.warn(message, UserWarning, stacklevel=2)
    for table in tables.values():
        table.attrs["warnings"] = list(messages)
    return tables


def _coverage_provenance(radii_m: Mapping[str, float], kinds: Sequence[str], *, what: str) -> Provenance:
    return Provenance(
        source="infrastructure layers (positions are planning assumptions); service radii from the plan"
        + ("; city_boundary layer" if what == "gaps" else ""),
        method=("union of discs of the plan's service radius around every facility of a kind (straight line, "
                f"{4 * BUFFER_QUAD_SEGS}-gon discs)")
        + ("; the city area outside them, per kind; a kind covering the whole city has no feature"
           if what == "gaps" else ""),
        parameters={f"service_radii_m.{kind}": float(radii_m[kind]) for kind in kinds},
        quality="approximate",
    )


def coverage_layers(layers: Mapping[str, Layer], *, radii_m: Mapping[str, float],
                    kinds: Sequence[str] | None = None, on_missing: OnMissing = "raise") -> LayerSet:
    """The ``coverage`` and ``coverage_gaps`` layers to export.

    Parameters
    ----------
    layers : mapping of str to Layer
        ``infrastructure`` (and ``infrastructure_lines``) and ``city_boundary``
        (or ``districts``).
    radii_m : mapping of str to float
        ``plan.service_radii_m``.
    kinds : sequence of str, optional
        Default: the kinds of `radii_m`.
    on_missing : {'raise', 'warn'}, default 'raise'
        See :func:`~alatau_geo.analysis.coverage.coverage`; with ``'warn'`` a kind without facilities has
        no coverage feature and its gap is the whole city.

    Returns
    -------
    LayerSet
        ``coverage``: one feature per kind (id = kind) with ``radius_m``,
        ``facility_count``, ``facility_ids``, ``area_ha``; ``coverage_gaps``:
        the city area outside the coverage, one feature per kind with
        ``radius_m``, ``area_ha`` and ``uncovered_pct`` (of the city area);
        a kind that covers the whole city has no gap feature (an empty
        geometry cannot be exported). Both are quality ``approximate``.
    """
    facilities = facilities_from(layers)
    covered = coverage(facilities, radii_m=radii_m, kinds=kinds, on_missing=on_missing)
    kinds = tuple(covered["kind"])
    city = shapely.union_all(geometry_array(_city(layers)))
    city_ha = float(area_ha(gpd.GeoSeries([city], crs=WORKING_CRS)).iloc[0])
    discs = covered[~covered.geometry.is_empty].copy()
    discs["area_ha"] = area_ha(discs)
    gaps = covered[["id", "kind", "radius_m"]].copy()
    gaps = gpd.GeoDataFrame(gaps, geometry=shapely.difference(city, geometry_array(covered)), crs=WORKING_CRS)
    gaps["area_ha"] = area_ha(gaps)
    gaps["uncovered_pct"] = 100.0 * gaps["area_ha"] / city_ha
    full = gaps.geometry.is_empty
    for kind in gaps.loc[full, "kind"]:
        logger.info("coverage_gaps: %s covers the whole city; no gap feature", kind)
    return LayerSet([
        Layer("coverage", discs.reset_index(drop=True), _coverage_provenance(radii_m, kinds, what="coverage"),
              title="Land within the service radius of a facility, per kind (straight line)"),
        Layer("coverage_gaps", gaps[~full].reset_index(drop=True), _coverage_provenance(radii_m, kinds, what="gaps"),
              title="City area outside the service radius of every facility, per kind"),
    ])
