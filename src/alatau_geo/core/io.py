"""Reading and writing the toolkit's files: a layers folder, rasters, text.

A layers folder
---------------
:func:`export_layers` writes every layer as RFC 7946 GeoJSON
(:mod:`alatau_geo.core.geojson`), one GeoPackage holding them all
(:mod:`alatau_geo.core.gpkg`) and ``manifest.json``
(:mod:`alatau_geo.core.manifest`), the index :func:`read_layers` reads back.
Every file is written atomically (:mod:`alatau_geo.core.atomic`), so a failed
export never leaves a half-written file where a good one was.

Rasters
-------
:func:`write_raster` and :func:`read_raster` store a single-band
:class:`~alatau_geo.core.raster.Raster` as a compressed GeoTIFF (the working-grid
DEM kept beside the layers, the terrain cache). :func:`write_geotiff` beneath it
is the package's one GeoTIFF writer; the Cloud-Optimised GeoTIFFs of
:func:`alatau_geo.core.raster_io.write_cog` go through it too.

Text
----
:func:`write_text` writes an HTML page or a report, atomically.

A user's own vector files are read by :func:`alatau_geo.core.vector_input.read_vector`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
import rasterio.errors
from pyproj import CRS

from alatau_geo.core.atomic import atomic_write, ensure_folder, text_writer
from alatau_geo.core.errors import CRSError, ExportError, InputDataError, LayerError
from alatau_geo.core.export_geometry import DEFAULT_PRECISION, PreparedLayer, prepare_layers
from alatau_geo.core.generation import check_member, file_digest, generation_files, with_generation
from alatau_geo.core.geojson import collection_text, read_layer
from alatau_geo.core.gpkg import FirstTables, check_gpkg_names, write_gpkg_file
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.core.manifest import MANIFEST_NAME, manifest_entries, manifest_text

if TYPE_CHECKING:
    from alatau_geo.core.raster import Raster

logger = logging.getLogger(__name__)

#: Value written for nodata cells, per GeoTIFF sample type :func:`write_raster` accepts.
RASTER_NODATA: Mapping[str, float] = {"int16": -32768, "float32": math.nan}


def write_text(text: str, path: str | Path) -> Path:
    """Write UTF-8 text (an HTML page, a report) atomically; the folder is created.

    Raises
    ------
    ExportError
        If the folder or the file cannot be written.
    """
    path = Path(path)
    ensure_folder(path.parent)
    return atomic_write(path, text_writer(text))


def copy_file(source: str | Path, target: str | Path) -> Path:
    """Copy a file's bytes to `target`, atomically; the folder is created.

    Raises
    ------
    InputDataError
        If `source` is missing.
    ExportError
        If `target` cannot be written.
    """
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise InputDataError(f"{source}: file not found")
    ensure_folder(target.parent)
    return atomic_write(target, lambda temporary: shutil.copyfile(source, temporary))


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
    options = {
        "driver": "GTiff", "nodata": RASTER_NODATA[dtype],
        # Predictor 2 (integers) or 3 (floats) makes smooth terrain compress well.
        "compress": "deflate", "predictor": 2 if dtype == "int16" else 3,
    }
    return write_geotiff(samples, path, like=raster, options=options)


def write_geotiff(samples: np.ndarray, path: str | Path, *, like: Raster, options: Mapping[str, Any],
                  tags: Mapping[str, str] | None = None, what: str = "raster") -> Path:
    """Write a 2-D array as a single-band GeoTIFF on the grid of `like`, atomically; the folder is created.

    The one GeoTIFF writer of the package: :func:`write_raster` and
    :func:`alatau_geo.core.raster_io.write_cog` choose the samples and the options.

    Parameters
    ----------
    samples : numpy.ndarray, shape (rows, cols)
        The values as written; their dtype is the file's sample type.
    path : str or Path
        The ``.tif`` file.
    like : alatau_geo.core.raster.Raster
        The raster whose transform and CRS the file gets.
    options : mapping
        The rest of rasterio's profile: ``driver``, ``nodata`` and the GDAL
        creation options (``compress``, ``predictor``, ...).
    tags : mapping of str to str, optional
        Dataset metadata, written in key order.
    what : str, default "raster"
        What the file is, for the error message.

    Returns
    -------
    Path
        The file written: `path`, now whole (renamed into place).

    Raises
    ------
    ExportError
        If GDAL or the file system refuses the file.
    """
    path = Path(path)
    rows, cols = samples.shape
    profile = {"width": cols, "height": rows, "count": 1, "dtype": samples.dtype.name, "crs": like.crs.to_wkt(),
               "transform": like.transform, **options}

    def write(temporary: Path) -> None:
        try:
            with rasterio.open(temporary, "w", **profile) as dataset:
                dataset.write(samples, 1)
                if tags:
                    dataset.update_tags(**dict(sorted(tags.items())))
        except rasterio.errors.RasterioError as error:
            raise ExportError(f"{path}: cannot write {what} ({error})") from None

    ensure_folder(path.parent)
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
    LayerError
        If the folder's manifest records other bytes for the file.
    CRSError
        If the raster has no CRS.
    """
    from alatau_geo.core.raster import Raster

    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: raster file not found")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputDataError(f"{path}: cannot read raster ({error.strerror or error})") from None
    # A raster beside a manifest must be the one its generation record lists.
    check_member(path, data, files=generation_files(path.parent))
    try:
        with rasterio.MemoryFile(data) as memory, memory.open() as dataset:
            band = dataset.read(1, masked=True)
            transform, crs = dataset.transform, dataset.crs
    except rasterio.errors.RasterioError as error:
        raise InputDataError(f"{path}: cannot read raster ({error})") from None
    if crs is None:
        raise CRSError(f"{path}: raster has no coordinate reference system")
    data = np.ma.filled(band.astype("float32"), np.nan)
    return Raster(data=data, transform=transform, crs=CRS.from_user_input(crs.to_wkt()))


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
    extra_files: Sequence[str] = (),
    prepared: Mapping[str, tuple[PreparedLayer, str]] | None = None,
    gpkg_first: FirstTables | None = None,
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
    extra_files : sequence of str, default ()
        Files already in `out_dir` that belong with the layers (the terrain
        raster); the manifest's generation record lists them too.
    prepared : mapping of str to (PreparedLayer, str), optional
        Layers already prepared at `precision` and their GeoJSON text, by
        name (a build's cache of unchanged layers); the caller vouches that
        they are what :func:`~alatau_geo.core.export_geometry.prepare_layer`
        and :func:`~alatau_geo.core.geojson.collection_text` give.
    gpkg_first : FirstTables, optional
        A GeoPackage holding the tables of the first layers, which the
        GeoPackage starts from (:func:`~alatau_geo.core.gpkg.write_gpkg_file`;
        the caller vouches that they are these layers' tables).

    Returns
    -------
    ExportResult

    Raises
    ------
    LayerError
        If a layer cannot be exported (see :func:`~alatau_geo.core.geojson.geojson_text`); nothing is
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
    known = dict(prepared or {})
    items = prepare_layers(layers, precision=precision, known={name: item for name, (item, _) in known.items()})
    check_gpkg_names(items)
    texts = {item.layer.name: known[item.layer.name][1] if item.layer.name in known
             else collection_text(item, precision=precision) for item in items}
    index_text = manifest_text(items, precision=precision, built_by=built_by)
    directory = Path(out_dir)
    ensure_folder(directory)
    geojson = tuple(atomic_write(directory / f"{name}.geojson", text_writer(text)) for name, text in texts.items())
    gpkg = atomic_write(directory / gpkg_name, lambda temporary: write_gpkg_file(temporary, items, first=gpkg_first))
    # The manifest goes last: its presence says the export is complete, and
    # its generation record says which bytes of which files belong together.
    files = {path.name: hashlib.sha256(texts[path.stem].encode("utf-8")).hexdigest() for path in geojson}
    for name in (gpkg_name, *extra_files):
        try:
            files[name] = file_digest(directory / name)
        except OSError as error:
            raise ExportError(f"{directory / name}: cannot read it back ({error.strerror or error})") from None
    manifest = atomic_write(directory / MANIFEST_NAME, text_writer(with_generation(index_text, files)))
    logger.debug("exported %d layers to %s", len(items), directory)
    return ExportResult(directory=directory, geojson=geojson, gpkg=gpkg, manifest=manifest)


def read_layers(directory: str | Path, *, exclude: Collection[str] = ()) -> LayerSet:
    """Read a folder written by :func:`export_layers` back into layers.

    Parameters
    ----------
    directory : str or Path
        Holds ``manifest.json`` and the GeoJSON files it lists.
    exclude : collection of str
        Names of layers not to read (a caller that rebuilds them saves
        parsing their features).

    Returns
    -------
    LayerSet
        Layers in the working CRS (EPSG:32643) with their provenance, in
        manifest order (by name).

    Raises
    ------
    LayerError
        One line naming the file and the problem (no manifest, bad JSON, a
        listed file missing or not matching its manifest entry, or a file
        whose bytes are not those the manifest's generation record lists:
        see :mod:`alatau_geo.core.generation`).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> layers = ag.read_layers("layers")  # doctest: +SKIP
    >>> layers["reservoir"].provenance.quality  # doctest: +SKIP
    'derived'
    """
    files = generation_files(directory)
    layers = []
    for name, path in manifest_entries(directory):
        if name in exclude:
            continue
        layer = read_layer(path, check=partial(check_member, files=files))
        if layer.name != name:
            raise LayerError(f"{path}: holds layer {layer.name!r}, manifest says {name!r}")
        layers.append(layer)
    return LayerSet(layers)
