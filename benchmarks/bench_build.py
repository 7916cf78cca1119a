"""Benchmark: the full reference-layer build and its hydrology step, beside peers.

Run:  python benchmarks/bench_build.py [--dem-dir ../shared/data/srtm] [--runs 3]

Reports medians of `--runs` runs, measured in one process on the same
2401 x 2401 mosaic of the four SRTM3 tiles:

- reference layers: tiles -> every reference layer, in one warm process
  (no zones, analyses, files or maps: ``bench_pipeline.py`` times the
  whole ``alatau-geo build``);
- hydrology (alatau-geo): depression filling + D8 + upstream area + stream
  segments, with the reservoir kept from draining off the tile edge;
- pyflwdir called plainly: ``pyflwdir.from_dem`` + ``upstream_area``;
- pysheds called plainly: fill_pits, fill_depressions, resolve_flats,
  flowdir, accumulation (the steps of its README).

Ratios are alatau-geo time / peer time (below 1 means faster). Results go
to ``benchmarks/results/hydrology.json``.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyproj

from alatau_geo.plan.config import load_plan
from alatau_geo.reference import gazetteer, hydrology, terrain
from alatau_geo.reference.build import build_reference_layers
from bench_results import machine, timed, write_results

DEFAULT_DEM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "srtm"


def pysheds_plain(filled: terrain.Raster) -> Callable[[], object]:
    from pysheds.grid import Grid
    from pysheds.sview import Raster as SRaster
    from pysheds.sview import ViewFinder

    view = ViewFinder(affine=filled.transform, shape=filled.shape, crs=pyproj.Proj("EPSG:4326"),
                      nodata=np.float32(-9999))
    dem = SRaster(np.where(np.isnan(filled.data), -9999, filled.data).astype(np.float32), viewfinder=view)
    grid = Grid(viewfinder=view)

    def run() -> object:
        # pysheds 0.5 still calls np.in1d, removed in NumPy 2.4; np.isin is
        # its documented replacement. Lent for the call only.
        had = hasattr(np, "in1d")
        if not had:
            np.in1d = np.isin  # type: ignore[attr-defined]
        try:
            return _pysheds_steps(grid, dem)
        finally:
            if not had:
                del np.in1d

    return run


def _pysheds_steps(grid: object, dem: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pits = grid.fill_pits(dem)
        flooded = grid.fill_depressions(pits)
        inflated = grid.resolve_flats(flooded)
        fdir = grid.flowdir(inflated)
        return grid.accumulation(fdir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dem-dir", type=Path, default=DEFAULT_DEM)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = machine()
    plan = load_plan()
    tiles = terrain.read_srtm_tiles(args.dem_dir, plan.terrain.tiles)
    tables = gazetteer.load_tables(plan.tables)
    built = build_reference_layers(tiles, tables, plan)  # also compiles numba kernels once
    filled = built.terrain.filled
    lakes = hydrology.flat_region_mask(built.terrain.raw, level_m=plan.hydrology.srtm_surface_m)
    threshold = plan.hydrology.stream_threshold_km2

    def ours() -> object:
        flow = hydrology.route_flow(filled, lakes=lakes)
        return hydrology.stream_segments(flow, threshold_km2=threshold, simplify_tolerance_m=30.0)

    def pyflwdir_plain() -> object:
        import pyflwdir

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flw = pyflwdir.from_dem(np.where(np.isnan(filled.data), -9999, filled.data).astype(np.float32),
                                    nodata=-9999, transform=filled.transform, latlon=True)
            return flw.upstream_area("km2")

    measured = {
        "reference layers (tiles to all reference layers, in process)": timed(
            lambda: build_reference_layers(tiles, tables, plan), args.runs),
        "hydrology, alatau-geo": timed(ours, args.runs),
        "hydrology, pyflwdir plain": timed(pyflwdir_plain, args.runs),
    }
    try:
        measured["hydrology, pysheds plain"] = timed(pysheds_plain(filled), args.runs)
    except Exception as error:  # noqa: BLE001 - report why the peer could not run
        print(f"pysheds could not run: {type(error).__name__}: {error}")
    results = {name: values["median_s"] for name, values in measured.items()}
    print(f"cells: {filled.shape[0]} x {filled.shape[1]}, runs: {args.runs} (medians)")
    for name, seconds in results.items():
        print(f"{name:36} {seconds:8.2f} s")
    ours_s = results["hydrology, alatau-geo"]
    ratios = {}
    for peer in ("hydrology, pyflwdir plain", "hydrology, pysheds plain"):
        if peer in results:
            ratios[peer.split(", ")[1]] = ours_s / results[peer]
            print(f"ratio alatau-geo / {peer.split(', ')[1]:16} {ours_s / results[peer]:6.2f}")
    write_results("hydrology", {"cells": list(filled.shape), "runs": args.runs, "timings": measured,
                                "ratios_ours_over": ratios}, started=started)


if __name__ == "__main__":
    main()
