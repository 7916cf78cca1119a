"""Cloud-Optimised GeoTIFF output: layout, overviews, values and reproducible bytes."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import ExportError
from alatau_geo.core.raster import Raster
from alatau_geo.core.raster_io import write_cog

TRANSFORM = Affine(100.0, 0.0, 660_000.0, 0.0, -100.0, 4_830_000.0)


def _score() -> Raster:
    rng = np.random.default_rng(13)
    data = rng.random((700, 900), dtype=np.float32)
    data[:20, :20] = np.nan
    return Raster(data, TRANSFORM, WORKING_CRS)


def test_score_is_written_as_a_cog_with_overviews(tmp_path):
    raster = _score()
    path = write_cog(raster, tmp_path / "suitability.tif", blocksize=256, tags={"basis": "derived"})
    with rasterio.open(path) as dataset:
        assert dataset.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert dataset.overviews(1) == [2, 4]
        assert dataset.block_shapes == [(256, 256)]
        assert dataset.transform == TRANSFORM and dataset.crs.to_epsg() == 32643
        assert dataset.tags()["basis"] == "derived"
        np.testing.assert_array_equal(dataset.read(1), raster.data)  # NaN compares equal here
        overview = dataset.read(1, out_shape=(350, 450))
    # Overviews average the score: the mean is preserved.
    assert np.nanmean(overview) == pytest.approx(np.nanmean(raster.data), abs=1e-3)


def test_the_same_raster_gives_the_same_bytes(tmp_path):
    first = write_cog(_score(), tmp_path / "a.tif").read_bytes()
    second = write_cog(_score(), tmp_path / "b.tif").read_bytes()
    assert first == second


def test_classes_are_written_as_uint8_with_255_for_no_data(tmp_path):
    codes = np.tile(np.array([0, 1, 2, 3, 255], dtype=np.uint8), (600, 120))
    path = write_cog(Raster(codes, TRANSFORM, WORKING_CRS), tmp_path / "classes.tif", dtype="uint8")
    with rasterio.open(path) as dataset:
        assert dataset.dtypes == ("uint8",) and dataset.nodata == 255
        np.testing.assert_array_equal(dataset.read(1), codes)
        assert set(np.unique(dataset.read(1, out_shape=(150, 150)))) <= {0, 1, 2, 3, 255}


@pytest.mark.parametrize(("data", "dtype", "message"), [
    (np.full((4, 4), 300.0), "uint8", "outside 0-255"),
    (np.full((4, 4), np.nan), "uint8", "NaN"),
    (np.zeros((4, 4)), "int64", "dtype must be one of"),
])
def test_bad_requests_raise_export_errors(tmp_path, data, dtype, message):
    with pytest.raises(ExportError, match=message):
        write_cog(Raster(data, TRANSFORM, WORKING_CRS), tmp_path / "bad.tif", dtype=dtype)
    assert not (tmp_path / "bad.tif").exists()
