"""Layers made ready for export: sorted by id, checked, in WGS84 and on the coordinate grid.

The GeoJSON files, the GeoPackage and the manifest all write the same
geometries: projected to WGS84 (lon, lat), rounded on a grid of
``10**-precision`` degrees without making a geometry invalid, exterior rings
counter-clockwise and holes clockwise (RFC 7946).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.core.errors import ExportError, LayerError
from alatau_geo.core.layers import Layer, LayerSet

#: Decimals of the exported WGS84 coordinates (6 decimals is about 0.1 m).
DEFAULT_PRECISION = 6
#: Most decimals an export accepts.
MAX_PRECISION = 10


def check_precision(precision: int) -> None:
    """Refuse a number of decimals outside 0 to :data:`MAX_PRECISION`.

    Raises
    ------
    ExportError
        If `precision` is not a whole number from 0 to 10.
    """
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= MAX_PRECISION:
        raise ExportError(f"precision must be a whole number of decimals from 0 to {MAX_PRECISION}, got {precision!r}")


def feature_label(layer: Layer, feature_id: Any) -> str:
    """How messages name one feature: ``layer <name>: feature id=<id>``."""
    return f"layer {layer.name}: feature id={feature_id}"


def _export_geometry(geometry: BaseGeometry, *, precision: int, label: str) -> BaseGeometry:
    """One WGS84 geometry snapped to the coordinate grid, valid and RFC 7946 oriented."""
    if not np.isfinite(shapely.get_coordinates(geometry, include_z=geometry.has_z)).all():
        raise LayerError(f"{label}: cannot project to WGS84 (non-finite coordinates)")
    try:
        # set_precision keeps the result valid (it re-nodes where snapping
        # would make rings cross), which plain rounding does not.
        snapped = shapely.set_precision(geometry, 10.0**-precision)
    except GEOSException as error:
        raise LayerError(f"{label}: geometry cannot be rounded to {precision} decimals ({error})") from None
    if snapped.is_empty:
        raise LayerError(f"{label}: geometry collapses to nothing at {precision} decimals")
    if snapped.geom_type in ("Polygon", "MultiPolygon"):
        # normalize() fixes where each ring starts and the order of parts, so
        # exporting a layer read back from an export gives the same bytes.
        # Not for lines: it would reverse rivers that flow westwards.
        snapped = shapely.normalize(snapped)
    oriented = shapely.orient_polygons(snapped, exterior_cw=False)
    # Make each coordinate the double nearest to its printed decimal, so the
    # geometry checked here is exactly the one a reader parses.
    exact = shapely.transform(oriented, lambda coords: np.round(coords, precision), include_z=None)
    if not exact.is_valid:
        reason = shapely.is_valid_reason(exact)
        raise LayerError(f"{label}: geometry becomes invalid at {precision} decimals ({reason})")
    return exact


@dataclass(frozen=True)
class PreparedLayer:
    """A layer sorted by id, and its frame exactly as written (WGS84, rounded, oriented)."""

    layer: Layer
    frame: gpd.GeoDataFrame


def prepare_layer(layer: Layer, *, precision: int) -> PreparedLayer:
    """Sort, check, project and round one layer for export.

    Parameters
    ----------
    layer : Layer
        Features in the working CRS (EPSG:32643).
    precision : int
        Decimals of the WGS84 coordinates, degrees.

    Returns
    -------
    PreparedLayer

    Raises
    ------
    LayerError
        Naming the layer and feature id of an empty, missing or invalid geometry.
    """
    layer = layer.sorted()
    frame = layer.frame
    geometries = frame.geometry
    for feature_id, geometry in zip(frame["id"], geometries, strict=True):
        if geometry is None or geometry.is_empty:
            raise LayerError(f"{feature_label(layer, feature_id)}: empty geometry; remove the feature or give it one")
        if not geometry.is_valid:
            raise LayerError(
                f"{feature_label(layer, feature_id)}: invalid geometry ({shapely.is_valid_reason(geometry)}); "
                "repair it (e.g. shapely.make_valid) before export"
            )
    projected = geometries.to_crs(EXPORT_CRS)
    exported = [
        _export_geometry(geometry, precision=precision, label=feature_label(layer, feature_id))
        for feature_id, geometry in zip(frame["id"], projected, strict=True)
    ]
    exported_series = gpd.GeoSeries(exported, index=frame.index, crs=EXPORT_CRS, name=geometries.name)
    return PreparedLayer(layer, frame.set_geometry(exported_series))


def geometry_type_of(geometries: gpd.GeoSeries) -> str:
    """The geometry type of a layer as written (``Geometry`` when mixed, ``Unknown`` when empty).

    The same rule as :attr:`Layer.geometry_type`, applied to the geometries
    as written (rounding may split a polygon into a multipolygon).
    """
    types = set(geometries.geom_type.dropna())
    if not types:
        return "Unknown"
    base = {kind.removeprefix("Multi") for kind in types}
    if len(base) != 1:
        return "Geometry"
    (kind,) = base
    return f"Multi{kind}" if any(t.startswith("Multi") for t in types) else kind


def _layer_list(layers: Iterable[Layer] | LayerSet) -> list[Layer]:
    # A LayerSet iterates over names, like any Mapping.
    items = list(layers.values()) if isinstance(layers, Mapping) else list(layers)
    LayerSet(items)  # refuses two layers with one name
    return sorted(items, key=lambda layer: layer.name)


def prepare_layers(layers: Iterable[Layer] | LayerSet, *, precision: int) -> list[PreparedLayer]:
    """Every layer prepared for export (:func:`prepare_layer`), sorted by name.

    Raises
    ------
    LayerError
        If two layers share a name, or as :func:`prepare_layer`.
    ExportError
        If `precision` is not 0 to 10.
    """
    check_precision(precision)
    return [prepare_layer(layer, precision=precision) for layer in _layer_list(layers)]
