"""Layers made ready for export: sorted by id, checked, in WGS84 and on the coordinate grid.

The GeoJSON files, the GeoPackage and the manifest all write the same
geometries: projected to WGS84 (lon, lat), rounded on a grid of
``10**-precision`` degrees without making a geometry invalid, exterior rings
counter-clockwise and holes clockwise (RFC 7946).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping
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
    """One WGS84 geometry snapped to the coordinate grid, valid and RFC 7946 oriented.

    The one-feature form of :func:`_export_geometries`; it names the feature
    in its messages, so the array form falls back to it to report a failure.
    """
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


def _finite(geometries: np.ndarray) -> np.ndarray:
    """Per geometry: whether every coordinate (with its height, if any) is finite."""
    finite = np.ones(len(geometries), dtype=bool)
    has_z = shapely.has_z(geometries)
    for mask, include_z in ((~has_z, False), (has_z, True)):
        if mask.any():
            coords, index = shapely.get_coordinates(geometries[mask], include_z=include_z, return_index=True)
            bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
            finite[np.flatnonzero(mask)[bad]] = False
    return finite


def _export_geometries(geometries: np.ndarray, *, precision: int, labels: list[str]) -> np.ndarray:
    """:func:`_export_geometry` on an array of WGS84 geometries at once (shapely's vectorised functions).

    Each step is the same GEOS operation per geometry, so the result is
    identical to the one-feature form; where a geometry fails, that form
    runs on it to raise the message naming the feature.
    """

    def fail_at(position: int) -> None:
        _export_geometry(geometries[position], precision=precision, label=labels[position])
        raise AssertionError("unreachable: the one-feature export did not fail")  # pragma: no cover

    finite = _finite(geometries)
    if not finite.all():
        fail_at(int(np.flatnonzero(~finite)[0]))
    try:
        snapped = shapely.set_precision(geometries, 10.0**-precision)
    except GEOSException:
        for position in range(len(geometries)):
            _export_geometry(geometries[position], precision=precision, label=labels[position])
        raise
    empty = shapely.is_empty(snapped)
    if empty.any():
        fail_at(int(np.flatnonzero(empty)[0]))
    polygonal = np.isin(shapely.get_type_id(snapped), (3, 6))  # Polygon, MultiPolygon: see _export_geometry
    snapped[polygonal] = shapely.normalize(snapped[polygonal])
    oriented = shapely.orient_polygons(snapped, exterior_cw=False)
    exact = shapely.transform(oriented, lambda coords: np.round(coords, precision), include_z=None)
    valid = shapely.is_valid(exact)
    if not valid.all():
        fail_at(int(np.flatnonzero(~valid)[0]))
    return exact


def projected_valid(geometries: np.ndarray, *, crs: Any, to: Any) -> np.ndarray:
    """`geometries` projected from `crs` to `to`, each one valid before still valid after.

    Projecting bends edges by different amounts, so where a valid ring comes
    within a fraction of a millimetre of itself (zones clipped against each
    other do) the projected ring can cross itself there; GEOS then refuses
    to snap it to the export's grid, or to overlay it with others. Such a
    crossing is far below the exported precision; it is repaired by GEOS's
    "structure" method, which keeps the polygons polygons. A geometry
    invalid before is left as it is, for the checks that name it.
    """
    projected = np.asarray(gpd.GeoSeries(geometries, crs=crs).to_crs(to).values, dtype=object)
    crossed = ~shapely.is_valid(projected) & ~shapely.is_missing(projected)
    if crossed.any():
        crossed[crossed] = shapely.is_valid(geometries[crossed])
        projected[crossed] = shapely.make_valid(projected[crossed], method="structure", keep_collapsed=False)
    return projected


@dataclass(frozen=True)
class PreparedLayer:
    """A layer sorted by id, and its frame exactly as written (WGS84, rounded, oriented)."""

    layer: Layer
    frame: gpd.GeoDataFrame


ExportedGeometries = MutableMapping[str, Mapping[bytes, bytes]]
"""Geometries already exported, kept between calls of :func:`prepare_layer`.

By layer name: the exported geometry (WKB) of each feature of the version
of that layer last prepared, by the feature's :func:`geometry_keys` key.
"""


def geometry_keys(geometries: np.ndarray, *, crs: Any, precision: int) -> list[bytes | None]:
    """The key of each geometry's exported form: a digest of its WKB, its CRS and `precision` (None if missing).

    Each step of the export works on one geometry at a time, so two
    geometries with the same key export to the same geometry, to the bit.
    """
    base = hashlib.blake2b(f"{precision}\n{crs}\n".encode(), digest_size=16)
    keys: list[bytes | None] = []
    for wkb in shapely.to_wkb(geometries):
        if wkb is None:
            keys.append(None)
            continue
        digest = base.copy()
        digest.update(wkb)
        keys.append(digest.digest())
    return keys


def prepare_layer(layer: Layer, *, precision: int, memo: ExportedGeometries | None = None) -> PreparedLayer:
    """Sort, check, project and round one layer for export.

    Parameters
    ----------
    layer : Layer
        Features in the working CRS (EPSG:32643).
    precision : int
        Decimals of the WGS84 coordinates, degrees.
    memo : mapping, optional
        Geometries exported before (:data:`ExportedGeometries`): a feature
        whose geometry was exported then, and so checked, is read back from
        it instead of being checked and exported again. It then holds this
        version of the layer. After an edit of one district, most
        population blocks and every reference layer are as before.

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
    values = np.asarray(frame.geometry.values, dtype=object)
    ids = frame["id"].to_numpy(dtype=object)
    if memo is None:
        exported = _checked_export(layer, values, ids, precision=precision)
    else:
        exported = _remembered_export(layer, values, ids, precision=precision, memo=memo)
    exported_series = gpd.GeoSeries(exported, index=frame.index, crs=EXPORT_CRS, name=frame.geometry.name)
    return PreparedLayer(layer, frame.set_geometry(exported_series))


def _checked_export(layer: Layer, values: np.ndarray, ids: np.ndarray, *, precision: int) -> np.ndarray:
    """The exported geometries of some features of `layer` (their geometries `values`, their `ids`), checked."""
    empty = shapely.is_missing(values) | shapely.is_empty(values)
    invalid = ~empty & ~shapely.is_valid(values)
    if (empty | invalid).any():
        position = int(np.flatnonzero(empty | invalid)[0])
        label = feature_label(layer, ids[position])
        if empty[position]:
            raise LayerError(f"{label}: empty geometry; remove the feature or give it one")
        raise LayerError(
            f"{label}: invalid geometry ({shapely.is_valid_reason(values[position])}); "
            "repair it (e.g. shapely.make_valid) before export"
        )
    projected = projected_valid(values, crs=layer.frame.crs, to=EXPORT_CRS)
    labels = [feature_label(layer, feature_id) for feature_id in ids]
    return _export_geometries(projected, precision=precision, labels=labels)


def _remembered_export(layer: Layer, values: np.ndarray, ids: np.ndarray, *, precision: int,
                       memo: ExportedGeometries) -> np.ndarray:
    """:func:`_checked_export` of every feature, each found in `memo` read back from it; `memo` then holds these."""
    keys = geometry_keys(values, crs=layer.frame.crs, precision=precision)
    wkbs = remembered(memo, layer.name, keys, lambda missing: shapely.to_wkb(
        _checked_export(layer, values[missing], ids[missing], precision=precision)).tolist())
    return shapely.from_wkb(wkbs)


def remembered(memo: ExportedGeometries, entry: str, keys: list[bytes | None],
               make: Callable[[np.ndarray], list[bytes]]) -> list[bytes]:
    """Each key's bytes kept in ``memo[entry]``; `make` gives those of the positions (an index array) not kept.

    ``memo[entry]`` then holds exactly these keys: the version of the layer
    last made. A missing key (None) is never found.
    """
    kept = memo.get(entry, {})
    found = [kept.get(key) if key is not None else None for key in keys]
    missing = [position for position, item in enumerate(found) if item is None]
    if missing:
        for position, item in zip(missing, make(np.asarray(missing, dtype=np.intp)), strict=True):
            found[position] = item
    if missing or len(kept) != len(set(keys)):
        memo[entry] = dict(zip(keys, found, strict=True))
    return found  # type: ignore[return-value]  # every position is filled


def _layer_list(layers: Iterable[Layer] | LayerSet) -> list[Layer]:
    # A LayerSet iterates over names, like any Mapping.
    items = list(layers.values()) if isinstance(layers, Mapping) else list(layers)
    LayerSet(items)  # refuses two layers with one name
    return sorted(items, key=lambda layer: layer.name)


def prepare_layers(layers: Iterable[Layer] | LayerSet, *, precision: int,
                   known: Mapping[str, PreparedLayer] | None = None) -> list[PreparedLayer]:
    """Every layer prepared for export (:func:`prepare_layer`), sorted by name.

    `known` holds layers already prepared at `precision` (from a cache: the
    caller vouches that each is what :func:`prepare_layer` gives for the layer
    of that name); they are used as they are.

    Raises
    ------
    LayerError
        If two layers share a name, or as :func:`prepare_layer`.
    ExportError
        If `precision` is not 0 to 10.
    """
    check_precision(precision)
    known = known or {}
    return [known[layer.name] if layer.name in known else prepare_layer(layer, precision=precision)
            for layer in _layer_list(layers)]
