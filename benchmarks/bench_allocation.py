"""Benchmark: capacity and allocation of residents and jobs on the 100 m and 10 m grids.

Run:  python benchmarks/bench_allocation.py [--layers-dir layers] [--runs 3] [--fine-cells 8800000]

Reports medians of `--runs` runs, in one process:

- 100 m: the committed districts and city boundary rasterised on a 100 m
  grid (about 88,000 cells in the city), buildable by today's rule (slope
  from the committed DEM, water and protection zones left out);
- 10 m: about 8.8 million city cells (the city's 88,000 ha at 10 m) in a
  square grid cut into the five zones, classes drawn at random (seeded):
  the city's size, not its shape.

Steps timed: capacity of every cell; one allocation of the 2050 residents;
the whole analysis (capacity, targets, three phases of residents and jobs,
summary). Beside them, the plain numpy proportional split
``target * w / w.sum()`` per zone (no capacity caps, no whole numbers), as
the floor any allocation costs; the ratio is alatau-geo / plain.
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

import numpy as np

from alatau_geo.analysis import population_grid
from alatau_geo.analysis.allocation import allocate
from alatau_geo.analysis.capacity import cell_capacity, classes_from_buildable, suitability_score
from alatau_geo.analysis.indicators_people import buildable_cells
from alatau_geo.analysis.population import plan_population
from alatau_geo.analysis.population_targets import targets_table
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.plan.population_params import DEFAULT_PARAMS
from alatau_geo.reference import terrain
from bench_results import median_time

DEFAULT_LAYERS = Path(__file__).resolve().parents[1] / "layers"
ZONES = ("gate", "golden", "growing", "green", "city_rest")


def committed_grid(layers_dir: Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Zones and classes of the committed layers on a 100 m grid."""
    layers = read_layers(layers_dir)
    city = layers["city_boundary"].frame
    transform, shape = population_grid.grid_over(tuple(city.total_bounds), cell_m=100.0)
    zones, ids = population_grid.zone_grid(layers["districts"].frame, transform=transform, shape=shape, city=city)
    slope = terrain.slope(read_raster(layers_dir / "terrain_dem.tif"))
    buildable = (zones >= 0) & buildable_cells(layers, slope=slope, max_slope_deg=8.0, transform=transform,
                                               shape=shape)
    return zones, classes_from_buildable(buildable), ids


def synthetic_grid(cells: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """A square grid of about `cells` city cells in five bands of zones; random classes (seeded)."""
    side = int(np.ceil(np.sqrt(cells)))
    zones = np.full((side, side), -1, dtype=np.int32)
    bounds = np.linspace(0, side, 6).astype(int)  # gate, golden, growing, green, city_rest
    for index in range(5):
        zones[:, bounds[index]:bounds[index + 1]] = index
    zones.ravel()[cells:] = -1
    classes = np.random.default_rng(14).choice(4, size=zones.shape, p=[0.15, 0.15, 0.3, 0.4]).astype(np.int8)
    return zones, classes, ZONES


def plain_split(zones: np.ndarray, weight: np.ndarray, targets: np.ndarray) -> np.ndarray:
    out = np.zeros(zones.shape)
    for index, target in enumerate(targets):
        cells = zones == index
        out[cells] = target * weight[cells] / weight[cells].sum()
    return out


def bench(label: str, zones: np.ndarray, classes: np.ndarray, ids: tuple[str, ...], *, cell_m: float,
          runs: int) -> None:
    params = DEFAULT_PARAMS
    targets = targets_table(params, ids)
    capacity = cell_capacity(zones, classes, cell_m=cell_m, zone_ids=ids, params=params)
    score = suitability_score(classes, params=params)
    weight = capacity.residents * score
    result = plan_population(zones, classes, cell_m=cell_m, zone_ids=ids, params=params)
    city = result.summary.loc[("city", 2050)]
    steps = {
        "capacity": lambda: cell_capacity(zones, classes, cell_m=cell_m, zone_ids=ids, params=params),
        "allocate residents 2050": lambda: allocate(zones, capacity.residents, targets["residents_target"],
                                                    zone_ids=ids, score=score),
        "plain numpy split": lambda: plain_split(zones, weight, targets["residents_target"].to_numpy()),
        "whole analysis (3 phases x 2)": lambda: plan_population(zones, classes, cell_m=cell_m, zone_ids=ids,
                                                                 params=params),
    }
    times = {step: median_time(function, runs)[0] for step, function in steps.items()}
    print(f"\n{label}: {zones.shape[0]} x {zones.shape[1]} grid, {int((zones >= 0).sum()):,} city cells; "
          f"2050 residents {int(city['residents']):,} (shortfall {int(city['residents_shortfall']):,}), "
          f"jobs {int(city['jobs']):,} (shortfall {int(city['jobs_shortfall']):,})")
    for step, seconds in times.items():
        print(f"  {step:32s} {seconds:8.3f} s")
    ratio = times["allocate residents 2050"] / times["plain numpy split"]
    print(f"  allocation / plain split        {ratio:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers-dir", type=Path, default=DEFAULT_LAYERS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fine-cells", type=int, default=8_800_000)
    args = parser.parse_args()
    bench("100 m, committed layers", *committed_grid(args.layers_dir), cell_m=100.0, runs=args.runs)
    bench("10 m, synthetic zones", *synthetic_grid(args.fine_cells), cell_m=10.0, runs=args.runs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
