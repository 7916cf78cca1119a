"""Hydrology on small synthetic DEMs whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from alatau_geo.core.crs import EXPORT_CRS, area_ha
from alatau_geo.core.errors import DemError
from alatau_geo.core.raster import Raster
from alatau_geo.reference import hydrology
from alatau_geo.reference.terrain import geographic_cell_areas_km2

STEP = 1 / 1200
N = 121


def grid(data: np.ndarray) -> Raster:
    """A raster of 3 arc-second cells whose north-west cell centre is at 77 E, 43.6 N."""
    return Raster(data.astype(np.float32), Affine(STEP, 0, 77 - STEP / 2, 0, -STEP, 43.6 + STEP / 2), EXPORT_CRS)


def valley() -> np.ndarray:
    """A valley along column 60 falling northwards: everything drains to the north edge at column 60."""
    rows, cols = np.mgrid[0:N, 0:N]
    return 500.0 + 2.0 * np.abs(cols - 60) + 1.0 * rows


def total_area_km2(raster: Raster) -> float:
    return float(geographic_cell_areas_km2(raster).sum() * raster.shape[1])


def outlet_area(flow: hydrology.FlowModel) -> float:
    return float(flow.upstream_area_km2[0, 60])


def test_basin_drains_to_its_outlet():
    raster = grid(valley())
    flow = hydrology.route_flow(raster)
    # Everything drains to the one outlet, bar edge cells that may leave the grid directly.
    total = total_area_km2(raster)
    assert 0.95 * total <= outlet_area(flow) <= total * (1 + 1e-9)
    streams = hydrology.stream_segments(flow, threshold_km2=1.0, simplify_tolerance_m=0)
    assert len(streams) >= 1
    main = streams.loc[streams["upstream_area_km2"].idxmax()]
    # The main stream runs along the valley axis, south to north.
    line = main.geometry
    assert line.coords[-1][1] > line.coords[0][1]
    assert main["strahler_order"] >= 1


def test_pit_is_filled_and_does_not_capture_the_basin():
    data = valley()
    data[60, 60] -= 25.0  # a 25 m deep pit in the valley floor
    with_pit = hydrology.route_flow(grid(data))
    without = hydrology.route_flow(grid(valley()))
    assert outlet_area(with_pit) == pytest.approx(outlet_area(without), rel=1e-6)
    assert with_pit.upstream_area_km2[60, 60] < outlet_area(with_pit)


def test_flat_is_drained_through():
    data = valley()
    data[40:80, 30:90] = data[40, 60]  # a large flat across the valley
    flow = hydrology.route_flow(grid(data))
    assert outlet_area(flow) == pytest.approx(outlet_area(hydrology.route_flow(grid(valley()))), rel=1e-6)


def reservoir_dem() -> tuple[np.ndarray, np.ndarray]:
    """A lake at 475 m touching the east edge, with an island; it spills west through a dam gap."""
    rows, cols = np.mgrid[0:N, 0:N]
    data = 520.0 + 1.0 * np.abs(rows - 60)  # hills north and south
    lake = (np.abs(rows - 60) <= 20) & (cols >= 40)
    data[lake] = 475.0
    data[58:61, 70:73] = 480.0  # a 3 x 3 island
    lake[58:61, 70:73] = False
    # The Ili below the dam: a channel from the lake's west shore to the north-west corner.
    for step in range(41):
        r, c = 60 - step, 40 - step
        data[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = 470.0 - step * 0.5
    data[lake] = 475.0
    return data, lake


def test_known_reservoir_area_island_and_outline():
    data, lake = reservoir_dem()
    raster = grid(data)
    reservoir = hydrology.extract_reservoir(raster, surface_m=475, level_m=475, simplify_tolerance_m=30.0,
                                            max_area_change_pct=1.0)
    expected = float((lake.sum(axis=1) * geographic_cell_areas_km2(raster)).sum())
    assert reservoir.raw_area_km2 == pytest.approx(expected, rel=1e-9)
    assert abs(reservoir.area_change_pct) <= 1.0
    assert reservoir.islands == 1
    assert reservoir.polygon.is_valid
    measured = float(area_ha(__import__("geopandas").GeoSeries([reservoir.polygon], crs=32643)).iloc[0]) / 100
    assert measured == pytest.approx(expected, rel=0.01)


def test_reservoir_level_missing_is_an_error():
    with pytest.raises(DemError, match="no DEM cell at the reservoir level 475 m"):
        hydrology.extract_reservoir(grid(valley()), surface_m=475, level_m=475, simplify_tolerance_m=30,
                                    max_area_change_pct=1)


def test_higher_level_floods_connected_land_but_not_below_the_dam():
    data, lake = reservoir_dem()
    data[lake & (np.arange(N)[None, :] > 110)] = 476.0  # a shallow bay at the east end, dry in the DEM
    lake_now = lake & (np.arange(N)[None, :] <= 110)
    raster = grid(data)
    cell_km2 = geographic_cell_areas_km2(raster)

    def at(level: float, **options: float) -> hydrology.Reservoir:
        return hydrology.extract_reservoir(raster, surface_m=475, level_m=level, simplify_tolerance_m=30.0,
                                           max_area_change_pct=1.0, **options)

    def km2(mask: np.ndarray) -> float:
        return float((mask.sum(axis=1) * cell_km2).sum())

    assert at(475).raw_area_km2 == pytest.approx(km2(lake_now), rel=1e-9)
    # At 477 m the bay is water; the 480 m island stays one.
    assert at(477).raw_area_km2 == pytest.approx(km2(lake), rel=1e-9)
    assert at(477).islands == 1
    # At 481 m the island is under water too, while the Ili below the dam (lower than
    # the SRTM surface, hence behind the dam) is never flooded.
    higher = at(481)
    island = np.zeros_like(lake)
    island[58:61, 70:73] = True
    assert higher.raw_area_km2 == pytest.approx(km2(lake | island), rel=1e-9)
    assert not higher.mask[:, :39].any()
    # An island smaller than min_island_ha counts as DEM noise and is filled.
    assert at(477, min_island_ha=1_000.0).islands == 0
    with pytest.raises(DemError, match="below the SRTM surface"):
        at(470)


def test_reservoir_drains_through_its_dam_not_the_tile_edge():
    data, lake = reservoir_dem()
    raster = grid(data)
    mask = hydrology.flat_region_mask(raster, level_m=475)
    through_dam = hydrology.route_flow(raster, lakes=mask)
    lake_area = float((mask.sum(axis=1) * geographic_cell_areas_km2(raster)).sum())
    below_dam = through_dam.upstream_area_km2[55:62, 33:39].max()
    assert below_dam >= lake_area
    # No lake cell on the east edge is an outlet: each drains into the lake.
    east_edge = np.flatnonzero(mask[:, -1]) * N + (N - 1)
    assert east_edge.size > 0
    assert np.all(through_dam.flwdir.idxs_ds[east_edge] != east_edge)


def test_named_rivers_are_traced_and_checked():
    data, lake = reservoir_dem()
    raster = grid(data)
    mask = hydrology.flat_region_mask(raster, level_m=475)
    flow = hydrology.route_flow(raster, lakes=mask)
    xs = lambda col: 77 + col * STEP  # noqa: E731
    ys = lambda row: 43.6 - row * STEP  # noqa: E731
    names = pd.DataFrame({
        "river_id": ["outflow", "outflow"],
        "lon": [xs(37), xs(10)],
        "lat": [ys(57), ys(30)],
    })
    (river,) = hydrology.trace_named_rivers(flow, names, threshold_km2=0.5, snap_radius_m=300, stop_mask=mask)
    assert river.ends_in == "edge of the DEM"
    assert river.matched_points == 2
    bearing = hydrology.reservoir_outlet_direction([river], "outflow", length_m=2000)
    assert 300 < bearing < 330  # north-west, as the channel was cut
    far = pd.DataFrame({"river_id": ["nowhere"], "lon": [xs(100)], "lat": [ys(5)]})
    with pytest.raises(DemError, match="river nowhere: no stream cell"):
        hydrology.trace_named_rivers(flow, far, threshold_km2=50.0, snap_radius_m=100, stop_mask=mask)


def test_downstream_path_stops_at_mask_and_detects_no_loop():
    idxs_ds = np.array([0, 0, 1, 2])  # 3 -> 2 -> 1 -> 0 (pit)
    stop = np.zeros(4, dtype=bool)
    assert hydrology.downstream_path(idxs_ds, 3, stop=stop).tolist() == [3, 2, 1, 0]
    stop[1] = True
    assert hydrology.downstream_path(idxs_ds, 3, stop=stop).tolist() == [3, 2, 1]
