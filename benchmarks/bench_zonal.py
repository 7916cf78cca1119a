"""Benchmark: steep land in 1,000 zones (the area report's zonal statistic) beside rasterstats.

Run:  python benchmarks/bench_zonal.py [--zones 1000] [--runs 3]

The area report counts the hectares of coded cells (suitability classes,
hazard bands) inside each district with
:func:`alatau_geo.analysis.zonal.area_by_zone` (cell-centre rule, true cell
areas). Here it counts the cells steeper than the plan's buildable limit
inside 1,000 square zones tiling the city's extent (the committed default
scenario's ``city_boundary`` bounds), on the slope of the committed
working-grid DEM (90 m cells).

The peer is what a planner would write with rasterstats:
``zonal_stats(zones, steep, affine=..., stats="sum")`` on the same 0/1
raster, times the cell area. Both answers are checked to agree in total
(within 1 %: ours weighs cells by their true area, rasterstats by the
grid's), and zone by zone on the same cells: rasterstats summing the true
cell areas must give each zone our hectares (to 1e-9 ha). Both timed calls
start from the same slope raster and do the same threshold; the first
(untimed) call of each is the check, so both are timed warm. Medians of
``--runs``; results in ``benchmarks/results/zonal.json``.
"""

from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterstats
import shapely

from alatau_geo.analysis.grid import Grid, cell_area_weights
from alatau_geo.analysis.zonal import area_by_zone
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.plan.config import load_plan
from alatau_geo.reference import terrain
from bench_results import machine, timed, write_results

LAYERS_DIR = Path(__file__).resolve().parents[1] / "layers"


def square_zones(bounds: tuple[float, float, float, float], count: int) -> gpd.GeoDataFrame:
    """About `count` equal squares tiling `bounds` (working CRS), with the columns the area table reads."""
    west, south, east, north = bounds
    side = math.sqrt((east - west) * (north - south) / count)
    columns, rows = round((east - west) / side), math.ceil(count / round((east - west) / side))
    width, height = (east - west) / columns, (north - south) / rows
    squares = [shapely.box(west + i * width, south + j * height, west + (i + 1) * width, south + (j + 1) * height)
               for j in range(rows) for i in range(columns)][:count]
    return gpd.GeoDataFrame({"id": [f"z{n:04d}" for n in range(len(squares))],
                             "name_en": [f"zone {n}" for n in range(len(squares))]},
                            geometry=squares, crs=WORKING_CRS)


def ours(zones: gpd.GeoDataFrame, slope: terrain.Raster, limit: float) -> pd.Series:
    grid = Grid(transform=slope.transform, shape=slope.shape, crs=slope.crs)
    steep = np.nan_to_num(slope.data, nan=0.0) > limit
    return area_by_zone(steep, grid, zones, labels={1: "steep_ha"})["steep_ha"]


def with_rasterstats(zones: gpd.GeoDataFrame, slope: terrain.Raster, limit: float) -> pd.Series:
    cell_ha = abs(slope.transform.a * slope.transform.e) / 10_000.0
    steep = (np.nan_to_num(slope.data, nan=0.0) > limit).astype("uint8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = rasterstats.zonal_stats(list(zones.geometry), steep, affine=slope.transform, nodata=255,
                                        stats="sum")
    return pd.Series([(s["sum"] or 0) * cell_ha for s in stats], index=zones["id"])


def largest_zone_difference(zones: gpd.GeoDataFrame, slope: terrain.Raster, limit: float, hectares: pd.Series) -> float:
    """Largest difference per zone between `hectares` and rasterstats summing the same true cell areas, ha."""
    _, true_ha = cell_area_weights(Grid(transform=slope.transform, shape=slope.shape, crs=slope.crs))
    steep = np.nan_to_num(slope.data, nan=0.0) > limit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = rasterstats.zonal_stats(list(zones.geometry), np.where(steep, true_ha[None, :], 0.0),
                                        affine=slope.transform, nodata=-1.0, stats="sum")
    theirs = np.array([s["sum"] or 0.0 for s in stats])
    return float(np.abs(hectares.to_numpy() - theirs).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--layers-dir", type=Path, default=LAYERS_DIR)
    args = parser.parse_args()
    started = machine()
    plan = load_plan()
    limit = plan.analysis.max_buildable_slope_deg
    slope = terrain.slope(read_raster(args.layers_dir / "terrain_dem.tif"))
    bounds = tuple(read_layers(args.layers_dir)["city_boundary"].frame.total_bounds)
    zones = square_zones(bounds, args.zones)

    a, b = ours(zones, slope, limit), with_rasterstats(zones, slope, limit)
    agreement = float(a.sum() / b.sum())
    print(f"{len(zones)} zones, steep {a.sum():,.0f} ha (alatau-geo) vs {b.sum():,.0f} ha (rasterstats): "
          f"ratio {agreement:.4f}")
    assert abs(agreement - 1) < 0.01, "the two methods disagree by more than 1 %"
    per_zone = largest_zone_difference(zones, slope, limit, a)
    print(f"same cells zone by zone: largest difference {per_zone:.2e} ha with rasterstats summing true cell areas")
    assert per_zone < 1e-9, "a zone counts other cells than rasterstats"
    measured = {
        "alatau-geo area_by_zone": timed(lambda: ours(zones, slope, limit), args.runs),
        "rasterstats zonal_stats": timed(lambda: with_rasterstats(zones, slope, limit), args.runs),
    }
    for name, values in measured.items():
        print(f"{name:30} {values['median_s']:7.3f} s  (cpu {values['cpu_median_s']:.3f} s)")
    speedup = measured["rasterstats zonal_stats"]["median_s"] / measured["alatau-geo area_by_zone"]["median_s"]
    print(f"rasterstats / alatau-geo: {speedup:.1f}x (target at least 5x)")
    write_results("zonal", {
        "zones": len(zones), "cell_m": abs(slope.transform.a), "max_slope_deg": limit, "runs": args.runs,
        "steep_ha": {"alatau-geo": float(a.sum()), "rasterstats": float(b.sum())},
        "largest_zone_difference_ha_same_cell_areas": per_zone,
        "timings": measured, "ratios": {"rasterstats_over_ours": speedup},
        "versions": {"rasterstats": rasterstats.__version__},
    }, started=started)


if __name__ == "__main__":
    main()
