"""Terrain: tile decoding, mosaicking, georeferencing, void filling, slope."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import CRSError, DemError
from alatau_geo.core.raster import Raster
from alatau_geo.reference import terrain
from alatau_geo.reference.terrain import SRTM3_SAMPLES, SRTM_VOID


def tile(value: int = 500) -> np.ndarray:
    return np.full((SRTM3_SAMPLES, SRTM3_SAMPLES), value, dtype=np.int16)


def write_tile(folder: Path, name: str, samples: np.ndarray) -> Path:
    path = folder / f"{name}.hgt.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.hgt", samples.astype(">i2").tobytes())
    return path


def test_tile_name_gives_south_west_corner():
    assert terrain.parse_tile_name("N43E077") == (77, 43)
    assert terrain.parse_tile_name("S01W002") == (-2, -1)
    with pytest.raises(DemError, match="not an SRTM tile name"):
        terrain.parse_tile_name("N43E77")


def test_tile_round_trip_keeps_big_endian_values(tmp_path):
    samples = tile()
    samples[0, 0], samples[1200, 1200] = 4950, -12
    path = write_tile(tmp_path, "N43E077", samples)
    decoded = terrain.read_srtm_tile(path)
    assert decoded.shape == (1201, 1201)
    assert decoded[0, 0] == 4950 and decoded[1200, 1200] == -12


def test_corrupt_wrong_size_and_missing_tiles_are_one_line_errors(tmp_path):
    (tmp_path / "N43E077.hgt.zip").write_bytes(b"not a zip at all")
    with pytest.raises(DemError, match=r"N43E077.hgt.zip: corrupt tile"):
        terrain.read_srtm_tile(tmp_path / "N43E077.hgt.zip")
    with zipfile.ZipFile(tmp_path / "N42E077.hgt.zip", "w") as archive:
        archive.writestr("N42E077.hgt", b"\x00" * 1000)
    with pytest.raises(DemError, match=r"wrong tile size, 1000 bytes"):
        terrain.read_srtm_tile(tmp_path / "N42E077.hgt.zip")
    with pytest.raises(DemError, match=r"tile N42E076 missing") as error:
        terrain.find_tiles(tmp_path, ["N42E077", "N42E076"])
    assert "\n" not in str(error.value)



def test_a_build_decodes_the_same_tile_bytes_once_and_still_stops_at_a_changed_bad_tile(tmp_path, monkeypatch):
    from alatau_geo.jobs.stage_cache import StageCache
    from alatau_geo.jobs.tile_stages import check_tiles

    names = ["N43E076", "N43E077"]
    for name in names:
        write_tile(tmp_path, name, tile())
    cache = StageCache(tmp_path / "cache")
    decoded: list[str] = []
    read = terrain.read_srtm_tiles

    def counted(folder: Path, wanted: list[str]) -> dict[str, np.ndarray]:
        decoded.append("read")
        return read(folder, wanted)

    monkeypatch.setattr(terrain, "read_srtm_tiles", counted)
    check_tiles(tmp_path, names, cache=cache)
    check_tiles(tmp_path, names, cache=cache)  # the same bytes decoded before: not read again
    assert decoded == ["read"]
    write_tile(tmp_path, "N43E077", tile(SRTM_VOID))  # replaced by a tile with no elevation
    with pytest.raises(DemError, match=r"N43E077.hgt.zip: every sample is void"):
        check_tiles(tmp_path, names, cache=cache)
    check_tiles(tmp_path, ["N43E076"], cache=StageCache(None))  # without a cache, decoded every time
    assert decoded == ["read", "read", "read"]

def test_mosaic_shares_edges_and_prefers_values_over_voids():
    south = tile(100)
    north = tile(200)
    # The north tile's bottom row is the south tile's top row: a void there
    # must not hide the south tile's value.
    north[-1, :10] = SRTM_VOID
    mosaic = terrain.mosaic_srtm({"N42E077": south, "N43E077": north})
    assert mosaic.shape == (2401, 1201)
    shared_row = 1200
    assert np.all(mosaic.data[shared_row, :10] == 100)
    assert np.all(mosaic.data[shared_row, 10:] == 100) or np.all(mosaic.data[shared_row, 10:] == 200)
    # Pixel-is-point: the north-west sample sits exactly on 77 E, 44 N.
    x, y = mosaic.transform @ (0.5, 0.5)
    assert x == pytest.approx(77.0) and y == pytest.approx(44.0)
    x, y = mosaic.transform @ (1200.5, 2400.5)
    assert x == pytest.approx(78.0) and y == pytest.approx(42.0)


def test_voids_are_filled_and_far_voids_stay_nodata():
    data = np.full((50, 50), 300.0, dtype=np.float32)
    data[10:13, 10:13] = np.nan
    data[:, 40:] = np.nan
    raster = Raster(data, Affine(1 / 1200, 0, 77, 0, -1 / 1200, 44), terrain.EXPORT_CRS)
    filled, unfilled = terrain.fill_voids(raster, max_distance_cells=5)
    assert np.allclose(filled.data[10:13, 10:13], 300.0)
    assert unfilled == 50 * 5  # columns 45..49 are more than 5 cells from data
    assert np.isnan(filled.data[:, 45:]).all()


def test_slope_is_computed_in_metres():
    # A plane rising 1 m per 10 m eastwards: 10 % or 5.71 degrees everywhere.
    cols = np.arange(40) * 30.0
    data = np.tile(cols * 0.1, (30, 1)).astype(np.float32)
    raster = Raster(data, Affine(30, 0, 600_000, 0, -30, 4_800_000), WORKING_CRS)
    inner = (slice(1, -1), slice(1, -1))
    assert np.allclose(terrain.slope(raster, units="percent").data[inner], 10.0, atol=1e-4)
    assert np.allclose(terrain.slope(raster).data[inner], np.degrees(np.arctan(0.1)), atol=1e-4)
    geographic = Raster(data, Affine(1 / 1200, 0, 77, 0, -1 / 1200, 44), terrain.EXPORT_CRS)
    with pytest.raises(CRSError, match="projected"):
        terrain.slope(geographic)


def test_projecting_keeps_elevations_and_uses_metre_cells():
    data = np.full((241, 241), 640.0, dtype=np.float32)
    raster = Raster(data, Affine(1 / 1200, 0, 76.9, 0, -1 / 1200, 43.5), terrain.EXPORT_CRS)
    projected = terrain.project_raster(raster, resolution_m=90.0)
    assert projected.crs.equals(WORKING_CRS)
    assert projected.transform.a == 90.0 and projected.transform.e == -90.0
    assert np.nanmax(np.abs(projected.data - 640.0)) < 1e-3
    # 0.2 degrees of latitude is about 22.2 km, so about 247 cells of 90 m.
    assert 240 <= np.isfinite(projected.data).any(axis=1).sum() <= 252


def test_clip_keeps_cells_inside_bounds():
    raster = terrain.mosaic_srtm({"N43E077": tile(450)})
    clipped = terrain.clip_to_bounds(raster, (77.5, 43.5, 77.6, 43.6))
    assert clipped.shape == (121, 121)
    with pytest.raises(DemError, match="does not overlap"):
        terrain.clip_to_bounds(raster, (10, 10, 11, 11))


def test_sample_interpolates_between_cell_centres():
    data = np.array([[0, 10], [0, 10]], dtype=np.float32)
    raster = Raster(data, Affine(100, 0, 0, 0, -100, 200), WORKING_CRS)
    assert terrain.sample(raster, np.array([100.0]), np.array([100.0]))[0] == pytest.approx(5.0)
    assert np.isnan(terrain.sample(raster, np.array([1e6]), np.array([100.0]))[0])


def test_sample_of_a_few_points_is_that_of_the_whole_grid():
    from scipy import ndimage

    rng = np.random.default_rng(7)
    data = (rng.random((40, 60)) * 900).astype(np.float32)
    data[rng.random(data.shape) < 0.02] = np.nan  # no data: NaN next to it, as on the whole grid
    raster = Raster(data, Affine(30, 0, 500_000, 0, -30, 4_800_000), WORKING_CRS)
    # Points inside, on the cell centres of the edges, just beyond them and far off, alone and together.
    edges = [-3.0, -0.5, -0.49, 0.0, 0.5, 0.73, 20.2, 39.5, 39.51, 40.0, 59.5, 59.52, 60.0, 75.0]
    cols, rows = (grid.ravel() for grid in np.meshgrid(edges, edges))
    xs, ys = raster.transform @ (cols, rows)
    cols, rows = ~raster.transform @ (xs, ys)  # as sample() finds them again
    whole = ndimage.map_coordinates(data.astype(np.float64), np.vstack([rows - 0.5, cols - 0.5]), order=1,
                                    cval=np.nan)
    assert np.array_equal(terrain.sample(raster, xs, ys), whole, equal_nan=True)
    for k in range(len(xs)):
        assert np.array_equal(terrain.sample(raster, xs[k:k + 1], ys[k:k + 1]), whole[k:k + 1], equal_nan=True)
    assert np.isnan(terrain.sample(raster, np.array([np.nan]), np.array([4_799_000.0]))).all()


def test_cell_areas_shrink_northwards():
    raster = terrain.mosaic_srtm({"N43E077": tile()})
    areas = terrain.geographic_cell_areas_km2(raster)
    # 3 arc-seconds at 43.5 N: about 92.6 m north-south by 67.3 m east-west.
    assert areas[600] == pytest.approx(0.0925 * 0.0673, rel=0.01)
    assert areas[0] < areas[-1]
