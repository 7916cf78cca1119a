"""Service coverage along a straight line: the land within a facility's radius, and its gaps.

A facility of a kind covers the disc of the plan's service radius for that
kind (``plan.service_radii_m``) around it. :func:`coverage` unions the discs
per kind; each disc is a polygon of ``4 * BUFFER_QUAD_SEGS`` = 256 sides
inscribed in the circle, so covered areas are short of the true discs by
0.01 %.

:func:`uncovered_by_district` gives each district's area outside the
coverage of each kind, in hectares from the equal-area CRS
(:func:`alatau_geo.core.crs.area_ha`); :func:`settlements_outside` lists the
settlements beyond the radius of every facility of a kind. Inputs are in
EPSG:32643 (metres) and checked as in :mod:`alatau_geo.analysis.input_checks`;
``on_missing="warn"`` turns a kind without facilities into an empty
coverage, a :class:`UserWarning` and a message in ``result.attrs["warnings"]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis.input_checks import (
    OnMissing,
    check_working_crs,
    geometry_array,
    missing_kinds,
    report_missing,
    require_columns,
    row_labels,
)
from alatau_geo.analysis.nearest import point_xy
from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.errors import LayerError, PlanError

#: Segments per quarter circle of a service disc (256-gon).
BUFFER_QUAD_SEGS = 64
#: Place kinds counted as settlements by :func:`settlements_outside`.
SETTLEMENT_KINDS = ("city", "town", "village")

UNCOVERED_COLUMNS = ("district", "kind", "area_ha", "covered_ha", "uncovered_ha", "uncovered_pct")
OUTSIDE_COLUMNS = ("place_id", "name_en", "place_kind", "kind", "radius_m", "gap_m", "distance_m")


def coverage(facilities: gpd.GeoDataFrame, *, radii_m: Mapping[str, float], kinds: Sequence[str] | None = None,
             kind_column: str = "kind", id_column: str = "id", on_missing: OnMissing = "raise") -> gpd.GeoDataFrame:
    """Land within the service radius of a facility, one (multi)polygon per kind.

    Parameters
    ----------
    facilities : GeoDataFrame
        Points (or lines) in EPSG:32643 with `kind_column` and `id_column`.
    radii_m : mapping of str to float
        Service radius per kind, metres (``plan.service_radii_m``).
    kinds : sequence of str, optional
        Kinds to cover, in row order; default: the kinds of `radii_m`.
    kind_column, id_column : str
        Columns of `facilities`.
    on_missing : {'raise', 'warn'}, default 'raise'
        A kind with no facilities raises :class:`LayerError`; with ``'warn'``
        its coverage is empty (nothing covered), a ``UserWarning`` names it and
        the message is listed in ``result.attrs["warnings"]``.

    Returns
    -------
    GeoDataFrame
        One row per kind in EPSG:32643, indexed 0..: ``id`` and ``kind`` (the
        kind), ``radius_m``, ``facility_count``, ``facility_ids`` (semicolon
        list, in id order), and the union of 256-gon discs of ``radius_m``
        around each facility (a buffer around a line).

    Raises
    ------
    PlanError
        If a kind has no radius in `radii_m`, or a radius is not positive.
    LayerError
        If `facilities` is empty or lacks a column, or (by default) a kind has
        no facilities.
    CRSError
        If `facilities` is not in EPSG:32643.
    """
    check_working_crs((facilities, "facilities"))
    kinds = tuple(radii_m) if kinds is None else tuple(kinds)
    for kind in kinds:
        radius = radii_m.get(kind)
        if radius is None:
            raise PlanError(f"service_radii_m: no radius for kind {kind!r} (radii: {', '.join(radii_m) or 'none'})")
        if not (isinstance(radius, (int, float)) and math.isfinite(radius) and radius > 0):
            raise PlanError(f"service_radii_m.{kind}: must be a positive number of metres, got {radius!r}")
    missing = missing_kinds(facilities, kinds, kind_column=kind_column, what="facilities")
    require_columns(facilities, [id_column], what="facilities")
    messages = report_missing(missing, what="coverage", on_missing=on_missing,
                               consequence="its coverage is empty (nothing counts as covered)")
    rows = []
    for kind in kinds:
        subset = facilities[facilities[kind_column] == kind]
        geometries = geometry_array(subset)
        empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
        if empty.any():
            raise LayerError(f"facilities of kind {kind}: missing or empty geometry in row(s) "
                             f"{row_labels(subset.index, empty)}")
        discs = shapely.buffer(geometries, float(radii_m[kind]), quad_segs=BUFFER_QUAD_SEGS)
        ids = sorted(set(subset[id_column].astype(str)))
        rows.append({"id": kind, "kind": kind, "radius_m": float(radii_m[kind]), "facility_count": len(ids),
                     "facility_ids": ";".join(ids), "geometry": shapely.union_all(discs)})
    frame = gpd.GeoDataFrame(rows, columns=["id", "kind", "radius_m", "facility_count", "facility_ids", "geometry"],
                             geometry="geometry", crs=WORKING_CRS)
    frame.attrs["warnings"] = messages
    return frame


def _dissolved(frame: gpd.GeoDataFrame, *, id_column: str, what: str) -> tuple[list, np.ndarray]:
    """Ids in first-seen order and one united geometry per id."""
    require_columns(frame, [id_column], what=what)
    geometries = geometry_array(frame)
    empty = shapely.is_missing(geometries) | shapely.is_empty(geometries)
    if empty.any():
        raise LayerError(f"{what}: missing or empty geometry in row(s) {row_labels(frame.index, empty)}")
    ids = list(dict.fromkeys(frame[id_column]))
    keys = frame[id_column].to_numpy()
    united = np.array([shapely.union_all(geometries[keys == key]) for key in ids], dtype=object)
    return ids, united


def uncovered_by_district(districts: gpd.GeoDataFrame, coverage: gpd.GeoDataFrame, *,
                          id_column: str = "id") -> pd.DataFrame:
    """Area of each district outside the coverage of each kind.

    Parameters
    ----------
    districts : GeoDataFrame
        Polygons in EPSG:32643; rows sharing an id are one district.
    coverage : GeoDataFrame
        From :func:`coverage` (columns ``kind`` and geometry).
    id_column : str, default "id"
        Column of `districts` holding the district id.

    Returns
    -------
    DataFrame
        One row per district and kind (districts in first-seen order, kinds
        in coverage order): ``district``, ``kind``, ``area_ha``,
        ``covered_ha``, ``uncovered_ha`` (hectares, equal-area CRS;
        ``covered_ha + uncovered_ha = area_ha`` to rounding) and
        ``uncovered_pct`` (percent of ``area_ha``).

    Raises
    ------
    LayerError
        If a district has no area, or a column is missing.
    CRSError
        If either input is not in EPSG:32643.
    """
    check_working_crs((districts, "districts"), (coverage, "coverage"))
    require_columns(coverage, ["kind"], what="coverage")
    ids, shapes = _dissolved(districts, id_column=id_column, what="districts")
    area = area_ha(gpd.GeoSeries(shapes, crs=WORKING_CRS)).to_numpy()
    if (area <= 0).any():
        raise LayerError(f"districts: no area in {row_labels(pd.Index(ids), area <= 0)}")
    tables = []
    for kind, covered_shape in zip(coverage["kind"], geometry_array(coverage), strict=True):
        covered = area_ha(gpd.GeoSeries(shapely.intersection(shapes, covered_shape), crs=WORKING_CRS)).to_numpy()
        uncovered = area_ha(gpd.GeoSeries(shapely.difference(shapes, covered_shape), crs=WORKING_CRS)).to_numpy()
        tables.append(pd.DataFrame({
            "district": ids, "kind": kind, "area_ha": area, "covered_ha": covered, "uncovered_ha": uncovered,
            "uncovered_pct": 100.0 * uncovered / area,
        }))
    if not tables:
        return pd.DataFrame({column: [] for column in UNCOVERED_COLUMNS})
    return pd.concat(tables, ignore_index=True)[list(UNCOVERED_COLUMNS)]


def settlements_outside(places: gpd.GeoDataFrame, coverage: gpd.GeoDataFrame, *,
                        place_kinds: Sequence[str] | None = SETTLEMENT_KINDS) -> pd.DataFrame:
    """Settlements outside the service radius of every facility of a kind.

    Parameters
    ----------
    places : GeoDataFrame
        Points in EPSG:32643 with ``id``, ``name_en`` and ``kind`` (the
        ``places`` layer).
    coverage : GeoDataFrame
        From :func:`coverage` (columns ``kind``, ``radius_m``, ``facility_count``).
    place_kinds : sequence of str or None, default :data:`SETTLEMENT_KINDS`
        Place kinds counted as settlements; ``None`` takes every place.

    Returns
    -------
    DataFrame
        One row per settlement and kind it lies outside of, settlements in
        `places` order and kinds in coverage order: ``place_id``,
        ``name_en``, ``place_kind``, ``kind`` (facility kind), ``radius_m``,
        ``gap_m`` (distance to the covered land, metres) and ``distance_m``
        (to the nearest facility of the kind: ``gap_m + radius_m``, exact for
        true discs; the 256-gon discs make it at most ``radius_m * 7.5e-5``
        too long, 0.75 m at 10 km). A kind without facilities (see
        :func:`coverage`, ``on_missing='warn'``) lists every settlement with
        ``gap_m`` and ``distance_m`` missing (``<NA>``), and the message is
        carried over to ``result.attrs["warnings"]``.

    Raises
    ------
    LayerError
        If a column is missing or a place has no geometry.
    CRSError
        If either input is not in EPSG:32643.
    """
    check_working_crs((places, "places"), (coverage, "coverage"))
    require_columns(places, ["id", "name_en"] + (["kind"] if place_kinds is not None else []), what="places")
    require_columns(coverage, ["kind", "radius_m", "facility_count"], what="coverage")
    chosen = places if place_kinds is None else places[places["kind"].isin(list(place_kinds))]
    points = point_xy(chosen, what="places")
    tables = []
    for row, covered_shape in zip(coverage.itertuples(index=False), geometry_array(coverage), strict=True):
        if row.facility_count == 0 or covered_shape is None or covered_shape.is_empty:
            gap = pd.array([pd.NA] * len(chosen), dtype="Float64")
            outside = np.ones(len(chosen), dtype=bool)
        else:
            gap = shapely.distance(shapely.points(points), covered_shape)
            outside = gap > 0
            gap = pd.array(gap, dtype="Float64")
        table = pd.DataFrame({
            "place_id": chosen["id"].to_numpy(), "name_en": chosen["name_en"].to_numpy(),
            "place_kind": chosen["kind"].to_numpy() if "kind" in chosen else pd.NA,
            "kind": row.kind, "radius_m": float(row.radius_m), "gap_m": gap,
        })[outside]
        table["distance_m"] = table["gap_m"] + table["radius_m"]
        tables.append(table)
    result = (pd.concat(tables, ignore_index=True)[list(OUTSIDE_COLUMNS)] if tables
              else pd.DataFrame({column: [] for column in OUTSIDE_COLUMNS}))
    result.attrs["warnings"] = list(coverage.attrs.get("warnings", []))
    return result
