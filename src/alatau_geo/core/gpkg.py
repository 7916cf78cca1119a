"""One GeoPackage holding every layer: what QGIS users open.

Each layer is a table of the same name in WGS84, its geometries as in the
GeoJSON export (:mod:`alatau_geo.core.export_geometry`), with the provenance
as GDAL layer metadata and in a non-spatial ``layer_provenance`` table.
Tables of 1,000 features or more have a spatial index
(:data:`SPATIAL_INDEX_MIN_FEATURES`).

GDAL stamps each table's ``gpkg_contents.last_change`` with the current time;
it is fixed to :data:`GPKG_TIMESTAMP` instead (GDAL's ``OGR_CURRENT_DATE``
option, set for the write only), so identical layers give a byte-identical
GeoPackage. When the layers were built is not a property of the data; the
manifest's ``built_by`` says what built them.

pyogrio has GDAL open and close the file for each table it writes, so the
file after the first tables is the same whoever wrote it: a write may start from a
copy of a GeoPackage holding its first tables (:class:`FirstTables`, made by
:func:`write_first_tables`), and gives the same bytes as a write of them all.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from alatau_geo.core.atomic import atomic_write
from alatau_geo.core.errors import ExportError, LayerError
from alatau_geo.core.export_geometry import DEFAULT_PRECISION, PreparedLayer, prepare_layers
from alatau_geo.core.gdal_errors import GDAL_ERRORS, gdal_reason
from alatau_geo.core.geojson import json_text, json_value
from alatau_geo.core.layers import Layer, LayerSet, geometry_type_of

GPKG_TIMESTAMP = "2000-01-01T00:00:00.000Z"
"""The ``last_change`` written for every table (ISO 8601, UTC): fixed, so rebuilds give the same bytes."""
SPATIAL_INDEX_MIN_FEATURES = 1000
"""Tables of at least this many features get GDAL's R-tree spatial index; smaller ones none.

QGIS draws a few hundred features as fast without one, and each index is a
virtual table and seven triggers in the file's schema, which GDAL parses
again on every open: a build appends its changed tables one open at a time
(about a fifth less time for the tables an edit of a district rewrites)."""
_SYNCHRONOUS = "OGR_SQLITE_SYNCHRONOUS"
PROVENANCE_TABLE = "layer_provenance"
PROVENANCE_COLUMNS = (
    "layer", "title", "geometry_type", "feature_count", "source", "method", "parameters", "quality",
)


@dataclass(frozen=True)
class FirstTables:
    """The layers whose tables a GeoPackage write starts with, and a GeoPackage that holds them already.

    Attributes
    ----------
    names : tuple of str
        The layers whose tables come first, in this order (the others follow in the order given).
    path : Path or None
        A GeoPackage holding these tables and nothing else, as
        :func:`write_first_tables` wrote them (left as it is: a write starts
        from a copy); None: they are written like the others.
    """

    names: tuple[str, ...]
    path: Path | None = None


def _provenance_row(item: PreparedLayer) -> dict[str, Any]:
    provenance = item.layer.provenance.as_dict()
    where = f"layer {item.layer.name}: provenance"
    return {
        "layer": item.layer.name,
        "title": item.layer.title,
        "geometry_type": geometry_type_of(item.frame.geometry),
        "feature_count": len(item.frame),
        "source": provenance["source"],
        "method": provenance["method"],
        "parameters": json_text(json_value(provenance["parameters"], where=where, round_floats=False), where=where),
        "quality": provenance["quality"],
    }


def check_gpkg_names(prepared: list[PreparedLayer]) -> None:
    """Refuse layer names a GeoPackage reserves (``layer_provenance``, ``gpkg_*``, ``rtree_*``).

    Raises
    ------
    LayerError
        Naming the first such layer.
    """
    for item in prepared:
        if item.layer.name == PROVENANCE_TABLE or item.layer.name.startswith(("gpkg_", "rtree_")):
            raise LayerError(f"layer {item.layer.name}: name is reserved in a GeoPackage; rename the layer")


def _write_gpkg_table(frame: pd.DataFrame, path: Path, *, name: str, **options: Any) -> None:
    try:
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", **options)
    except GDAL_ERRORS as error:
        raise ExportError(f"{path.name}: cannot write table {name} ({gdal_reason(error)})") from None


@contextmanager
def _fixed_timestamps() -> Iterator[None]:
    """GDAL's ``OGR_CURRENT_DATE`` set to :data:`GPKG_TIMESTAMP` for the ``with`` block, then restored."""
    saved = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": saved})


def write_gpkg_file(path: Path, prepared: list[PreparedLayer], *, first: FirstTables | None = None) -> None:
    """Write the prepared layers and the ``layer_provenance`` table into the GeoPackage at `path`.

    Not atomic: :func:`write_gpkg` and :func:`alatau_geo.core.io.export_layers`
    call it on a temporary path. The tables of the layers `first` names come
    first, then the others in the order of `prepared`; when ``first.path`` holds
    the first ones (the caller vouches that they are those of these layers),
    the file starts as a copy of it: the same bytes as writing them here.

    Raises
    ------
    LayerError
        If `first` names a layer not in `prepared`.
    ExportError
        If GDAL cannot write a table, or the file of the first tables cannot be copied.
    """
    items = _in_table_order(prepared, first.names if first is not None else ())
    if first is not None and first.path is not None:
        try:
            shutil.copyfile(first.path, path)
        except OSError as error:
            raise ExportError(f"{path.name}: cannot copy its first tables from {first.path} "
                              f"({error.strerror or error})") from None
        items = items[len(first.names):]
    with _unsynchronised_sqlite(), _fixed_timestamps():
        for item in items:
            _write_layer_table(item, path)
        # A table without geometry: GDAL registers it in gpkg_contents as 'attributes'.
        rows = [_provenance_row(item) for item in prepared]
        _write_gpkg_table(pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS)), path, name=PROVENANCE_TABLE)


def write_first_tables(path: Path, prepared: list[PreparedLayer]) -> FirstTables:
    """Write the tables of the prepared layers, in their order and nothing else, into a new GeoPackage at `path`.

    The start of a :func:`write_gpkg_file` of these layers and others (a
    build keeps it for the layers that rarely change: the reference layers).

    Raises
    ------
    ExportError
        If GDAL cannot write a table.
    """
    with _unsynchronised_sqlite(), _fixed_timestamps():
        for item in prepared:
            _write_layer_table(item, path)
    return FirstTables(tuple(item.layer.name for item in prepared), path)


def _in_table_order(prepared: list[PreparedLayer], first: Sequence[str]) -> list[PreparedLayer]:
    by_name = {item.layer.name: item for item in prepared}
    unknown = [name for name in first if name not in by_name]
    if unknown:
        raise LayerError(f"layer {unknown[0]}: named to come first in the GeoPackage, but not among the layers")
    leading = set(first)
    return [*(by_name[name] for name in first), *(item for item in prepared if item.layer.name not in leading)]


@contextmanager
def _unsynchronised_sqlite() -> Iterator[None]:
    """SQLite without a disk flush after each table, for the duration of one GeoPackage write.

    The file is a temporary one that :func:`alatau_geo.core.atomic.atomic_write`
    flushes once and renames into place, so flushing each of its tables
    (what SQLite does by default) only waits for the disk. The previous
    setting is restored afterwards.
    """
    previous = pyogrio.get_gdal_config_option(_SYNCHRONOUS)
    pyogrio.set_gdal_config_options({_SYNCHRONOUS: "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({_SYNCHRONOUS: previous})


def _write_layer_table(item: PreparedLayer, path: Path) -> None:
    row = _provenance_row(item)
    metadata = {key: str(row[key]) for key in ("title", "source", "method", "parameters", "quality")}
    # DESCRIPTION fills gpkg_contents.description, which QGIS shows.
    options = {"DESCRIPTION": item.layer.title}
    if len(item.frame) < SPATIAL_INDEX_MIN_FEATURES:
        options["SPATIAL_INDEX"] = "NO"
    _write_gpkg_table(item.frame, path, name=item.layer.name, layer_metadata=metadata, layer_options=options)


def write_gpkg(layers: Iterable[Layer] | LayerSet, path: str | Path, *, precision: int = DEFAULT_PRECISION) -> Path:
    """Write all layers into one GeoPackage, WGS84, atomically.

    Each layer becomes a table named as the layer, its geometries rounded and
    oriented as in :func:`~alatau_geo.core.geojson.geojson_text`, with GDAL layer metadata ``title``,
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
        As :func:`~alatau_geo.core.geojson.geojson_text`, or if a layer name is reserved in GeoPackage.
    ExportError
        If the file cannot be written.
    """
    prepared = prepare_layers(layers, precision=precision)
    check_gpkg_names(prepared)
    return atomic_write(path, lambda temporary: write_gpkg_file(temporary, prepared))
