"""Exact storage of a build stage's results: layers, a raster and figures, as one JSON file.

The build keeps each stage's results in the workspace cache
(:mod:`alatau_geo.jobs.stage_cache`) and reads them back instead of
recomputing when the stage's inputs are the same. What is read back must be
the very data that was computed, or a cached build could differ from an
uncached one, so everything is stored exactly: geometries as WKB (every
double kept), numbers as JSON numbers (Python writes the shortest text that
reads back as the same double), each column with its dtype, the raster's
samples as float32 bytes. Nothing is pickled, so a cache file from
elsewhere can hold data but never code.

A value the format cannot hold exactly (an unknown cell type, a category
column) raises :class:`Uncacheable`; the build then simply does not cache
that stage.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster

FORMAT = 1
"""Version of the file layout; a file of another version is not read."""


class Uncacheable(ValueError):  # noqa: N818 - a condition, not a failure the user sees
    """A result holds a value this format cannot store exactly."""


# --------------------------------------------------------------------------- plain values


def encode_value(value: Any) -> Any:
    """A cell or parameter value as JSON data, tagged so :func:`decode_value` gives back the same type.

    Examples
    --------
    >>> decode_value(encode_value({"widths_m": (30.0, 50.0), 2: None}))
    {'widths_m': (30.0, 50.0), 2: None}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) in (int, float):
        return value
    if isinstance(value, np.generic) and np.dtype(type(value)).kind in "biuf":
        return {"numpy": [np.dtype(type(value)).str, value.item()]}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [encode_value(item) for item in value]}
    if isinstance(value, dict):
        return {"dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, Path):
        return {"path": str(value)}
    raise Uncacheable(f"cannot store a value of type {type(value).__name__}")


def decode_value(data: Any) -> Any:
    """The value :func:`encode_value` stored."""
    if isinstance(data, list):
        return [decode_value(item) for item in data]
    if isinstance(data, dict):
        ((tag, content),) = data.items()
        if tag == "tuple":
            return tuple(decode_value(item) for item in content)
        if tag == "dict":
            return {decode_value(k): decode_value(v) for k, v in content}
        if tag == "numpy":
            return np.dtype(content[0]).type(content[1])
        return Path(content)
    return data


# --------------------------------------------------------------------------- columns


def _encode_column(series: pd.Series) -> dict[str, Any]:
    dtype = series.dtype
    name = str(dtype)
    if name == "geometry":
        wkb = shapely.to_wkb(np.asarray(series.values, dtype=object), hex=True)
        return {"kind": "geometry", "dtype": name, "values": wkb.tolist()}
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return {"kind": "numpy", "dtype": name, "values": series.tolist()}
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return {"kind": "datetime", "dtype": name, "values": series.to_numpy().view("int64").tolist()}
    if isinstance(dtype, pd.StringDtype) or name in ("Int8", "Int16", "Int32", "Int64", "boolean", "Float64"):
        missing = series.isna().to_numpy()
        cells = series.tolist()
        return {"kind": "extension", "dtype": name,
                "values": [None if gone else encode_value(cell) for cell, gone in zip(cells, missing, strict=True)]}
    if name == "object":
        return {"kind": "object", "dtype": name, "values": [encode_value(cell) for cell in series.tolist()]}
    raise Uncacheable(f"column {series.name}: cannot store dtype {name}")


def _decode_column(data: Mapping[str, Any], *, crs: CRS | None) -> Any:
    kind, name, values = data["kind"], data["dtype"], data["values"]
    if kind == "geometry":
        return gpd.GeoSeries(shapely.from_wkb(np.array(values, dtype=object)), crs=crs)
    if kind == "datetime":
        return pd.Series(np.array(values, dtype="int64").view(name))
    if kind == "object":
        cells = np.empty(len(values), dtype=object)
        cells[:] = [decode_value(value) for value in values] if values else []
        return pd.Series(cells, dtype=object)
    if kind == "extension":
        return pd.Series(pd.array([decode_value(value) for value in values], dtype=name))
    return pd.Series(np.array(values, dtype=np.dtype(name)))


def _encode_index(index: pd.Index) -> dict[str, Any]:
    if isinstance(index, pd.RangeIndex) and index.name is None:
        return {"range": [index.start, index.stop, index.step]}
    if index.name is not None:
        raise Uncacheable("a named index")
    return {"column": _encode_column(index.to_series())}


def _decode_index(data: Mapping[str, Any]) -> pd.Index:
    if "range" in data:
        return pd.RangeIndex(*data["range"])
    return pd.Index(_decode_column(data["column"], crs=None))


def _crs_text(crs: CRS | None) -> str | None:
    if crs is None:
        return None
    authority = crs.to_authority(min_confidence=100)
    return ":".join(authority) if authority else crs.to_wkt()


# --------------------------------------------------------------------------- layers


def encode_layer(layer: Layer) -> dict[str, Any]:
    """One layer as JSON data (see the module docstring).

    Raises
    ------
    Uncacheable
        If a column or a provenance value cannot be stored exactly.
    """
    frame = layer.frame
    if not all(isinstance(column, str) for column in frame.columns):
        raise Uncacheable(f"layer {layer.name}: a column name is not text")
    provenance = layer.provenance
    return {
        "name": layer.name, "title": layer.title,
        "provenance": {"source": provenance.source, "method": provenance.method, "quality": provenance.quality,
                       "parameters": encode_value(dict(provenance.parameters))},
        "crs": _crs_text(frame.crs), "geometry": frame.geometry.name, "index": _encode_index(frame.index),
        "columns": [[column, _encode_column(frame[column])] for column in frame.columns],
    }


def decode_layer(data: Mapping[str, Any]) -> Layer:
    """The layer :func:`encode_layer` stored."""
    crs = CRS.from_user_input(data["crs"]) if data["crs"] is not None else None
    index = _decode_index(data["index"])
    columns = {}
    for name, column in data["columns"]:
        series = _decode_column(column, crs=crs)
        series.index = index
        columns[name] = series
    table = pd.DataFrame(columns, index=index) if columns else pd.DataFrame(index=index)
    frame = gpd.GeoDataFrame(table, geometry=data["geometry"], crs=crs)
    stored = data["provenance"]
    provenance = Provenance(source=stored["source"], method=stored["method"], quality=stored["quality"],
                            parameters=decode_value(stored["parameters"]))
    return Layer(data["name"], frame, provenance, data["title"])


def _encode_raster(raster: Raster) -> dict[str, Any]:
    data = np.ascontiguousarray(raster.data)
    return {"dtype": str(data.dtype), "shape": list(data.shape), "transform": list(raster.transform)[:6],
            "crs": _crs_text(raster.crs), "samples": base64.b64encode(data.tobytes()).decode("ascii")}


def _decode_raster(data: Mapping[str, Any]) -> Raster:
    samples = np.frombuffer(base64.b64decode(data["samples"]), dtype=data["dtype"]).reshape(data["shape"]).copy()
    return Raster(data=samples, transform=Affine(*data["transform"]), crs=CRS.from_user_input(data["crs"]))


# --------------------------------------------------------------------------- files


def write_stage(path: Path, *, layers: LayerSet, raster: Raster | None = None,
                figures: Mapping[str, Any] | None = None) -> None:
    """Store a stage's results at `path` (replaced whole, never left half-written).

    Not flushed to disk: a cache entry lost in a crash is recomputed.

    Raises
    ------
    Uncacheable
        If something cannot be stored exactly; nothing is written then.
    OSError
        If the file cannot be written.
    """
    document = {
        "format": FORMAT,
        "layers": [encode_layer(layer) for layer in layers.values()],
        "raster": _encode_raster(raster) if raster is not None else None,
        "figures": encode_value(dict(figures)) if figures is not None else None,
    }
    text = json.dumps(document, ensure_ascii=False, allow_nan=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def read_stage(path: Path) -> tuple[LayerSet, Raster | None, dict[str, Any] | None]:
    """The layers, raster and figures :func:`write_stage` stored.

    Raises
    ------
    OSError, ValueError, KeyError, TypeError
        If the file is missing, unreadable, of another format version or
        damaged; the caller treats that as a cache miss.
    """
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("format") != FORMAT:
        raise ValueError(f"{path}: cache format {document.get('format')!r}, expected {FORMAT}")
    layers = LayerSet(decode_layer(item) for item in document["layers"])
    raster = _decode_raster(document["raster"]) if document["raster"] is not None else None
    figures = decode_value(document["figures"]) if document["figures"] is not None else None
    return layers, raster, figures
