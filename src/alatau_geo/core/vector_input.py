"""Reading a user's vector file (GeoJSON, GeoPackage or Shapefile).

:func:`read_vector` goes through an explicit suffix table
(:data:`VECTOR_DRIVERS`), never guesses a format, and turns every failure
into a one-line :class:`~alatau_geo.core.errors.LayerError`: GDAL's, a text
that is not UTF-8 (with a hint when it looks like cp1251), and a geometry
GDAL accepts but GEOS cannot build (a polygon ring that is not closed),
naming the feature. A Shapefile without a ``.cpg`` file has its text
encoding guessed from its bytes (UTF-8, else cp1251 when the text reads as
Cyrillic), and the guess is reported through ``on_warning``: text read in
the wrong encoding would otherwise pass every check as mojibake.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyogrio.raw
import shapely
from shapely.errors import ShapelyError

from alatau_geo.core.errors import LayerError
from alatau_geo.core.gdal_errors import GDAL_ERRORS, gdal_reason
from alatau_geo.core.text_input import looks_like_cp1251

logger = logging.getLogger(__name__)

#: File suffixes :func:`read_vector` accepts, and the GDAL driver each must be.
VECTOR_DRIVERS: Mapping[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
}


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
        raise LayerError(
            f"{path}: holds several layers ({', '.join(spatial)}); choose one with --layer NAME (layer= in Python)"
        )
    return spatial[0]


def read_vector(path: str | Path, *, what: str = "layer", layer: str | None = None,
                on_warning: Callable[[str], None] = logger.warning) -> gpd.GeoDataFrame:
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
    on_warning : callable, optional
        Receives one line for each thing read on a guess (a Shapefile's text
        encoding); default: logged as a warning.

    Returns
    -------
    GeoDataFrame
        As stored, in the file's CRS (None if the file has none).

    Raises
    ------
    LayerError
        One line naming the file: unknown suffix, missing file or a folder, a
        file GDAL cannot read (with GDAL's reason), text that is not UTF-8, a
        geometry that cannot be built (naming the feature), a file of another
        format than its suffix says, or an unknown or ambiguous layer.
    """
    path = Path(path)
    driver = VECTOR_DRIVERS.get(path.suffix.lower())
    if driver is None:
        known = ", ".join(VECTOR_DRIVERS)
        raise LayerError(f"{path}: unknown {what} file type {path.suffix or '(no suffix)'!r}; use one of {known}")
    if path.is_dir():
        raise LayerError(f"{path}: is a folder, not a {what} file")
    if not path.is_file():
        raise LayerError(f"{path}: {what} file not found")
    # GDAL reports what it tolerates (an unclosed ring) as Python warnings; the failures below say it better.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = _read_frame(path, driver=driver, what=what, layer=layer)
    if driver == "ESRI Shapefile":
        frame = _with_guessed_encoding(frame, path, on_warning=on_warning)
    return frame


def _read_frame(path: Path, *, driver: str, what: str, layer: str | None) -> gpd.GeoDataFrame:
    chosen = layer
    try:
        chosen = _spatial_layer(path, layer=layer)
        found = pyogrio.read_info(path, layer=chosen)["driver"]
        if found != driver:
            raise LayerError(f"{path}: not a {driver} file (GDAL reads it as {found})")
        frame = gpd.read_file(path, engine="pyogrio", layer=chosen)
    except GDAL_ERRORS as error:
        raise LayerError(f"{path}: cannot read {what} file ({gdal_reason(error)})") from None
    except UnicodeDecodeError as error:
        raise LayerError(f"{path}: text is not UTF-8 ({_encoding_hint(path, error)})") from None
    except ShapelyError as error:
        raise LayerError(f"{path}: {_unbuildable_feature(path, layer=chosen, error=error)}") from None
    if not isinstance(frame, gpd.GeoDataFrame):  # geopandas returns a DataFrame for a table
        raise LayerError(f"{path}: layer {chosen!r} has no geometries")
    return frame


def _encoding_hint(path: Path, error: UnicodeDecodeError) -> str:
    byte = f"byte 0x{error.object[error.start]:02X}" if isinstance(error.object, bytes) else "a byte"
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if looks_like_cp1251(data):
        return f"{byte}; it looks like cp1251 (Cyrillic Windows): save the file as UTF-8"
    return f"{byte}; save the file as UTF-8"


def _unbuildable_feature(path: Path, *, layer: str, error: Exception) -> str:
    """Which feature's geometry GEOS refused, and why (``feature 2 (id=a): ...``)."""
    reason = str(error).split(": ", 1)[-1]
    try:
        meta, _fids, geometries, fields = pyogrio.raw.read(path, layer=layer)
    except GDAL_ERRORS:
        return f"a geometry cannot be built ({reason})"
    names = [str(name) for name in meta["fields"]]
    ids = fields[names.index("id")] if "id" in names else [None] * len(geometries)
    for number, (wkb, feature_id) in enumerate(zip(geometries, ids, strict=True), start=1):
        try:
            shapely.from_wkb(wkb)
        except ShapelyError as problem:
            label = f"feature {number}" + (f" (id={feature_id})" if feature_id not in (None, "") else "")
            return f"{label}: geometry cannot be built ({str(problem).split(': ', 1)[-1]})"
    return f"a geometry cannot be built ({reason})"


def _with_guessed_encoding(frame: gpd.GeoDataFrame, path: Path, *,
                           on_warning: Callable[[str], None]) -> gpd.GeoDataFrame:
    """A Shapefile without ``.cpg`` and code page byte: its text re-read in the encoding its bytes suggest."""
    cpg = [p for p in _siblings(path) if p.suffix.lower() == ".cpg"]
    if cpg or _dbf_code_page(path) != 0:
        return frame  # the file says its encoding; GDAL used it
    columns = [c for c in frame.columns
               if c != frame.geometry.name and any(isinstance(v, str) for v in frame[c].tolist())]
    # GDAL read the bytes as ISO-8859-1, which maps each byte to one character: encoding back gives the bytes.
    raw = b"\n".join(v.encode("latin-1") for c in columns for v in frame[c].tolist() if isinstance(v, str))
    if raw.isascii():
        return frame
    try:
        raw.decode("utf-8")
        encoding, reason = "UTF-8", "the bytes are valid UTF-8"
    except UnicodeDecodeError:
        encoding, reason = ("CP1251", "Cyrillic detected") if looks_like_cp1251(raw) else (None, "")
    name = f"{path.stem}.cpg"
    if encoding is None:
        on_warning(f"{path}: no {name} says the text encoding; non-ASCII text was read as ISO-8859-1 (Latin-1), "
                   f"which may be wrong: write the encoding (e.g. UTF-8 or CP1251) into {name}")
        return frame
    on_warning(f"{path}: no {name} says the text encoding; read as {encoding} ({reason}): write {encoding} into "
               f"{name} to confirm it")
    recoded = frame.copy()
    for column in columns:
        recoded[column] = [v.encode("latin-1").decode(encoding, errors="replace") if isinstance(v, str) else v
                           for v in frame[column].tolist()]
    return recoded


def _siblings(path: Path) -> list[Path]:
    """The files of a Shapefile: same folder, same name, any suffix."""
    return sorted(p for p in path.parent.iterdir() if p.stem == path.stem)


def _dbf_code_page(path: Path) -> int:
    """The language driver byte of the Shapefile's ``.dbf`` (0: not given), or -1 if unreadable."""
    dbf = [p for p in _siblings(path) if p.suffix.lower() == ".dbf"]
    try:
        with open(dbf[0], "rb") as handle:
            header = handle.read(32)
    except (IndexError, OSError):
        return -1
    return header[29] if len(header) > 29 else -1
