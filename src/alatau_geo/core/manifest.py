"""``manifest.json``: the index of an export folder, which :func:`alatau_geo.core.io.read_layers` reads back."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd

from alatau_geo.core.atomic import atomic_write, text_writer
from alatau_geo.core.errors import LayerError
from alatau_geo.core.export_geometry import DEFAULT_PRECISION, PreparedLayer, prepare_layers
from alatau_geo.core.geojson import json_text, load_json, provenance_json, require_member
from alatau_geo.core.layers import Layer, LayerSet, geometry_type_of

MANIFEST_NAME = "manifest.json"


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


def manifest_text(
    prepared: list[PreparedLayer], *, precision: int, built_by: Mapping[str, Any] | None = None
) -> str:
    """The manifest of layers prepared for export, as JSON text (see :func:`write_manifest`).

    `built_by` (what built the layers: the plan's path and content hashes)
    is recorded as ``built_by`` when given.

    Raises
    ------
    LayerError
        If a layer's provenance holds a value JSON cannot hold.
    """
    entries = []
    for item in prepared:
        provenance = provenance_json(item.layer)
        json_text(provenance["parameters"], where=f"layer {item.layer.name}: provenance")  # refuses infinity
        entries.append({
            "name": item.layer.name,
            "title": item.layer.title,
            "file": f"{item.layer.name}.geojson",
            "geometry_type": geometry_type_of(item.frame.geometry),
            "feature_count": len(item.frame),
            "crs": "EPSG:4326",
            "bounds": _rounded_bounds(item.frame, precision),
            "provenance": provenance,
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
    prepared = prepare_layers(layers, precision=precision)
    return atomic_write(path, text_writer(manifest_text(prepared, precision=precision)))


def manifest_entries(directory: str | Path) -> list[tuple[str, Path]]:
    """The layers the manifest of an export folder lists: (name, GeoJSON file), in manifest order.

    Parameters
    ----------
    directory : str or Path
        A folder written by :func:`alatau_geo.core.io.export_layers`.

    Returns
    -------
    list of (str, Path)

    Raises
    ------
    LayerError
        One line naming the file and the problem: no manifest, bad JSON, an
        entry without a name or file, or a file that is not a plain file name.
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise LayerError(f"{manifest_path}: not found; is {directory} a folder written by export_layers?")
    entries = require_member(load_json(manifest_path), "layers", list, path=manifest_path)
    listed = []
    for entry in entries:
        name = require_member(entry, "name", str, path=manifest_path, where="layer entry: ")
        file_name = require_member(entry, "file", str, path=manifest_path, where=f"layer {name}: ")
        if Path(file_name).name != file_name:
            raise LayerError(f"{manifest_path}: layer {name}: file {file_name!r} must be a plain file name")
        listed.append((name, directory / file_name))
    return listed


def read_built_by(directory: str | Path) -> dict[str, Any] | None:
    """The ``built_by`` record of a layers folder's manifest (see :func:`alatau_geo.core.io.export_layers`), or None.

    Raises
    ------
    LayerError
        If the folder has no readable manifest.
    """
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise LayerError(f"{path}: not found; build the layers first (alatau-geo build)")
    data = load_json(path)
    record = data.get("built_by") if isinstance(data, dict) else None
    return dict(record) if isinstance(record, dict) else None
