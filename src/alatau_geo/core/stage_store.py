"""Exact storage of one build stage's results in a folder: layers, rasters, figures and output files.

The build keeps each stage's results in the workspace cache
(:mod:`alatau_geo.jobs.stage_cache`) and reads them back instead of
recomputing when the stage's inputs are the same. What is read back must be
the very data that was computed, or a cached build could differ from an
uncached one, so everything is stored exactly:

- geometries as WKB (every double kept, Z and M too), in ``arrays.npz``;
- numeric, boolean and datetime columns and raster samples as numpy arrays
  with their dtype, in ``arrays.npz`` (read with ``allow_pickle=False``);
- text and mixed columns, provenance and figures as tagged JSON in
  ``entry.json`` (Python writes the shortest text that reads back as the
  same double; tuples, dicts with non-text keys and numpy scalars keep
  their type);
- output files a stage writes (GeoTIFFs) as they are, under ``files/``.

``entry.json`` is written last and holds the SHA-256 of ``arrays.npz`` and
of every file, so a cut-short or altered entry is refused as a whole.
Nothing is pickled: an entry from elsewhere can hold data but never code.

A value the format cannot hold exactly (a category column, a time zone)
raises :class:`~alatau_geo.core.errors.StageCacheError`; the build then
simply does not cache that stage.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from alatau_geo.core.errors import AlatauGeoError, StageCacheError
from alatau_geo.core.generation import file_digest
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster

__all__ = ["FILES_FOLDER", "FORMAT", "StoredStage", "decode_value", "encode_value",
           "geometries_from_arrays", "geometry_arrays", "read_stage", "write_stage"]

FORMAT = 1
"""Version of the entry layout; an entry of another version is not read."""
ENTRY_FILE = "entry.json"
ARRAYS_FILE = "arrays.npz"
FILES_FOLDER = "files"
"""Sub-folder of an entry holding the output files the stage wrote."""
_MASKED = {"i": pd.arrays.IntegerArray, "u": pd.arrays.IntegerArray, "f": pd.arrays.FloatingArray,
           "b": pd.arrays.BooleanArray}
# What reading a damaged entry can raise, besides our own errors: all mean "not usable".
_DAMAGED = (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, EOFError, zipfile.BadZipFile,
            shapely.errors.ShapelyError, ProjCRSError, AlatauGeoError)


@dataclass(frozen=True)
class StoredStage:
    """What one stage entry holds.

    Attributes
    ----------
    layers : LayerSet
    rasters : dict of str to Raster
    arrays : dict of str to numpy.ndarray
        Plain arrays (no transform), e.g. a raster's companion labels.
    figures : dict
        Plain data: numbers, text, notes, nested dicts and tuples.
    files : dict of str to str
        Output files under the entry's ``files/`` folder and their SHA-256.
    """

    layers: LayerSet = field(default_factory=LayerSet)
    rasters: dict[str, Raster] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- plain values


def encode_value(value: Any) -> Any:
    """A cell, parameter or figure as JSON data, tagged so :func:`decode_value` gives back the same type.

    Raises
    ------
    StageCacheError
        For a type the format does not know.

    Examples
    --------
    >>> decode_value(encode_value({"widths_m": (30.0, 50.0), 2: None, "n": np.int64(3)}))
    {'widths_m': (30.0, 50.0), 2: None, 'n': np.int64(3)}
    """
    if value is None or type(value) in (bool, str, int, float):
        return value
    if isinstance(value, np.generic) and np.dtype(type(value)).kind in "biuf":
        return {"numpy": [np.dtype(type(value)).str, value.item()]}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [encode_value(item) for item in value]}
    if isinstance(value, Mapping):
        return {"dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    if isinstance(value, Path):
        return {"path": str(value)}
    if value is pd.NA:
        return {"na": None}
    raise StageCacheError(f"cannot store a value of type {type(value).__name__} exactly")


def decode_value(data: Any) -> Any:
    """The value :func:`encode_value` stored."""
    if isinstance(data, list):
        return [decode_value(item) for item in data]
    if not isinstance(data, dict):
        return data
    ((tag, content),) = data.items()
    if tag == "tuple":
        return tuple(decode_value(item) for item in content)
    if tag == "dict":
        return {decode_value(k): decode_value(v) for k, v in content}
    if tag == "numpy":
        return np.dtype(content[0]).type(content[1])
    if tag == "path":
        return Path(content)
    if tag == "na":
        return pd.NA
    raise StageCacheError(f"unknown value tag {tag!r}")


# --------------------------------------------------------------------------- columns


class _Arrays:
    """The numpy arrays of an entry, named in order as they are added."""

    def __init__(self, stored: Mapping[str, np.ndarray] | None = None) -> None:
        self.items: dict[str, np.ndarray] = dict(stored or {})

    def add(self, array: np.ndarray) -> str:
        name = f"a{len(self.items)}"
        self.items[name] = np.ascontiguousarray(array)
        return name

    def get(self, name: str) -> np.ndarray:
        return self.items[name]


def _encode_geometries(values: np.ndarray, arrays: _Arrays) -> dict[str, Any]:
    missing = shapely.is_missing(values)
    if (shapely.get_type_id(values) == shapely.GeometryType.LINEARRING).any():
        raise StageCacheError("a LinearRing (WKB has no such type)")
    blobs = shapely.to_wkb(values, output_dimension=4)
    parts = [b"" if gone else blob for blob, gone in zip(blobs.tolist(), missing.tolist(), strict=True)]
    ends = np.cumsum([len(part) for part in parts], dtype=np.int64)
    blob = np.frombuffer(b"".join(parts), dtype=np.uint8)
    return {"kind": "geometry", "wkb": arrays.add(blob), "ends": arrays.add(ends), "missing": arrays.add(missing)}


def _decode_geometries(data: Mapping[str, Any], arrays: _Arrays) -> np.ndarray:
    blob = arrays.get(data["wkb"]).tobytes()
    ends = arrays.get(data["ends"]).tolist()
    missing = arrays.get(data["missing"])
    starts = [0, *ends[:-1]]
    parts = np.empty(len(ends), dtype=object)
    parts[:] = [None if gone else blob[start:end] for start, end, gone in zip(starts, ends, missing, strict=True)]
    return shapely.from_wkb(parts)


def _encode_column(series: pd.Series, arrays: _Arrays) -> dict[str, Any]:
    dtype = series.dtype
    if isinstance(dtype, gpd.array.GeometryDtype):
        encoded = _encode_geometries(np.asarray(series.values, dtype=object), arrays)
        return {**encoded, "crs": _crs_text(series.crs)}
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        return {"kind": "numpy", "dtype": dtype.str, "values": arrays.add(series.to_numpy())}
    if isinstance(dtype, pd.StringDtype):
        cells = [None if gone else str(cell) for cell, gone in zip(series.tolist(), series.isna(), strict=True)]
        na = "nan" if dtype.na_value is not pd.NA else "NA"
        return {"kind": "string", "storage": dtype.storage, "na": na, "values": cells}
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if isinstance(series.array, tuple(_MASKED.values())) and numpy_dtype is not None:
        mask = series.isna().to_numpy()
        data = series.array.to_numpy(dtype=numpy_dtype, na_value=numpy_dtype.type(0))
        return {"kind": "masked", "dtype": numpy_dtype.str, "values": arrays.add(data), "mask": arrays.add(mask)}
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return {"kind": "object", "values": [encode_value(cell) for cell in series.tolist()]}
    raise StageCacheError(f"column {series.name}: cannot store dtype {dtype} exactly")


def _decode_column(data: Mapping[str, Any], arrays: _Arrays, *, index: pd.Index | None, name: Any) -> pd.Series:
    kind = data["kind"]
    if kind == "geometry":
        crs = _crs(data["crs"])
        return gpd.GeoSeries(_decode_geometries(data, arrays), index=index, crs=crs, name=name)
    if kind == "numpy":
        values = arrays.get(data["values"])
        if values.dtype.str != data["dtype"]:
            raise StageCacheError(f"column {name}: stored as {values.dtype.str}, recorded as {data['dtype']}")
        return pd.Series(values, index=index, name=name, copy=False)
    if kind == "string":
        na_value = np.nan if data["na"] == "nan" else pd.NA
        dtype = pd.StringDtype(storage=data["storage"], na_value=na_value)
        return pd.Series(pd.array(data["values"], dtype=dtype), index=index, name=name)
    if kind == "masked":
        values = arrays.get(data["values"])
        masked = _MASKED[np.dtype(data["dtype"]).kind](values, arrays.get(data["mask"]).astype(bool))
        return pd.Series(masked, index=index, name=name)
    if kind == "object":
        cells = np.empty(len(data["values"]), dtype=object)
        cells[:] = [decode_value(value) for value in data["values"]]
        return pd.Series(cells, index=index, name=name, dtype=object)
    raise StageCacheError(f"column {name}: unknown kind {kind!r}")


def _encode_index(index: pd.Index, arrays: _Arrays) -> dict[str, Any]:
    if index.name is not None and not isinstance(index.name, str):
        raise StageCacheError("an index whose name is not text")
    if isinstance(index, pd.RangeIndex):
        return {"range": [index.start, index.stop, index.step], "name": index.name}
    if isinstance(index, pd.MultiIndex):
        raise StageCacheError("a MultiIndex")
    return {"column": _encode_column(index.to_series(index=pd.RangeIndex(len(index))), arrays), "name": index.name}


def _decode_index(data: Mapping[str, Any], arrays: _Arrays) -> pd.Index:
    if "range" in data:
        return pd.RangeIndex(*data["range"], name=data["name"])
    return pd.Index(_decode_column(data["column"], arrays, index=None, name=None), name=data["name"])


def _crs_text(crs: CRS | None) -> str | None:
    if crs is None:
        return None
    crs = CRS.from_user_input(crs)
    authority = crs.to_authority(min_confidence=100)
    if authority is not None:
        text = ":".join(authority)
        if CRS.from_user_input(text).to_wkt() == crs.to_wkt():
            return text
    return crs.to_wkt()


def _crs(text: str | None) -> CRS | None:
    return CRS.from_user_input(text) if text is not None else None


# --------------------------------------------------------------------------- layers and rasters


def encode_layer(layer: Layer, arrays: _Arrays) -> dict[str, Any]:
    """One layer as JSON data, its arrays added to `arrays` (see the module docstring).

    Raises
    ------
    StageCacheError
        If a column, the index or a provenance value cannot be stored exactly.
    """
    frame = layer.frame
    if not all(isinstance(column, str) for column in frame.columns) or frame.columns.name is not None:
        raise StageCacheError(f"layer {layer.name}: a column name is not text")
    provenance = layer.provenance
    try:
        columns = [[column, _encode_column(frame[column], arrays)] for column in frame.columns]
        parameters = encode_value(dict(provenance.parameters))
        attrs = encode_value(dict(frame.attrs))
    except StageCacheError as error:
        raise StageCacheError(f"layer {layer.name}: {error}") from None
    return {
        "name": layer.name, "title": layer.title, "disjoint": layer.disjoint,
        "provenance": {"source": provenance.source, "method": provenance.method, "quality": provenance.quality,
                       "parameters": parameters},
        "geometry": frame.geometry.name, "index": _encode_index(frame.index, arrays),
        "columns_dtype": str(frame.columns.dtype), "columns": columns, "attrs": attrs,
    }


def decode_layer(data: Mapping[str, Any], arrays: _Arrays) -> Layer:
    """The layer :func:`encode_layer` stored."""
    index = _decode_index(data["index"], arrays)
    columns = {name: _decode_column(column, arrays, index=index, name=name) for name, column in data["columns"]}
    table = pd.DataFrame(columns, index=index) if columns else pd.DataFrame(index=index)
    table.columns = pd.Index(list(columns), dtype=data["columns_dtype"])
    frame = gpd.GeoDataFrame(table, geometry=data["geometry"])
    frame.attrs = decode_value(data["attrs"])
    stored = data["provenance"]
    provenance = Provenance(source=stored["source"], method=stored["method"], quality=stored["quality"],
                            parameters=decode_value(stored["parameters"]))
    return Layer(data["name"], frame, provenance, data["title"], disjoint=data["disjoint"])


def _encode_raster(raster: Raster, arrays: _Arrays) -> dict[str, Any]:
    return {"values": arrays.add(raster.data), "transform": list(raster.transform)[:6], "crs": _crs_text(raster.crs)}


def _decode_raster(data: Mapping[str, Any], arrays: _Arrays) -> Raster:
    return Raster(data=arrays.get(data["values"]), transform=Affine(*data["transform"]), crs=_crs(data["crs"]))


def geometry_arrays(values: np.ndarray) -> dict[str, np.ndarray]:
    """Geometries (an object array) as plain arrays for :func:`write_stage`: WKB bytes, their ends, missing flags.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> points = np.array([Point(1 / 3, 2.5), None], dtype=object)
    >>> back = geometries_from_arrays(geometry_arrays(points))
    >>> back[0].equals_exact(points[0], tolerance=0.0), back[1] is None
    (True, True)
    """
    store = _Arrays()
    refs = _encode_geometries(values, store)
    return {part: store.get(refs[part]) for part in ("wkb", "ends", "missing")}


def geometry_digest(values: np.ndarray, *extra: bytes | str) -> str:
    """SHA-256 (hex) of geometries exactly as the store keeps them (:func:`geometry_arrays`), and of `extra`.

    The key of a piece of work made of these geometries (a memo entry): two
    arrays have the same digest only if every coordinate, height and part is
    the same, in the same order.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> a = geometry_digest(np.array([Point(0, 1 / 3)], dtype=object), "50 m")
    >>> a == geometry_digest(np.array([Point(0, 1 / 3)], dtype=object), "50 m")
    True
    >>> a == geometry_digest(np.array([Point(0, 0.3333333)], dtype=object), "50 m")
    False
    """
    arrays = geometry_arrays(np.asarray(values, dtype=object))
    hashed = hashlib.sha256()
    for part in ("wkb", "ends", "missing"):
        hashed.update(arrays[part].tobytes())
    for item in extra:
        hashed.update(item.encode("utf-8") if isinstance(item, str) else item)
    return hashed.hexdigest()


def geometries_from_arrays(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """The geometries :func:`geometry_arrays` gave arrays for."""
    parts = ("wkb", "ends", "missing")
    return _decode_geometries({part: part for part in parts}, _Arrays({part: arrays[part] for part in parts}))


# --------------------------------------------------------------------------- entries


def write_stage(folder: Path, *, layers: LayerSet, rasters: Mapping[str, Raster] | None = None,
                arrays: Mapping[str, np.ndarray] | None = None, figures: Mapping[str, Any] | None = None,
                files: Sequence[str] = ()) -> None:
    """Store a stage's results in `folder` (which the caller then renames into place).

    Parameters
    ----------
    folder : Path
        An existing folder; the output files named in `files` are already in
        its ``files/`` sub-folder.
    layers : LayerSet
    rasters : mapping of str to Raster, optional
    arrays : mapping of str to numpy.ndarray, optional
        Plain arrays (numeric, boolean or datetime dtypes).
    figures : mapping, optional
        Plain data (see :func:`encode_value`).
    files : sequence of str
        Names of the output files under ``files/``.

    Raises
    ------
    StageCacheError
        If something cannot be stored exactly; ``entry.json`` is then not written.
    OSError
        If a file cannot be written.
    """
    store = _Arrays()
    document: dict[str, Any] = {
        "format": FORMAT,
        "layers": [encode_layer(layer, store) for layer in layers.values()],
        "rasters": {name: _encode_raster(raster, store) for name, raster in (rasters or {}).items()},
        "arrays": {},
        "figures": encode_value(dict(figures or {})),
        "files": {name: file_digest(folder / FILES_FOLDER / name) for name in files},
    }
    for name, array in (arrays or {}).items():
        if array.dtype.kind not in "biufcmM":
            raise StageCacheError(f"array {name}: cannot store dtype {array.dtype} exactly")
        document["arrays"][name] = store.add(array)
    buffer = io.BytesIO()
    np.savez(buffer, **store.items)
    payload = buffer.getvalue()
    (folder / ARRAYS_FILE).write_bytes(payload)
    document["arrays_sha256"] = hashlib.sha256(payload).hexdigest()
    text = json.dumps(document, ensure_ascii=False, allow_nan=True, separators=(",", ":"))
    (folder / ENTRY_FILE).write_text(text, encoding="utf-8")


def read_stage(folder: Path, *, check_files: bool = True) -> StoredStage:
    """The results :func:`write_stage` stored in `folder`.

    Parameters
    ----------
    folder : Path
    check_files : bool, default True
        Also check the SHA-256 of every output file under ``files/``.

    Raises
    ------
    StageCacheError
        If the entry is missing, unreadable, of another format version, cut
        short or altered; the caller treats that as a cache miss.
    """
    try:
        document = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise StageCacheError(f"format {document.get('format')!r}, expected {FORMAT}")
        payload = (folder / ARRAYS_FILE).read_bytes()
        if hashlib.sha256(payload).hexdigest() != document["arrays_sha256"]:
            raise StageCacheError(f"{ARRAYS_FILE} does not match its record")
        with np.load(io.BytesIO(payload), allow_pickle=False) as loaded:
            store = _Arrays({name: loaded[name] for name in loaded.files})
        files = dict(document["files"])
        if check_files:
            for name, digest in files.items():
                if file_digest(folder / FILES_FOLDER / name) != digest:
                    raise StageCacheError(f"{FILES_FOLDER}/{name} does not match its record")
        return StoredStage(
            layers=LayerSet(decode_layer(item, store) for item in document["layers"]),
            rasters={name: _decode_raster(item, store) for name, item in document["rasters"].items()},
            arrays={name: store.get(ref) for name, ref in document["arrays"].items()},
            figures=decode_value(document["figures"]),
            files=files,
        )
    except StageCacheError as error:
        raise StageCacheError(f"{folder}: {error}") from None
    except _DAMAGED as error:
        raise StageCacheError(f"{folder}: unreadable ({type(error).__name__}: {error})") from None
