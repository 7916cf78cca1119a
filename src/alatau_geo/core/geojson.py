"""GeoJSON (RFC 7946) text of one layer, and reading it back.

The text is WGS84 (lon, lat) with no ``crs`` member, exterior rings
counter-clockwise and holes clockwise, coordinates rounded on a grid of
``10**-precision`` degrees without making a geometry invalid
(:mod:`alatau_geo.core.export_geometry`). Features are written in ``id``
order, one per line, so identical layers give identical bytes and a changed
feature shows as one changed line in a diff. The layer's name, title and
provenance travel as foreign members of the FeatureCollection, so
:func:`read_layer` gives back the layer that was written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from alatau_geo.core.atomic import atomic_write, text_writer
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.core.export_geometry import (
    DEFAULT_PRECISION,
    ExportedGeometries,
    PreparedLayer,
    check_precision,
    feature_label,
    geometry_keys,
    prepare_layer,
    projected_valid,
    remembered,
)
from alatau_geo.core.geojson_geometry import format_coordinate, geometries_from_json, geometry_texts
from alatau_geo.core.layers import Layer, Provenance

__all__ = [
    "as_exported", "collection_text", "format_coordinate", "geojson_text", "json_text", "json_value",
    "load_json", "property_columns", "provenance_json", "read_layer", "require_member", "write_geojson",
]

#: Significant digits of the float properties written.
PROPERTY_SIGNIFICANT_DIGITS = 6


def _round_float(value: float) -> float | None:
    """Round to 6 significant digits, but never into the integer part.

    Keeping whole digits matters for counts stored as floats (a column of
    integers with a gap becomes float64): 1234567.0 stays 1234567.0.
    """
    if math.isnan(value):
        return None
    if value == 0 or math.isinf(value):
        return value  # inf is refused later by json.dumps(allow_nan=False)
    whole_digits = math.floor(math.log10(abs(value))) + 1
    return round(value, max(PROPERTY_SIGNIFICANT_DIGITS - whole_digits, 0))


def json_value(value: Any, *, where: str, round_floats: bool) -> Any:
    """Plain JSON data for one value; NaN and NA become ``None``.

    Parameters
    ----------
    value : object
        A cell or a provenance value: numbers, text, timestamps, paths, and
        mappings and sequences of them.
    where : str
        Names the value in messages (layer, feature id, column).
    round_floats : bool
        Round floats to :data:`PROPERTY_SIGNIFICANT_DIGITS` significant
        digits without losing whole digits.

    Returns
    -------
    object
        Data ``json.dumps`` can write; timestamps as ISO 8601 text.

    Raises
    ------
    LayerError
        If the value is of a type JSON cannot hold.
    """
    if isinstance(value, Mapping):
        return {str(k): json_value(v, where=where, round_floats=round_floats) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_value(v, where=where, round_floats=round_floats) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)  # .item() would give nanoseconds as an int
        return None if value is pd.NaT else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return _round_float(value) if round_floats else (None if math.isnan(value) else value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise LayerError(f"{where}: cannot write a value of type {type(value).__name__} ({value!r:.40})")


_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
"""What ``json.dumps(data, ensure_ascii=False, allow_nan=False)`` encodes with, made once, not for each feature."""


def json_text(data: Any, *, where: str) -> str:
    """JSON text of plain data on one line, non-ASCII kept.

    Raises
    ------
    LayerError
        If the data hold an infinite number; the message starts with `where`.
    """
    try:
        return _JSON.encode(data)
    except ValueError:
        raise _infinite(where) from None


def _infinite(where: str) -> LayerError:
    return LayerError(f"{where}: infinite number; JSON cannot hold it")


def _property_columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [column for column in frame.columns if column != frame.geometry.name]


def _checked_id(layer: Layer, feature_id: Any) -> str | int:
    if isinstance(feature_id, np.generic):
        feature_id = feature_id.item()
    if isinstance(feature_id, bool) or not isinstance(feature_id, (str, int)):
        where = feature_label(layer, feature_id)
        raise LayerError(f"{where}: id must be a string or an integer, got {type(feature_id).__name__}")
    return feature_id


def _column_values(series: pd.Series, labels: list[str]) -> list[Any]:
    """:func:`json_value` of every cell of one column (floats rounded), by the column's dtype."""
    cells = series.tolist()  # numpy scalars become Python numbers here
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else ""
    if kind in "biu" and kind:
        return cells
    if kind == "f":
        return [_round_float(cell) for cell in cells]
    where = [f"{label}: column {series.name}" for label in labels]
    if isinstance(series.dtype, pd.StringDtype):
        return [cell if isinstance(cell, str) else json_value(cell, where=w, round_floats=True)
                for cell, w in zip(cells, where, strict=True)]
    return [json_value(cell, where=w, round_floats=True) for cell, w in zip(cells, where, strict=True)]


def property_columns(prepared: PreparedLayer) -> dict[str, list[Any]]:
    """Each property column of a prepared layer as the plain JSON values its export holds, by column name.

    Floats are rounded as written (:data:`PROPERTY_SIGNIFICANT_DIGITS`),
    NaN and NA are None, timestamps ISO 8601 text: two layers whose export
    would hold the same properties give equal columns.

    Raises
    ------
    LayerError
        If a value is of a type JSON cannot hold.
    """
    layer, frame = prepared.layer, prepared.frame
    labels = [feature_label(layer, feature_id) for feature_id in frame["id"]]
    return {str(column): _column_values(frame[column], labels) for column in _property_columns(frame)}


def _exported_properties(prepared: PreparedLayer) -> list[dict[str, Any]]:
    """Each feature's properties as plain JSON data (what a reader of the export parses)."""
    columns = property_columns(prepared)
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _feature_text(layer: Layer, feature_id: str | int, properties: Mapping[str, Any], geometry: str) -> str:
    try:
        return ('{"type": "Feature", "id": ' + _JSON.encode(feature_id) + ', "properties": '
                + _JSON.encode(properties) + ', "geometry": ' + geometry + "}")
    except ValueError:  # the feature is named only then: thousands of features, one message
        raise _infinite(feature_label(layer, feature_id)) from None


def provenance_json(layer: Layer) -> dict[str, Any]:
    """The layer's provenance as plain JSON data, as the GeoJSON header and the manifest hold it.

    Raises
    ------
    LayerError
        If a parameter is of a type JSON cannot hold.
    """
    provenance = layer.provenance.as_dict()
    return json_value(provenance, where=f"layer {layer.name}: provenance", round_floats=False)


def _header(layer: Layer) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "name": layer.name,
        "title": layer.title,
        "provenance": provenance_json(layer),
    }


def collection_text(prepared: PreparedLayer, *, precision: int, memo: ExportedGeometries | None = None) -> str:
    """The GeoJSON text of a layer already prepared for export (see :func:`geojson_text`).

    `memo` keeps each feature's geometry text between calls, by its exported
    geometry (entry ``<layer>#text``): after an edit, only the geometries
    that changed are written out again.
    """
    layer, frame = prepared.layer, prepared.frame
    ids = [_checked_id(layer, feature_id) for feature_id in frame["id"]]
    properties = _exported_properties(prepared)
    values = np.asarray(frame.geometry.values, dtype=object)
    if memo is None:
        geometries = geometry_texts(values, precision=precision)
    else:
        geometries = _remembered_texts(f"{layer.name}#text", values, precision=precision, memo=memo)
    features = [
        _feature_text(layer, feature_id, row, geometry)
        for feature_id, row, geometry in zip(ids, properties, geometries, strict=True)
    ]
    # Header, one feature per line, footer: still one valid JSON document.
    header = json_text(_header(layer), where=f"layer {layer.name}")[:-1] + ', "features": ['
    body = ",\n".join(features)
    return header + "\n" + (body + "\n" if body else "") + "]}\n"


def _remembered_texts(entry: str, values: np.ndarray, *, precision: int, memo: ExportedGeometries) -> list[str]:
    """:func:`geometry_texts` of `values`, each text kept in ``memo[entry]`` read back from it; it then holds these."""
    keys = geometry_keys(values, crs=EXPORT_CRS, precision=precision)
    texts = remembered(memo, entry, keys, lambda missing: [
        text.encode("utf-8") for text in geometry_texts(values[missing], precision=precision)])
    return [text.decode("utf-8") for text in texts]


def geojson_text(layer: Layer, *, precision: int = DEFAULT_PRECISION) -> str:
    """The layer as RFC 7946 GeoJSON text.

    Parameters
    ----------
    layer : Layer
        Features in the working CRS (EPSG:32643).
    precision : int, default 6
        Decimals of the WGS84 coordinates, degrees (6 decimals is about 0.1 m).

    Returns
    -------
    str
        A FeatureCollection with foreign members ``name``, ``title`` and
        ``provenance`` and no ``crs`` member; features in ``id`` order, one
        per line, each with a top-level ``id`` and every non-geometry column
        in ``properties`` (NaN/NA as null, floats to 6 significant digits
        without losing whole digits, timestamps as ISO 8601). Coordinates are
        (longitude, latitude) in degrees; a height, if any, is kept and rounded
        to the same number of decimals (metres). Identical layers give
        identical text.

    Raises
    ------
    LayerError
        If a feature has an empty or invalid geometry, an id that is neither
        a string nor an integer, or a value JSON cannot hold; the message
        names the layer and the feature id.
    ExportError
        If `precision` is not 0 to 10.
    """
    check_precision(precision)
    return collection_text(prepare_layer(layer, precision=precision), precision=precision)


def write_geojson(layer: Layer, path: str | Path, *, precision: int = DEFAULT_PRECISION) -> Path:
    """Write :func:`geojson_text` of `layer` to `path` (UTF-8), atomically.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    LayerError, ExportError
        As :func:`geojson_text` and :func:`alatau_geo.core.atomic.atomic_path`.
    """
    return atomic_write(path, text_writer(geojson_text(layer, precision=precision)))


# --------------------------------------------------------------------------- reading


def load_json(path: Path) -> Any:
    """The parsed content of a JSON file.

    Raises
    ------
    LayerError
        One line naming the file: not found, a folder, unreadable, not UTF-8,
        or not valid JSON (with the line and column).
    """
    return _parse_json(_read_bytes(path), path=path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LayerError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise LayerError(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise LayerError(f"{path}: cannot read ({error.strerror or error})") from None


def _parse_json(data: bytes, *, path: Path) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LayerError(f"{path}: not UTF-8 text (byte 0x{data[error.start]:02X} at offset {error.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise LayerError(f"{path}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno})") from None


def require_member(
    data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], *, path: Path, where: str = ""
) -> Any:
    """``data[key]`` when it is of type `kind`.

    Raises
    ------
    LayerError
        ``<path>: <where>missing or malformed '<key>'``.
    """
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, kind):
        raise LayerError(f"{path}: {where}missing or malformed '{key}'")
    return value


def _provenance(data: Any, *, path: Path) -> Provenance:
    if not isinstance(data, Mapping):
        raise LayerError(f"{path}: missing or malformed 'provenance'")
    try:
        return Provenance(
            source=str(data["source"]), method=str(data["method"]),
            parameters=dict(data.get("parameters") or {}), quality=data.get("quality", "derived"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise LayerError(f"{path}: bad 'provenance' ({error})") from None


def _feature_row(feature: Any, *, path: Path, number: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A feature's properties (its id among them) and its geometry object, checked for shape."""
    where = f"feature {number}: "
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise LayerError(f"{path}: {where}not a GeoJSON Feature")
    properties = dict(require_member(feature, "properties", dict, path=path, where=where))
    if "id" not in properties and "id" in feature:
        properties = {"id": feature["id"], **properties}
    return properties, require_member(feature, "geometry", dict, path=path, where=where)


def _geometries(objects: list[dict[str, Any]], *, path: Path) -> list[BaseGeometry]:
    """The features' geometries, all at once; one by one (naming the feature a bad one spoils) when that fails."""
    try:
        return list(geometries_from_json(objects))
    except ValueError:
        pass
    geometries = []
    for number, item in enumerate(objects, start=1):
        try:
            geometries.append(shape(item))
        except (ShapelyError, KeyError, TypeError, ValueError, AttributeError) as error:
            raise LayerError(f"{path}: feature {number}: bad geometry ({error})") from None
    return geometries


def read_layer(path: str | Path, *, check: Callable[[Path, bytes], None] | None = None) -> Layer:
    """Read one GeoJSON file written by :func:`write_geojson` back into a Layer.

    Parameters
    ----------
    path : str or Path
    check : callable, optional
        Called with the path and the bytes read once they have been read into
        a layer (:func:`alatau_geo.core.generation.check_member` checks them
        against the folder's manifest); it raises to refuse them.

    Returns
    -------
    Layer
        In the working CRS (EPSG:32643), with name, title and provenance from
        the FeatureCollection's foreign members.

    Raises
    ------
    LayerError
        One line naming the file and the problem.
    """
    path = Path(path)
    data = _read_bytes(path)
    layer = _layer_from_json(_parse_json(data, path=path), path=path)
    if check is not None:
        check(path, data)
    return layer


def as_exported(layer: Layer, *, precision: int = DEFAULT_PRECISION,
                memo: ExportedGeometries | None = None) -> Layer:
    """The layer exactly as a reader of its GeoJSON export gets it back.

    Layers built on top of other layers are built on their exported form, so
    a build from the tiles and a build from committed layers agree to the byte.
    No text is written and parsed: the geometries as exported are already
    the doubles a reader parses (:mod:`alatau_geo.core.export_geometry`), and
    the properties are the plain JSON data the text would hold; the same
    checks as :func:`geojson_text` run. `memo` keeps exported geometries
    between calls (:func:`~alatau_geo.core.export_geometry.prepare_layer`).
    """
    check_precision(precision)
    prepared = prepare_layer(layer, precision=precision, memo=memo)
    ids = [_checked_id(prepared.layer, feature_id) for feature_id in prepared.frame["id"]]
    rows = _exported_properties(prepared)
    try:
        json.dumps(rows, allow_nan=False)
    except ValueError:  # the text could not hold it: name the feature as geojson_text does
        for feature_id, row in zip(ids, rows, strict=True):
            json_text(row, where=feature_label(prepared.layer, feature_id))
    header = json.loads(json_text(_header(prepared.layer), where=f"layer {layer.name}"))
    geometries = list(prepared.frame.geometry.values)
    return _layer_from_parts(header, rows, geometries, path=Path(f"<{layer.name}>"))


def _layer_from_json(data: Any, *, path: Path) -> Layer:
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise LayerError(f"{path}: not a GeoJSON FeatureCollection")
    features = require_member(data, "features", list, path=path)
    rows, objects = [], []
    for number, feature in enumerate(features, start=1):
        row, geometry = _feature_row(feature, path=path, number=number)
        rows.append(row)
        objects.append(geometry)
    return _layer_from_parts(data, rows, _geometries(objects, path=path), path=path)


def _layer_from_parts(header: Mapping[str, Any], rows: list[dict[str, Any]], geometries: list[BaseGeometry], *,
                      path: Path) -> Layer:
    """A layer from a FeatureCollection's foreign members and its features' properties and geometries."""
    name = require_member(header, "name", str, path=path)
    table = pd.DataFrame(rows) if rows else pd.DataFrame({"id": pd.Series([], dtype=object)})
    # Valid in the file, valid in the working CRS too: an overlay of the layer read back must not fail.
    working = projected_valid(np.asarray(geometries, dtype=object), crs=EXPORT_CRS, to=WORKING_CRS)
    frame = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(working, crs=WORKING_CRS), crs=WORKING_CRS)
    try:
        return Layer(
            name=name, frame=frame,
            provenance=_provenance(header.get("provenance"), path=path), title=str(header.get("title") or ""),
        )
    except LayerError as error:
        raise LayerError(f"{path}: {error}") from None
