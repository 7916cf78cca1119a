"""Benchmark: buildable land of 1,000 zones (the area report's zonal statistic) beside rasterstats.

Run:  python benchmarks/bench_zonal.py [--zones 1000] [--runs 3]

The area report (:func:`alatau_geo.analysis.areas.zone_area_table`) gives
each zone's buildable hectares: its area less the land steeper than the
plan's limit. Here it runs on 1,000 square zones tiling the city's extent
(the committed default scenario's ``city_boundary`` bounds) on the slope of
the committed working-grid DEM (90 m cells), with no water layers, so the
quantity is exactly "area less steep land".

The peer is what a planner would write with rasterstats:
``zonal_stats(zones, slope, affine=..., stats="count", add_stats=...)``
counting the cells steeper than the limit per zone; buildable ha is then
(cells - steep cells) x cell area. Both answers are checked to agree in
total (within 1 %, cell centres against exact polygons). Medians of
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

from alatau_geo.analysis import areas
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.core.layers import Layer, LayerSet, Provenance
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
    provenance = Provenance("benchmark", "square zones")
    city = gpd.GeoDataFrame({"id": ["city"], "name_en": ["city"]},
                            geometry=[shapely.box(*zones.total_bounds)], crs=WORKING_CRS)
    layers = LayerSet([Layer("districts", zones, provenance), Layer("city_boundary", city, provenance)])
    table = areas.zone_area_table(layers, slope=slope, max_slope_deg=limit)
    return table.set_index("zone")["buildable_ha"].drop("city")


def with_rasterstats(zones: gpd.GeoDataFrame, slope: terrain.Raster, limit: float) -> pd.Series:
    cell_ha = abs(slope.transform.a * slope.transform.e) / 10_000.0
    data = np.where(np.isnan(slope.data), -9999.0, slope.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = rasterstats.zonal_stats(list(zones.geometry), data, affine=slope.transform, nodata=-9999.0,
                                        stats="count", add_stats={"steep": lambda a: int((a > limit).sum())})
    return pd.Series([(s["count"] - s["steep"]) * cell_ha for s in stats], index=zones["id"])


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
    print(f"{len(zones)} zones, buildable {a.sum():,.0f} ha (alatau-geo) vs {b.sum():,.0f} ha (rasterstats): "
          f"ratio {agreement:.4f}")
    assert abs(agreement - 1) < 0.01, "the two methods disagree by more than 1 %"
    measured = {
        "alatau-geo zone_area_table": timed(lambda: ours(zones, slope, limit), args.runs),
        "rasterstats zonal_stats": timed(lambda: with_rasterstats(zones, slope, limit), args.runs),
    }
    for name, values in measured.items():
        print(f"{name:30} {values['median_s']:7.3f} s  (cpu {values['cpu_median_s']:.3f} s)")
    speedup = measured["rasterstats zonal_stats"]["median_s"] / measured["alatau-geo zone_area_table"]["median_s"]
    print(f"rasterstats / alatau-geo: {speedup:.1f}x (target at least 5x)")
    write_results("zonal", {
        "zones": len(zones), "cell_m": abs(slope.transform.a), "max_slope_deg": limit, "runs": args.runs,
        "buildable_ha": {"alatau-geo": float(a.sum()), "rasterstats": float(b.sum())},
        "timings": measured, "ratios": {"rasterstats_over_ours": speedup},
        "versions": {"rasterstats": rasterstats.__version__},
    }, started=started)


if __name__ == "__main__":
    main()
