"""The generation of a layers folder: which bytes of which files belong together.

The manifest (:mod:`alatau_geo.core.manifest`) is written after every other
file of an export and records, under ``generation``, the SHA-256 of each of
them and an id derived from those hashes::

    "generation": {"id": "3f0c9a1e5b7d2c44", "files": {"alatau_geo.gpkg": "<sha256>", "places.geojson": ...}}

Identical outputs give an identical id, so two builds of the same inputs
write byte-identical manifests. A reader that takes a file from the folder
checks its bytes against the record (:func:`check_member`): a GeoJSON file
from one build beside a manifest from another (an export killed halfway, a
build running, a file edited by hand) is refused with one line instead of
being mixed silently. Folders written before generations were recorded have
no record and are read as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alatau_geo.core.errors import LayerError
from alatau_geo.core.geojson import load_json
from alatau_geo.core.manifest import MANIFEST_NAME

__all__ = [
    "GENERATION_KEY",
    "check_folder",
    "check_member",
    "file_digest",
    "generation_files",
    "generation_id",
    "with_generation",
]

GENERATION_KEY = "generation"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, hexadecimal."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def generation_id(files: Mapping[str, str]) -> str:
    """The id of a generation: 16 hex digits of the SHA-256 of its sorted ``name digest`` lines.

    Examples
    --------
    >>> generation_id({"a.geojson": "00", "b.geojson": "11"}) == generation_id({"b.geojson": "11", "a.geojson": "00"})
    True
    """
    lines = "".join(f"{name} {files[name]}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()[:16]


def with_generation(manifest_text: str, files: Mapping[str, str]) -> str:
    """The manifest text with its ``generation`` record set to `files` (name -> SHA-256), placed before the layers.

    The JSON is written as :func:`alatau_geo.core.manifest.manifest_text` writes it
    (two-space indent, non-ASCII kept), so identical inputs give identical bytes.
    """
    data = json.loads(manifest_text)
    record = {"id": generation_id(files), "files": {name: files[name] for name in sorted(files)}}
    ordered: dict[str, Any] = {key: value for key, value in data.items() if key not in ("layers", GENERATION_KEY)}
    ordered[GENERATION_KEY] = record
    ordered["layers"] = data.get("layers", [])
    return json.dumps(ordered, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def generation_files(directory: str | Path) -> dict[str, str] | None:
    """The files (name -> SHA-256) the folder's manifest records, or None (no manifest, or none recorded).

    Raises
    ------
    LayerError
        If the manifest is not valid JSON or its record is malformed.
    """
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        return None
    data = load_json(path)
    record = data.get(GENERATION_KEY) if isinstance(data, dict) else None
    if record is None:
        return None
    files = record.get("files") if isinstance(record, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise LayerError(f"{path}: malformed '{GENERATION_KEY}' record")
    return dict(files)


def check_member(path: Path, data: bytes, *, files: Mapping[str, str] | None) -> None:
    """Refuse bytes read from `path` that the manifest's generation record does not list for it.

    Parameters
    ----------
    path : Path
        The file read (its name is looked up in `files`).
    data : bytes
        Its content as read.
    files : mapping or None
        :func:`generation_files` of its folder; None checks nothing. A file
        the record does not list is not checked.

    Raises
    ------
    LayerError
        ``<path>: does not belong to the build recorded in manifest.json ...``.
    """
    if files is None or path.name not in files:
        return
    if hashlib.sha256(data).hexdigest() != files[path.name]:
        raise _mismatch(path)


def _mismatch(path: Path) -> LayerError:
    return LayerError(
        f"{path}: does not belong to the build recorded in {MANIFEST_NAME} (a build was interrupted or is "
        "running, or the file was edited by hand); build the layers again (alatau-geo build)"
    )


def check_folder(directory: str | Path) -> str | None:
    """Check every file of the folder's generation record that is present; the generation id, or None.

    A recorded file that is absent (a GeoPackage not built in a fresh
    clone) is not an error here; readers that need it say so. None means the
    folder records no generation (written before generations were recorded).

    Raises
    ------
    LayerError
        If a present file's bytes differ from the record.
    """
    directory = Path(directory)
    files = generation_files(directory)
    if files is None:
        return None
    for name in sorted(files):
        path = directory / name
        if Path(name).name == name and path.is_file() and file_digest(path) != files[name]:
            raise _mismatch(path)
    return generation_id(files)
