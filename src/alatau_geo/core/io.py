"""Reading and writing vector files: the only module of alatau-geo that touches disk.

Exports
-------
- GeoJSON per layer, RFC 7946: WGS84 (lon, lat), no ``crs`` member, exterior
  rings counter-clockwise, holes clockwise, coordinates rounded on a grid of
  ``10**-precision`` degrees without making a geometry invalid. Features are
  written in ``id`` order, one per line, so identical layers give identical
  bytes and a changed feature shows as one changed line in a diff.
- One GeoPackage holding every layer (what QGIS users open), with the
  provenance as GDAL layer metadata and in a ``layer_provenance`` table.
- ``manifest.json``, the index :func:`read_layers` reads back.

Every output is written to a temporary file beside the target and renamed
over it (:func:`atomic_path`), so a failed export never leaves a half-written
file where a good one was.

Rasters
-------
:func:`write_raster` and :func:`read_raster` store a single-band
:class:`~alatau_geo.core.raster.Raster` as a compressed GeoTIFF (the working-grid
DEM kept beside the layers, the terrain cache).

Inputs
------
:func:`read_vector` reads a user's file through an explicit suffix table
(:data:`VECTOR_DRIVERS`) and turns every GDAL failure into a one-line
:class:`~alatau_geo.core.errors.LayerError`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import rasterio
import rasterio.errors
import shapely
from pyproj import CRS
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import AlatauGeoError, CRSError, ExportError, InputDataError, LayerError
from alatau_geo.core.layers import Layer, LayerSet, Provenance

if TYPE_CHECKING:
    from alatau_geo.core.raster import Raster

logger = logging.getLogger(__name__)

#: Value written for nodata cells, per GeoTIFF sample type :func:`write_raster` accepts.
RASTER_NODATA: Mapping[str, float] = {"int16": -32768, "float32": math.nan}
#: File suffixes :func:`read_vector` accepts, and the GDAL driver each must be.
VECTOR_DRIVERS: Mapping[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
}
MANIFEST_NAME = "manifest.json"
PROVENANCE_TABLE = "layer_provenance"
PROVENANCE_COLUMNS = (
    "layer", "title", "geometry_type", "feature_count", "source", "method", "parameters", "quality",
)
DEFAULT_PRECISION = 6
PROPERTY_SIGNIFICANT_DIGITS = 6
_MAX_PRECISION = 10
# GDAL's complaints about a file (DataLayerError also covers geometry, field
# and CRS errors); anything else raised while reading is a bug of ours.
_GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)


# --------------------------------------------------------------------------- atomic writes


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Give a temporary path to write; on success rename it over `path`.

    The temporary file lives in a fresh hidden folder beside `path` (same
    file system, so :func:`os.replace` is atomic) and has the same name as
    `path`, so drivers that look at the suffix behave as for the target.

    Parameters
    ----------
    path : str or Path
        The file to create or replace. Its folder must exist.

    Yields
    ------
    Path
        Where to write. If the ``with`` block raises, the temporary file is
        removed, `path` is left as it was and the error propagates.

    Raises
    ------
    ExportError
        If the folder is missing or not writable, or nothing was written;
        an ``OSError`` from the ``with`` block is re-raised as ``ExportError``.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise ExportError(f"{target}: folder {target.parent} does not exist")
    try:
        workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as error:
        raise ExportError(f"{target}: cannot write in {target.parent} ({error.strerror or error})") from None
    temporary = workdir / target.name
    try:
        yield temporary
        if not temporary.is_file():
            raise ExportError(f"{target}: nothing was written")
        _flush_to_disk(temporary)
        os.replace(temporary, target)
    except OSError as error:
        if isinstance(error, AlatauGeoError):
            raise
        raise ExportError(f"{target}: cannot write ({error.strerror or error})") from error
    finally:
        # Also removes files a driver left beside the temporary file (journals).
        shutil.rmtree(workdir, ignore_errors=True)
    logger.debug("wrote %s", target)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the result over `path`.

    Parameters
    ----------
    path : str or Path
        The file to create or replace.
    write : callable
        Writes the whole file at the path it is given.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    ExportError
        As :func:`atomic_path`. Other errors from `write` propagate; in every
        error case `path` is untouched and no temporary file remains.
    """
    with atomic_path(path) as temporary:
        write(temporary)
    return Path(path)


def _flush_to_disk(path: Path) -> None:
    # The rename must not reach the disk before the data, or a crash could
    # leave an empty file under the final name.
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _write_text(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    return write


# --------------------------------------------------------------------------- export geometry


def _check_precision(precision: int) -> None:
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= _MAX_PRECISION:
        raise ExportError(f"precision must be a whole number of decimals from 0 to {_MAX_PRECISION}, got {precision!r}")


def _feature_label(layer: Layer, feature_id: Any) -> str:
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
class _Prepared:
    """A layer sorted by id, and its frame exactly as written (WGS84, rounded, oriented)."""

    layer: Layer
    frame: gpd.GeoDataFrame


def _prepare_layer(layer: Layer, *, precision: int) -> _Prepared:
    """Sort, check, project and round one layer for export.

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
            raise LayerError(f"{_feature_label(layer, feature_id)}: empty geometry; remove the feature or give it one")
        if not geometry.is_valid:
            raise LayerError(
                f"{_feature_label(layer, feature_id)}: invalid geometry ({shapely.is_valid_reason(geometry)}); "
                "repair it (e.g. shapely.make_valid) before export"
            )
    projected = geometries.to_crs(EXPORT_CRS)
    exported = [
        _export_geometry(geometry, precision=precision, label=_feature_label(layer, feature_id))
        for feature_id, geometry in zip(frame["id"], projected, strict=True)
    ]
    exported_series = gpd.GeoSeries(exported, index=frame.index, crs=EXPORT_CRS, name=geometries.name)
    return _Prepared(layer, frame.set_geometry(exported_series))


def _geometry_type(geometries: gpd.GeoSeries) -> str:
    # Same rule as Layer.geometry_type, applied to the geometries as written
    # (rounding may split a polygon into a multipolygon).
    types = set(geometries.geom_type.dropna())
    if not types:
        return "Unknown"
    base = {kind.removeprefix("Multi") for kind in types}
    if len(base) != 1:
        return "Geometry"
    (kind,) = base
    return f"Multi{kind}" if any(t.startswith("Multi") for t in types) else kind


# --------------------------------------------------------------------------- JSON text


def format_coordinate(value: float, *, precision: int = DEFAULT_PRECISION) -> str:
    """A coordinate as JSON number text with at most `precision` decimals.

    Fixed-point, never scientific notation; trailing zeros are dropped and
    negative zero is written as ``0``.

    Examples
    --------
    >>> format_coordinate(76.9500001), format_coordinate(0.00001), format_coordinate(-0.0000001)
    ('76.95', '0.00001', '0')
    """
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _position_text(coords: Iterable[float], precision: int) -> str:
    return "[" + ", ".join(format_coordinate(value, precision=precision) for value in coords) + "]"


def _coordinates_text(geometry: BaseGeometry, precision: int) -> str:
    kind = geometry.geom_type
    if kind == "Point":
        return _position_text(geometry.coords[0], precision)
    if kind in ("LineString", "LinearRing"):
        return "[" + ", ".join(_position_text(c, precision) for c in geometry.coords) + "]"
    if kind == "Polygon":
        rings = [geometry.exterior, *geometry.interiors]
        return "[" + ", ".join(_coordinates_text(ring, precision) for ring in rings) + "]"
    return "[" + ", ".join(_coordinates_text(part, precision) for part in geometry.geoms) + "]"


def _geometry_text(geometry: BaseGeometry, precision: int) -> str:
    """GeoJSON geometry object; numbers are formatted here, not by ``json``."""
    kind = geometry.geom_type
    if kind == "GeometryCollection":
        parts = ", ".join(_geometry_text(part, precision) for part in geometry.geoms)
        return f'{{"type": "GeometryCollection", "geometries": [{parts}]}}'
    return f'{{"type": "{kind}", "coordinates": {_coordinates_text(geometry, precision)}}}'


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


def _json_value(value: Any, *, where: str, round_floats: bool) -> Any:
    """Plain JSON data for one value; NaN and NA become ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v, where=where, round_floats=round_floats) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_value(v, where=where, round_floats=round_floats) for v in value]
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


def _dumps(data: Any, *, where: str) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, sort_keys=False, allow_nan=False)
    except ValueError:
        raise LayerError(f"{where}: infinite number; JSON cannot hold it") from None


def _property_columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [column for column in frame.columns if column != frame.geometry.name]


def _feature_text(layer: Layer, row: Mapping[str, Any], geometry: BaseGeometry, *, precision: int) -> str:
    feature_id = row["id"]
    where = _feature_label(layer, feature_id)
    if isinstance(feature_id, np.generic):
        feature_id = feature_id.item()
    if isinstance(feature_id, bool) or not isinstance(feature_id, (str, int)):
        raise LayerError(f"{where}: id must be a string or an integer, got {type(feature_id).__name__}")
    properties = {
        str(key): _json_value(value, where=f"{where}: column {key}", round_floats=True) for key, value in row.items()
    }
    return (
        '{"type": "Feature", "id": ' + _dumps(feature_id, where=where)
        + ', "properties": ' + _dumps(properties, where=where)
        + ', "geometry": ' + _geometry_text(geometry, precision) + "}"
    )


def _header(layer: Layer) -> dict[str, Any]:
    provenance = layer.provenance.as_dict()
    return {
        "type": "FeatureCollection",
        "name": layer.name,
        "title": layer.title,
        "provenance": _json_value(provenance, where=f"layer {layer.name}: provenance", round_floats=False),
    }


def _collection_text(prepared: _Prepared, *, precision: int) -> str:
    layer, frame = prepared.layer, prepared.frame
    columns = _property_columns(frame)
    rows = frame[columns].to_dict("records")
    features = [
        _feature_text(layer, row, geometry, precision=precision)
        for row, geometry in zip(rows, frame.geometry, strict=True)
    ]
    # Header, one feature per line, footer: still one valid JSON document.
    header = _dumps(_header(layer), where=f"layer {layer.name}")[:-1] + ', "features": ['
    body = ",\n".join(features)
    return header + "\n" + (body + "\n" if body else "") + "]}\n"


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
    _check_precision(precision)
    return _collection_text(_prepare_layer(layer, precision=precision), precision=precision)


def write_geojson(layer: Layer, path: str | Path, *, precision: int = DEFAULT_PRECISION) -> Path:
    """Write :func:`geojson_text` of `layer` to `path` (UTF-8), atomically.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    LayerError, ExportError
        As :func:`geojson_text` and :func:`atomic_path`.
    """
    return atomic_write(path, _write_text(geojson_text(layer, precision=precision)))


# --------------------------------------------------------------------------- GeoPackage, manifest, export


def _layer_list(layers: Iterable[Layer] | LayerSet) -> list[Layer]:
    # A LayerSet iterates over names, like any Mapping.
    items = list(layers.values()) if isinstance(layers, Mapping) else list(layers)
    LayerSet(items)  # refuses two layers with one name
    return sorted(items, key=lambda layer: layer.name)


def _prepare(layers: Iterable[Layer] | LayerSet, *, precision: int) -> list[_Prepared]:
    _check_precision(precision)
    return [_prepare_layer(layer, precision=precision) for layer in _layer_list(layers)]


def _provenance_row(item: _Prepared) -> dict[str, Any]:
    provenance = item.layer.provenance.as_dict()
    where = f"layer {item.layer.name}: provenance"
    return {
        "layer": item.layer.name,
        "title": item.layer.title,
        "geometry_type": _geometry_type(item.frame.geometry),
        "feature_count": len(item.frame),
        "source": provenance["source"],
        "method": provenance["method"],
        "parameters": _dumps(_json_value(provenance["parameters"], where=where, round_floats=False), where=where),
        "quality": provenance["quality"],
    }


def _check_gpkg_names(prepared: list[_Prepared]) -> None:
    for item in prepared:
        if item.layer.name == PROVENANCE_TABLE or item.layer.name.startswith(("gpkg_", "rtree_")):
            raise LayerError(f"layer {item.layer.name}: name is reserved in a GeoPackage; rename the layer")


def _write_gpkg_table(frame: pd.DataFrame, path: Path, *, name: str, **options: Any) -> None:
    try:
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", **options)
    except _GDAL_ERRORS as error:
        raise ExportError(f"{path.name}: cannot write table {name} ({_gdal_reason(error)})") from None


def _write_gpkg_file(path: Path, prepared: list[_Prepared]) -> None:
    rows = []
    for item in prepared:
        row = _provenance_row(item)
        rows.append(row)
        metadata = {key: str(row[key]) for key in ("title", "source", "method", "parameters", "quality")}
        # DESCRIPTION fills gpkg_contents.description, which QGIS shows.
        _write_gpkg_table(
            item.frame, path, name=item.layer.name,
            layer_metadata=metadata, layer_options={"DESCRIPTION": item.layer.title},
        )
    # A table without geometry: GDAL registers it in gpkg_contents as 'attributes'.
    _write_gpkg_table(pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS)), path, name=PROVENANCE_TABLE)


def write_gpkg(layers: Iterable[Layer] | LayerSet, path: str | Path, *, precision: int = DEFAULT_PRECISION) -> Path:
    """Write all layers into one GeoPackage, WGS84, atomically.

    Each layer becomes a table named as the layer, its geometries rounded and
    oriented as in :func:`geojson_text`, with GDAL layer metadata ``title``,
    ``source``, ``method``, ``parameters`` (JSON) and ``quality`` (QGIS shows
    it under Layer Properties > Metadata). A non-spatial table
    ``layer_provenance`` holds one row per layer: layer, title,
    geometry_type, feature_count, source, method, parameters (JSON), quality.

    Parameters
    ----------
    layers : iterable of Layer, or LayerSet
    path : str or Path
        The ``.gpkg`` file to create or replace.
    precision : int, default 6
        Decimals of the coordinates, degrees.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    LayerError
        As :func:`geojson_text`, or if a layer name is reserved in GeoPackage.
    ExportError
        If the file cannot be written.
    """
    prepared = _prepare(layers, precision=precision)
    _check_gpkg_names(prepared)
    return atomic_write(path, lambda temporary: _write_gpkg_file(temporary, prepared))


def _rounded_bounds(frame: gpd.GeoDataFrame, precision: int) -> list[float] | None:
    if frame.empty:
        return None
    step = Decimal(1).scaleb(-precision)
    # The coordinates are already on the grid; rounding outwards guarantees
    # the box contains them even if a float sits a hair off its decimal.
    west, south, east, north = (Decimal(repr(float(v))) for v in frame.total_bounds)
    return [
        float(west.quantize(step, rounding=ROUND_FLOOR)),
        float(south.quantize(step, rounding=ROUND_FLOOR)),
        float(east.quantize(step, rounding=ROUND_CEILING)),
        float(north.quantize(step, rounding=ROUND_CEILING)),
    ]


def _manifest_text(prepared: list[_Prepared], *, precision: int, built_by: Mapping[str, Any] | None = None) -> str:
    entries = []
    for item in prepared:
        row = _provenance_row(item)
        entries.append({
            "name": item.layer.name,
            "title": item.layer.title,
            "file": f"{item.layer.name}.geojson",
            "geometry_type": row["geometry_type"],
            "feature_count": row["feature_count"],
            "crs": "EPSG:4326",
            "bounds": _rounded_bounds(item.frame, precision),
            "provenance": _header(item.layer)["provenance"],
        })
    manifest: dict[str, Any] = {"generator": "alatau-geo", "crs": "EPSG:4326"}
    if built_by is not None:
        manifest["built_by"] = dict(built_by)
    manifest["layers"] = entries
    text = json.dumps(manifest, ensure_ascii=False, indent=2, allow_nan=False)
    return text + "\n"


def write_manifest(layers: Iterable[Layer] | LayerSet, path: str | Path, *, precision: int = DEFAULT_PRECISION) -> Path:
    """Write the JSON index of an export, atomically.

    For each layer, sorted by name: ``name``, ``title``, ``file``
    (``<name>.geojson``), ``geometry_type``, ``feature_count``, ``crs``
    (``"EPSG:4326"``), ``bounds`` ([west, south, east, north] degrees,
    rounded outwards to `precision` decimals; null for an empty layer) and
    ``provenance``.

    Parameters
    ----------
    layers : iterable of Layer, or LayerSet
    path : str or Path
        The file to write, normally ``<export folder>/manifest.json``.
    precision : int, default 6
        Decimals of the bounds, degrees; use the one of the GeoJSON files.

    Returns
    -------
    Path
        `path`.
    """
    prepared = _prepare(layers, precision=precision)
    return atomic_write(path, _write_text(_manifest_text(prepared, precision=precision)))


@dataclass(frozen=True)
class ExportResult:
    """The files :func:`export_layers` wrote."""

    directory: Path
    geojson: tuple[Path, ...]
    gpkg: Path
    manifest: Path

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every written file: GeoJSON files, GeoPackage, manifest."""
        return (*self.geojson, self.gpkg, self.manifest)


def export_layers(
    layers: Iterable[Layer] | LayerSet,
    out_dir: str | Path,
    *,
    precision: int = DEFAULT_PRECISION,
    gpkg_name: str = "alatau_geo.gpkg",
    built_by: Mapping[str, Any] | None = None,
) -> ExportResult:
    """Write every layer as ``<name>.geojson``, one GeoPackage and ``manifest.json``.

    Parameters
    ----------
    layers : iterable of Layer, or LayerSet
    out_dir : str or Path
        Folder to write into; created if missing. Other files in it are left alone.
    precision : int, default 6
        Decimals of the WGS84 coordinates, degrees.
    gpkg_name : str, default "alatau_geo.gpkg"
        File name of the GeoPackage inside `out_dir`.
    built_by : mapping, optional
        What built the layers (the plan's path and content hashes), recorded
        in the manifest as ``built_by`` so later commands can tell whether
        the layers still match the plan.

    Returns
    -------
    ExportResult

    Raises
    ------
    LayerError
        If a layer cannot be exported (see :func:`geojson_text`); nothing is
        written then.
    ExportError
        If a file cannot be written.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> result = ag.export_layers(ag.read_layers("layers"), "qgis_export")  # doctest: +SKIP
    >>> result.gpkg.name  # doctest: +SKIP
    'alatau_geo.gpkg'
    """
    if Path(gpkg_name).name != gpkg_name or Path(gpkg_name).suffix != ".gpkg":
        raise ExportError(f"gpkg_name must be a file name ending in .gpkg, got {gpkg_name!r}")
    # Everything is computed before the first file is written, so a bad layer
    # leaves the folder as it was.
    prepared = _prepare(layers, precision=precision)
    _check_gpkg_names(prepared)
    texts = {item.layer.name: _collection_text(item, precision=precision) for item in prepared}
    manifest_text = _manifest_text(prepared, precision=precision, built_by=built_by)
    directory = Path(out_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"{directory}: cannot create folder ({error.strerror or error})") from None
    geojson = tuple(atomic_write(directory / f"{name}.geojson", _write_text(text)) for name, text in texts.items())
    gpkg = atomic_write(directory / gpkg_name, lambda temporary: _write_gpkg_file(temporary, prepared))
    # The manifest goes last: its presence says the export is complete.
    manifest = atomic_write(directory / MANIFEST_NAME, _write_text(manifest_text))
    logger.info("exported %d layers to %s", len(prepared), directory)
    return ExportResult(directory=directory, geojson=geojson, gpkg=gpkg, manifest=manifest)


# --------------------------------------------------------------------------- reading exports


def _load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LayerError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LayerError(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise LayerError(f"{path}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno})") from None


def _require(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], *, path: Path, where: str = "") -> Any:
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


def _feature_row(feature: Any, *, path: Path, number: int) -> tuple[dict[str, Any], BaseGeometry]:
    where = f"feature {number}: "
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise LayerError(f"{path}: {where}not a GeoJSON Feature")
    properties = dict(_require(feature, "properties", dict, path=path, where=where))
    if "id" not in properties and "id" in feature:
        properties = {"id": feature["id"], **properties}
    try:
        geometry = shape(_require(feature, "geometry", dict, path=path, where=where))
    except (GEOSException, KeyError, TypeError, ValueError, AttributeError) as error:
        raise LayerError(f"{path}: {where}bad geometry ({error})") from None
    return properties, geometry


def read_layer(path: str | Path) -> Layer:
    """Read one GeoJSON file written by :func:`write_geojson` back into a Layer.

    Parameters
    ----------
    path : str or Path

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
    return _layer_from_json(_load_json(path), path=path)


def as_exported(layer: Layer, *, precision: int = DEFAULT_PRECISION) -> Layer:
    """The layer exactly as a reader of its GeoJSON export gets it back.

    Layers built on top of other layers are built on their exported form, so
    a build from the tiles and a build from committed layers agree to the byte.
    """
    text = geojson_text(layer, precision=precision)
    return _layer_from_json(json.loads(text), path=Path(f"<{layer.name}>"))


def _layer_from_json(data: Any, *, path: Path) -> Layer:
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise LayerError(f"{path}: not a GeoJSON FeatureCollection")
    name = _require(data, "name", str, path=path)
    features = _require(data, "features", list, path=path)
    rows, geometries = [], []
    for number, feature in enumerate(features, start=1):
        row, geometry = _feature_row(feature, path=path, number=number)
        rows.append(row)
        geometries.append(geometry)
    table = pd.DataFrame(rows) if rows else pd.DataFrame({"id": pd.Series([], dtype=object)})
    frame = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geometries, crs=EXPORT_CRS), crs=EXPORT_CRS)
    try:
        return Layer(
            name=name, frame=frame.to_crs(WORKING_CRS),
            provenance=_provenance(data.get("provenance"), path=path), title=str(data.get("title") or ""),
        )
    except LayerError as error:
        raise LayerError(f"{path}: {error}") from None


def read_layers(directory: str | Path) -> LayerSet:
    """Read a folder written by :func:`export_layers` back into layers.

    Parameters
    ----------
    directory : str or Path
        Holds ``manifest.json`` and the GeoJSON files it lists.

    Returns
    -------
    LayerSet
        Layers in the working CRS (EPSG:32643) with their provenance, in
        manifest order (by name).

    Raises
    ------
    LayerError
        One line naming the file and the problem (no manifest, bad JSON, a
        listed file missing or not matching its manifest entry).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> layers = ag.read_layers("layers")  # doctest: +SKIP
    >>> layers["reservoir"].provenance.quality  # doctest: +SKIP
    'derived'
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise LayerError(f"{manifest_path}: not found; is {directory} a folder written by export_layers?")
    entries = _require(_load_json(manifest_path), "layers", list, path=manifest_path)
    layers = []
    for entry in entries:
        name = _require(entry, "name", str, path=manifest_path, where="layer entry: ")
        file_name = _require(entry, "file", str, path=manifest_path, where=f"layer {name}: ")
        if Path(file_name).name != file_name:
            raise LayerError(f"{manifest_path}: layer {name}: file {file_name!r} must be a plain file name")
        layer = read_layer(directory / file_name)
        if layer.name != name:
            raise LayerError(f"{directory / file_name}: holds layer {layer.name!r}, manifest says {name!r}")
        layers.append(layer)
    return LayerSet(layers)


# --------------------------------------------------------------------------- reading user files


def _gdal_reason(error: Exception) -> str:
    """GDAL's message on one line, without the file path and generic hints."""
    parts = [part.strip() for part in str(error).replace("\n", " ").split(";")]
    kept = [part for part in parts if part and not part.startswith("It might help")]
    return "; ".join(kept) or type(error).__name__


def _spatial_layer(path: Path, *, layer: str | None) -> str:
    """The layer to read: the one asked for, or the only one with geometries."""
    listed = pyogrio.list_layers(path)
    names = [str(name) for name in listed[:, 0]]
    if layer is not None:
        if layer not in names:
            raise LayerError(f"{path}: has no layer {layer!r} (layers: {', '.join(names) or 'none'})")
        return layer
    spatial = [str(name) for name, kind in listed if kind is not None]
    if not spatial:
        raise LayerError(f"{path}: has no layer with geometries (layers: {', '.join(names) or 'none'})")
    if len(spatial) > 1:
        raise LayerError(f"{path}: holds several layers ({', '.join(spatial)}); choose one with --layer NAME (layer= in Python)")
    return spatial[0]


def read_vector(path: str | Path, *, what: str = "layer", layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a user's vector file (GeoJSON, GeoPackage or Shapefile).

    Parameters
    ----------
    path : str or Path
        A ``.geojson``, ``.json``, ``.gpkg`` or ``.shp`` file; other suffixes
        are refused rather than guessed.
    what : str, default "layer"
        What the file is, used in error messages (e.g. ``"boundary"``).
    layer : str, optional
        Layer to read from a multi-layer file (GeoPackage). Without it, a file
        with one spatial layer is read and one with several is refused.

    Returns
    -------
    GeoDataFrame
        As stored, in the file's CRS (None if the file has none).

    Raises
    ------
    LayerError
        One line naming the file: unknown suffix, missing file, a file GDAL
        cannot read (with GDAL's reason), a file of another format than its
        suffix says, or an unknown or ambiguous layer.
    """
    path = Path(path)
    driver = VECTOR_DRIVERS.get(path.suffix.lower())
    if driver is None:
        known = ", ".join(VECTOR_DRIVERS)
        raise LayerError(f"{path}: unknown {what} file type {path.suffix or '(no suffix)'!r}; use one of {known}")
    if not path.is_file():
        raise LayerError(f"{path}: {what} file not found")
    try:
        chosen = _spatial_layer(path, layer=layer)
        found = pyogrio.read_info(path, layer=chosen)["driver"]
        if found != driver:
            raise LayerError(f"{path}: not a {driver} file (GDAL reads it as {found})")
        frame = gpd.read_file(path, engine="pyogrio", layer=chosen)
    except _GDAL_ERRORS as error:
        raise LayerError(f"{path}: cannot read {what} file ({_gdal_reason(error)})") from None
    if not isinstance(frame, gpd.GeoDataFrame):  # geopandas returns a DataFrame for a table
        raise LayerError(f"{path}: layer {chosen!r} has no geometries")
    return frame


# --------------------------------------------------------------------------- rasters


def _integer_samples(raster: Raster, *, dtype: str, path: Path) -> np.ndarray:
    nodata = RASTER_NODATA[dtype]
    info = np.iinfo(dtype)
    values = np.rint(raster.data.astype("float64"))
    valid = np.isfinite(values)
    if ((values[valid] <= nodata) | (values[valid] > info.max)).any():
        raise ExportError(f"{path}: values outside the {dtype} range; write it as float32")
    return np.where(valid, values, nodata).astype(dtype)


def write_raster(raster: Raster, path: str | Path, *, dtype: str = "float32") -> Path:
    """Write a single-band raster as a compressed GeoTIFF, atomically.

    Parameters
    ----------
    raster : alatau_geo.core.raster.Raster
        Values with NaN for nodata, transform and CRS.
    path : str or Path
        The ``.tif`` file; its folder is created if missing.
    dtype : {'float32', 'int16'}, default 'float32'
        Sample type. ``int16`` rounds to whole units (metres for a DEM) and
        writes nodata as -32768, as SRTM does; ``float32`` keeps NaN.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    ExportError
        If `dtype` is not supported, a value does not fit it, or the file
        cannot be written.
    """
    path = Path(path)
    if dtype not in RASTER_NODATA:
        raise ExportError(f"{path}: raster dtype must be one of {', '.join(RASTER_NODATA)}, got {dtype!r}")
    if dtype == "float32":
        samples = raster.data.astype("float32")
    else:
        samples = _integer_samples(raster, dtype=dtype, path=path)
    rows, cols = samples.shape
    profile = {
        "driver": "GTiff", "width": cols, "height": rows, "count": 1, "dtype": dtype,
        "crs": raster.crs.to_wkt(), "transform": raster.transform, "nodata": RASTER_NODATA[dtype],
        # Predictor 2 (integers) or 3 (floats) makes smooth terrain compress well.
        "compress": "deflate", "predictor": 2 if dtype == "int16" else 3,
    }

    def write(temporary: Path) -> None:
        try:
            with rasterio.open(temporary, "w", **profile) as dataset:
                dataset.write(samples, 1)
        except rasterio.errors.RasterioError as error:
            raise ExportError(f"{path}: cannot write raster ({error})") from None

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"{path.parent}: cannot create folder ({error.strerror or error})") from None
    return atomic_write(path, write)


def read_raster(path: str | Path) -> Raster:
    """Read band 1 of a GeoTIFF written by :func:`write_raster`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    alatau_geo.core.raster.Raster
        float32 values with NaN for nodata, the file's transform and CRS.

    Raises
    ------
    InputDataError
        If the file is missing or unreadable.
    CRSError
        If the raster has no CRS.
    """
    from alatau_geo.core.raster import Raster

    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: raster file not found")
    try:
        with rasterio.open(path) as dataset:
            band = dataset.read(1, masked=True)
            transform, crs = dataset.transform, dataset.crs
    except rasterio.errors.RasterioError as error:
        raise InputDataError(f"{path}: cannot read raster ({error})") from None
    if crs is None:
        raise CRSError(f"{path}: raster has no coordinate reference system")
    data = np.ma.filled(band.astype("float32"), np.nan)
    return Raster(data=data, transform=transform, crs=CRS.from_user_input(crs.to_wkt()))


# --------------------------------------------------------------------------- maps


def write_text(text: str, path: str | Path) -> Path:
    """Write UTF-8 text (an HTML page, a report) atomically; the folder is created.

    Raises
    ------
    ExportError
        If the folder or the file cannot be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"{path.parent}: cannot create folder ({error.strerror or error})") from None
    return atomic_write(path, _write_text(text))


def read_built_by(directory: str | Path) -> dict[str, Any] | None:
    """The ``built_by`` record of a layers folder's manifest (see :func:`export_layers`), or None.

    Raises
    ------
    LayerError
        If the folder has no readable manifest.
    """
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise LayerError(f"{path}: not found; build the layers first (alatau-geo build)")
    data = _load_json(path)
    record = data.get("built_by") if isinstance(data, dict) else None
    return dict(record) if isinstance(record, dict) else None
