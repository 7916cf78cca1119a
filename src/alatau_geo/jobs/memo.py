"""Pieces of a stage kept between builds by exactly what they are made of.

The stage cache (:mod:`alatau_geo.jobs.stage_cache`) keeps whole stages: an
edit of one district changes the zones' key, so every later stage runs
again. Inside such a stage, many pieces do not depend on the district at
all: the service area of a facility whose streets the edit did not reach is
the buffer of the same lines as before. :class:`GeometryMemo` keeps such
pieces by a key the computing code derives from the piece's own inputs (the
WKB of the lines, the buffer width), so an unchanged piece is read back,
exact to the bit, and a changed one is computed. The map pages keep the
display copies of layers the same way (:func:`alatau_geo.jobs.pages.cached_display`).
The computing code only sees a mutable mapping (:class:`FileMemo`); this
module is where it touches the disk.

Entries are files ``<key><suffix>`` (``.wkb`` for geometries) in a folder of
the workspace cache (``stages/memo-<kind>-<code>/``); the most recently used
:data:`KEEP_ENTRIES` are kept. The folder is named by the toolkit's code
digest as well, so a change of the code that makes the pieces starts a new
folder instead of reading pieces it would now make differently.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import shapely

from alatau_geo.core.atomic import atomic_write, remove_stale_temporaries
from alatau_geo.jobs.stage_cache import StageCache, code_digest

logger = logging.getLogger(__name__)

__all__ = ["KEEP_ENTRIES", "ArrayMemo", "ByObject", "ExportedMemo", "FeatureMemo", "FileMemo", "GeometryMemo",
           "ZoneMemo", "exported_memo", "geometry_memo", "memo_folder", "zone_memo"]

KEEP_ENTRIES = 400
"""Entries kept per kind (about ten builds of the default plan's service areas)."""
_KEY = re.compile(r"[0-9a-f]{16,64}")
_FEATURE_KEY = 16
_DIGEST_BYTES = 32  # the SHA-256 that ends each file
T = TypeVar("T")
K = TypeVar("K")


class ByObject(Generic[K, T]):
    """`make` of each object, worked out once while this lives, by the object itself (not by equality).

    For what a build works out of its layers, which are not changed in
    place and not hashable (a Layer holds a GeoDataFrame): the same object
    gives the same value. Each object is kept beside its value, so its id
    is not reused by another while the entry lives.

    Examples
    --------
    >>> made = []
    >>> lengths = ByObject(lambda items: made.append(1) or len(items))
    >>> items = [1, 2, 3]
    >>> lengths(items), lengths(items), lengths([1, 2, 3]), len(made)
    (3, 3, 3, 2)
    """

    def __init__(self, make: Callable[[K], T]) -> None:
        self._make = make
        self._done: dict[int, tuple[K, T]] = {}

    def __call__(self, item: K) -> T:
        """The value of `item`: made on the first call, the same after."""
        known = self._done.get(id(item))
        if known is None or known[0] is not item:
            known = self._done[id(item)] = (item, self._make(item))
        return known[1]


class FileMemo(MutableMapping[str, T]):
    """Values by a hex key, kept as files ``<key><suffix>`` in `folder` (nothing is kept when `folder` is None).

    A subclass says how a value becomes bytes and back (:meth:`encode`,
    :meth:`decode`). Each file ends with the SHA-256 of the bytes before it:
    a damaged entry (one a crash left torn: the entries are not flushed to
    disk one by one) is a warning and a miss, and an entry that cannot be
    written costs time, never a result.

    Parameters
    ----------
    folder : Path or None
        Where the entries are; created on the first write.
    """

    suffix = ".bin"

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def encode(self, value: T) -> bytes:
        """The bytes of `value` in a file."""
        raise NotImplementedError

    def decode(self, data: bytes) -> T:
        """The value a file's `data` holds; ValueError if it holds none."""
        raise NotImplementedError

    def __getitem__(self, key: str) -> T:
        path = self._path(key)
        if path is None or not path.is_file():
            raise KeyError(key)
        try:
            value = self.decode(_checked(path.read_bytes()))
        except (OSError, ValueError) as error:
            logger.warning("ignoring a damaged memo entry %s (computing it again): %s", path, error)
            path.unlink(missing_ok=True)
            raise KeyError(key) from None
        os.utime(path)  # recently used: kept by the next prune
        return value

    def __setitem__(self, key: str, value: T) -> None:
        path = self._path(key)
        if path is None:
            return
        data = self.encode(value)
        data += hashlib.sha256(data).digest()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, lambda temporary: temporary.write_bytes(data), durable=False)
        except OSError as error:
            logger.info("memo entry %s not kept: %s", path, error)

    def made(self, key: str, make: Callable[[], T]) -> T:
        """The value kept under `key`, else the one `make` gives, kept under it."""
        try:
            return self[key]
        except KeyError:
            self[key] = value = make()
            return value

    def __delitem__(self, key: str) -> None:
        path = self._path(key)
        if path is None or not path.is_file():
            raise KeyError(key)
        path.unlink()

    def __iter__(self) -> Iterator[str]:
        if self.folder is None or not self.folder.is_dir():
            return iter(())
        return iter(sorted(path.name.removesuffix(self.suffix) for path in self.folder.glob(f"*{self.suffix}")))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def prune(self, *, keep: int = KEEP_ENTRIES) -> None:
        """Remove all but the `keep` most recently used entries (and what a killed build left half-written)."""
        if self.folder is None or not self.folder.is_dir():
            return
        remove_stale_temporaries(self.folder)
        entries = sorted(self.folder.glob(f"*{self.suffix}"), key=_used, reverse=True)
        for old in entries[keep:]:
            old.unlink(missing_ok=True)

    def _path(self, key: str) -> Path | None:
        if not _KEY.fullmatch(key):
            raise KeyError(f"not a hex key: {key!r}")
        return None if self.folder is None else self.folder / f"{key}{self.suffix}"


class GeometryMemo(FileMemo[shapely.Geometry]):
    """Geometries by a hex key, kept as WKB files in `folder` (nothing is kept when `folder` is None).

    Examples
    --------
    >>> import tempfile
    >>> memo = GeometryMemo(Path(tempfile.mkdtemp()) / "bands")
    >>> memo["ab" * 16] = shapely.Point(1.5, 2.0)
    >>> memo["ab" * 16].wkt, len(memo), ("cd" * 16) in memo
    ('POINT (1.5 2)', 1, False)
    """

    suffix = ".wkb"

    def encode(self, value: shapely.Geometry) -> bytes:
        """The geometry as WKB."""
        return shapely.to_wkb(value)

    def decode(self, data: bytes) -> shapely.Geometry:
        """The geometry of WKB `data`."""
        return _from_wkb(data)


class ArrayMemo(FileMemo[np.ndarray]):
    """Arrays by a hex key, kept as ``.npy`` files in `folder` (nothing is kept when `folder` is None).

    Examples
    --------
    >>> import tempfile
    >>> memo = ArrayMemo(Path(tempfile.mkdtemp()) / "cells")
    >>> memo["ab" * 16] = np.array([[0.5, np.nan]], dtype=np.float32)
    >>> memo["ab" * 16]
    array([[0.5, nan]], dtype=float32)
    """

    suffix = ".npy"

    def encode(self, value: np.ndarray) -> bytes:
        """The array in NumPy's format (dtype, shape and values, exact)."""
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return buffer.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        """The array a ``.npy`` file holds."""
        return np.load(io.BytesIO(data), allow_pickle=False)


class ZoneMemo(FileMemo[tuple[shapely.Geometry, float | None]]):
    """Zones (geometry and solved value) by a hex key, kept as files of the value (float64, NaN for none) and WKB."""

    suffix = ".zone"

    def encode(self, value: tuple[shapely.Geometry, float | None]) -> bytes:
        """The solved value's 8 bytes, then the geometry as WKB."""
        geometry, solved = value
        return np.float64(np.nan if solved is None else solved).tobytes() + shapely.to_wkb(geometry)

    def decode(self, data: bytes) -> tuple[shapely.Geometry, float | None]:
        """The zone :meth:`encode` wrote."""
        if len(data) < 9:
            raise ValueError("too short for a zone")
        solved = float(np.frombuffer(data[:8], dtype=np.float64)[0])
        return _from_wkb(data[8:]), None if np.isnan(solved) else solved


class FeatureMemo(FileMemo[dict[bytes, bytes]]):
    """Each feature's bytes by its 16-byte key, one file per entry (the keys, the offsets, then the bytes)."""

    suffix = ".features"

    def encode(self, value: dict[bytes, bytes]) -> bytes:
        """The count, the keys, the end of each feature's bytes (int64), then the bytes."""
        keys, items = list(value), list(value.values())
        if any(len(key) != _FEATURE_KEY for key in keys):
            raise ValueError(f"feature keys are {_FEATURE_KEY} bytes")
        ends = np.cumsum([len(item) for item in items], dtype=np.int64)
        return np.int64(len(keys)).tobytes() + b"".join(keys) + ends.tobytes() + b"".join(items)

    def decode(self, data: bytes) -> dict[bytes, bytes]:
        """The features :meth:`encode` wrote."""
        view = memoryview(data)
        if len(view) < 8:
            raise ValueError("too short for a feature memo")
        count = int(np.frombuffer(view[:8], dtype=np.int64)[0])
        start = 8 + count * (_FEATURE_KEY + 8)
        if count < 0 or len(view) < start:
            raise ValueError("truncated feature memo")
        ends = np.frombuffer(view[8 + count * _FEATURE_KEY:start], dtype=np.int64)
        begins = np.concatenate(([0], ends))[:-1].astype(np.int64)
        items = view[start:]
        if count and (ends[-1] != len(items) or (ends < begins).any()):
            raise ValueError("damaged feature memo")
        keys = bytes(view[8:8 + count * _FEATURE_KEY])
        return {keys[i * _FEATURE_KEY:(i + 1) * _FEATURE_KEY]: bytes(items[begin:end])
                for i, (begin, end) in enumerate(zip(begins.tolist(), ends.tolist(), strict=True))}


class ExportedMemo(MutableMapping[str, Mapping[bytes, bytes]]):
    """:data:`~alatau_geo.core.export_geometry.ExportedGeometries` kept in a :class:`FeatureMemo`, one entry a layer.

    A layer's entry is read from its file once and kept in memory for the
    rest of the build (the reference layers are exported for the zones, the
    suitability and the export).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> ExportedMemo(FeatureMemo(folder))["rivers"] = {b"k" * 16: b"wkb"}
    >>> dict(ExportedMemo(FeatureMemo(folder))["rivers"])
    {b'kkkkkkkkkkkkkkkk': b'wkb'}
    """

    def __init__(self, files: FeatureMemo) -> None:
        self.files = files
        self._read: dict[str, Mapping[bytes, bytes]] = {}

    def __getitem__(self, name: str) -> Mapping[bytes, bytes]:
        if name not in self._read:
            self._read[name] = self.files[_name_key(name)]
        return self._read[name]

    def __setitem__(self, name: str, value: Mapping[bytes, bytes]) -> None:
        self._read[name] = dict(value)
        self.files[_name_key(name)] = self._read[name]

    def __delitem__(self, name: str) -> None:
        self._read.pop(name, None)
        del self.files[_name_key(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read)  # file names are digests: only the layers of this build are known by name

    def __len__(self) -> int:
        return len(self._read)


def exported_memo(cache: StageCache) -> ExportedMemo:
    """The memo of exported geometries in `cache` (one that keeps nothing without a cache, ``--no-cache``)."""
    return ExportedMemo(FeatureMemo(memo_folder(cache, "exported")))


def _name_key(name: str) -> str:
    return hashlib.blake2b(name.encode("utf-8"), digest_size=16).hexdigest()


def zone_memo(cache: StageCache) -> ZoneMemo:
    """The memo of built zones in `cache` (one that keeps nothing without a cache, ``--no-cache``)."""
    return ZoneMemo(memo_folder(cache, "zones"))


def geometry_memo(cache: StageCache, kind: str) -> GeometryMemo:
    """The geometry memo of `kind` in `cache` (one that keeps nothing without a cache, ``--no-cache``)."""
    return GeometryMemo(memo_folder(cache, kind))


def memo_folder(cache: StageCache, kind: str) -> Path | None:
    """The folder of the memo of `kind` in `cache` for this code version; None without a cache.

    Folders of other code versions of the same kind are removed: their
    pieces may be made differently now.
    """
    if cache.folder is None:
        return None
    name = f"memo-{kind}-{code_digest()[:16]}"
    for old in cache.folder.glob(f"memo-{kind}-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return cache.folder / name


def _checked(data: bytes) -> bytes:
    """The bytes of a memo file before its SHA-256; ValueError (a damaged entry) if they do not match it."""
    body, digest = data[:-_DIGEST_BYTES], data[-_DIGEST_BYTES:]
    if len(data) < _DIGEST_BYTES or hashlib.sha256(body).digest() != digest:
        raise ValueError("its SHA-256 does not match its content")
    return body


def _from_wkb(data: bytes) -> shapely.Geometry:
    """The geometry of WKB `data`; ValueError (a damaged entry) if it is none."""
    try:
        return shapely.from_wkb(data)
    except shapely.errors.ShapelyError as error:
        raise ValueError(str(error)) from None


def _used(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
