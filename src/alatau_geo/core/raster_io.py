"""Cloud-Optimised GeoTIFF output: tiled, compressed, with overviews, byte-for-byte reproducible.

A COG lets QGIS, a web map or a notebook read only the tiles and the
overview level it shows, so a 10 m suitability surface over the whole
special economic zone opens as fast as a 100 m one. Files are written with
GDAL's ``COG`` driver through rasterio by the package's one GeoTIFF writer,
:func:`alatau_geo.core.io.write_geotiff` (atomically).
Nothing time-dependent is written (GDAL adds no date tag unless asked), so
the same raster always gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors

from alatau_geo.core.errors import ExportError, InputDataError
from alatau_geo.core.io import write_geotiff
from alatau_geo.core.raster import Raster

#: Nodata value and overview resampling for each supported sample type:
#: continuous float scores are averaged, class codes take the most frequent code.
COG_TYPES: Mapping[str, tuple[float, str]] = {"float32": (math.nan, "average"), "uint8": (255, "mode")}


def write_cog(raster: Raster, path: str | Path, *, dtype: str = "float32", blocksize: int = 512,
              tags: Mapping[str, str] | None = None) -> Path:
    """Write a single-band raster as a Cloud-Optimised GeoTIFF with overviews.

    Parameters
    ----------
    raster : alatau_geo.core.raster.Raster
        Values (NaN = nodata for float32; 255 = nodata for uint8 codes),
        transform and CRS.
    path : str or Path
        The ``.tif`` file; its folder is created if missing.
    dtype : {'float32', 'uint8'}, default 'float32'
        float32 (scores; overviews averaged, predictor 3) or uint8 (class
        codes 0-254; overviews by mode, predictor 2).
    blocksize : int, default 512
        Tile width and height in pixels (a multiple of 16).
    tags : mapping of str to str, optional
        Dataset metadata, e.g. class labels or a provenance summary.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    ExportError
        If `dtype` is not supported, values do not fit it, or the file cannot
        be written.
    """
    path = Path(path)
    if dtype not in COG_TYPES:
        raise ExportError(f"{path}: COG dtype must be one of {', '.join(COG_TYPES)}, got {dtype!r}")
    if blocksize <= 0 or blocksize % 16:
        raise ExportError(f"{path}: blocksize must be a positive multiple of 16, got {blocksize}")
    samples = _samples(raster.data, dtype=dtype, path=path)
    nodata, resampling = COG_TYPES[dtype]
    options = {
        "driver": "COG", "nodata": nodata, "compress": "deflate", "predictor": "3" if dtype == "float32" else "2",
        "blocksize": blocksize, "overview_resampling": resampling,
    }
    return write_geotiff(samples, path, like=raster, options=options, tags=tags, what="Cloud-Optimised GeoTIFF")


def _samples(data: np.ndarray, *, dtype: str, path: Path) -> np.ndarray:
    if data.ndim != 2:
        raise ExportError(f"{path}: expected a 2-D raster, got {data.ndim} dimensions")
    if dtype == "float32":
        return np.asarray(data, dtype=np.float32)
    values = np.asarray(data)
    if values.dtype.kind == "f":
        if np.isnan(values).any():
            raise ExportError(f"{path}: uint8 codes cannot hold NaN; use 255 for no data")
        if (values != np.round(values)).any():
            raise ExportError(f"{path}: uint8 codes must be whole numbers")
    if values.size and (values.min() < 0 or values.max() > 255):
        raise ExportError(f"{path}: values outside 0-255 cannot be written as uint8")
    return values.astype(np.uint8)


def read_raster_tags(path: str | Path) -> dict[str, str]:
    """The dataset metadata tags of a GeoTIFF (e.g. those :func:`write_cog` wrote).

    Raises
    ------
    InputDataError
        If the file is missing or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: raster file not found")
    try:
        with rasterio.open(path) as dataset:
            return dict(dataset.tags())
    except rasterio.errors.RasterioError as error:
        raise InputDataError(f"{path}: cannot read raster ({error})") from None
