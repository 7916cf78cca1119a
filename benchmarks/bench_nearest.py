"""Benchmark: nearest facility for many points, beside geopandas and a bare cKDTree.

Run:  python benchmarks/bench_nearest.py [--points 1000000] [--facilities 30] [--runs 3]

Random points (uniform, fixed seed) in a 60 km x 60 km box on the Alatau
plain (EPSG:32643) and random point facilities in the same box. The points'
GeoSeries and GeoDataFrame are built once, before any timing: that is input
preparation shared by all methods. Timed, each from that GeoSeries:

- alatau-geo: ``nearest_facility(points, facilities)`` (ids and
  distances in a DataFrame indexed like the points, ties to the lowest id);
- geopandas: ``geopandas.sjoin_nearest(points, facilities, distance_col=...)``;
- cKDTree: ``shapely.get_coordinates`` on the points, then
  ``scipy.spatial.cKDTree(facility_xy).query(xy)``; and the query alone on
  coordinates already in an array (the floor no wrapper can beat).

The methods run in turn, ``--runs`` rounds, so a change in machine load hits
them alike; the medians of wall time and of process CPU time (less disturbed
by other work on the machine) and the ratios alatau-geo / peer are printed
(below 1 means faster). The results are checked against each other first,
and written to ``benchmarks/results/nearest.json``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from alatau_geo.analysis.nearest import nearest_facility
from alatau_geo.core.crs import WORKING_CRS
from bench_results import machine, write_results

X0, Y0 = 640_000.0, 4_830_000.0  # south-west corner of the box, UTM 43N
BOX_M = 60_000.0


def inputs(n_points: int, n_facilities: int, *, seed: int) -> tuple[gpd.GeoSeries, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, BOX_M, size=(n_points, 2)) + [X0, Y0]
    fxy = rng.uniform(0, BOX_M, size=(n_facilities, 2)) + [X0, Y0]
    points = gpd.GeoSeries(shapely.points(xy), crs=WORKING_CRS)
    facilities = gpd.GeoDataFrame({"id": [f"f{i:03d}" for i in range(n_facilities)]},
                                  geometry=gpd.GeoSeries(shapely.points(fxy), crs=WORKING_CRS), crs=WORKING_CRS)
    return points, facilities


def check(points: gpd.GeoSeries, facilities: gpd.GeoDataFrame) -> None:
    """The three methods agree on the distances and (where there is no tie) the ids."""
    ours = nearest_facility(points, facilities)
    fxy = shapely.get_coordinates(facilities.geometry.array)
    distance, index = cKDTree(fxy).query(shapely.get_coordinates(points.array))
    np.testing.assert_allclose(ours["distance_m"].to_numpy(), distance, rtol=1e-12)
    assert (ours["facility_id"].to_numpy() == facilities["id"].to_numpy()[index]).all()
    sample = points.iloc[:20_000]
    joined = gpd.sjoin_nearest(gpd.GeoDataFrame(geometry=sample), facilities, distance_col="distance_m")
    joined = joined[~joined.index.duplicated()]  # sjoin_nearest returns every tied facility
    np.testing.assert_allclose(joined["distance_m"].to_numpy(), distance[:20_000], rtol=1e-9)


def methods(points: gpd.GeoSeries, facilities: gpd.GeoDataFrame, *, workers: int) -> dict[str, Callable[[], object]]:
    left = gpd.GeoDataFrame(geometry=points)
    fxy = shapely.get_coordinates(facilities.geometry.array)
    prepared_xy = shapely.get_coordinates(points.array)

    def ckdtree() -> object:
        return cKDTree(fxy).query(shapely.get_coordinates(points.array), workers=workers)

    return {
        "alatau-geo nearest_facility": lambda: nearest_facility(points, facilities, workers=workers),
        "geopandas sjoin_nearest": lambda: gpd.sjoin_nearest(left, facilities, distance_col="distance_m"),
        "cKDTree (coordinates + query)": ckdtree,
        "cKDTree (query only)": lambda: cKDTree(fxy).query(prepared_xy, workers=workers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--facilities", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="threads for the tree queries (-1: all cores)")
    args = parser.parse_args()

    started = machine()
    points, facilities = inputs(args.points, args.facilities, seed=args.seed)
    check(points, facilities)
    timed = methods(points, facilities, workers=args.workers)
    times: dict[str, list[float]] = {name: [] for name in timed}
    cpu: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(args.runs):
        for name, function in timed.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}

    print(f"{args.points:,} points, {args.facilities} facilities, {BOX_M / 1000:.0f} km box, "
          f"median of {args.runs} runs, workers={args.workers}")
    print(f"  {'method':<32} {'wall':>8}   {'cpu':>7}   wall per run")
    for name, median in medians.items():
        runs = ", ".join(f"{value:.3f}" for value in times[name])
        print(f"  {name:<32} {median:7.3f} s {cpu_medians[name]:7.3f} s   ({runs})")
    ours, ours_cpu = medians["alatau-geo nearest_facility"], cpu_medians["alatau-geo nearest_facility"]
    print("ratios alatau-geo / peer (wall, cpu):")
    for name in list(medians)[1:]:
        print(f"  / {name:<30} {ours / medians[name]:6.2f} {ours_cpu / cpu_medians[name]:6.2f}")
    ratios = {name: {"wall": ours / medians[name], "cpu": ours_cpu / cpu_medians[name]} for name in list(medians)[1:]}
    write_results("nearest", {
        "points": args.points, "facilities": args.facilities, "runs": args.runs, "workers": args.workers,
        "timings": {name: {"median_s": medians[name], "cpu_median_s": cpu_medians[name],
                           "runs_s": [round(v, 4) for v in times[name]]} for name in medians},
        "ratios_ours_over": ratios,
    }, started=started)


if __name__ == "__main__":
    main()
