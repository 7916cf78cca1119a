"""Reading a user's vector file (GeoJSON, GeoPackage or Shapefile).

:func:`read_vector` goes through an explicit suffix table
(:data:`VECTOR_DRIVERS`), never guesses a format, and turns every GDAL
failure into a one-line :class:`~alatau_geo.core.errors.LayerError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio

from alatau_geo.core.errors import LayerError
from alatau_geo.core.gdal_errors import GDAL_ERRORS, gdal_reason

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
    except GDAL_ERRORS as error:
        raise LayerError(f"{path}: cannot read {what} file ({gdal_reason(error)})") from None
    if not isinstance(frame, gpd.GeoDataFrame):  # geopandas returns a DataFrame for a table
        raise LayerError(f"{path}: layer {chosen!r} has no geometries")
    return frame
