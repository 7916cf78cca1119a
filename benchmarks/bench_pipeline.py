"""Benchmark: the whole job as a planner runs it, end to end, and where its time and memory go.

Run:  python benchmarks/bench_pipeline.py [--dem-dir ../shared/data/srtm] [--runs 3]

End to end (each command a fresh ``python -m alatau_geo.cli`` process, so
imports are counted; medians of ``--runs``; a workspace made with
``alatau-geo init`` in a temporary folder, built once first so the numba
kernels are compiled and on-disk caches are warm):

- ``build``: the default plan from the SRTM tiles, layers, export and maps,
  every stage computed;
- edit-and-rebuild: one district's rule parameter changed (a new value each
  run), then ``build``: zones, placement and analyses are rebuilt, the
  reference layers come from the cache; also without the maps;
- ``map``: the five HTML maps from the built layers;
- ``diff default WS``: the zones and placed objects of two plans.

Each command's wall time and CPU time (user + system of its process) are
kept: the machine's cores are shared, and the CPU time is what the load of
other jobs disturbs least.

Stage profile (one process, the build's steps called in order as
``alatau-geo build`` runs them): each stage's wall and CPU time,
then in a second pass its peak of memory allocated through Python
(tracemalloc, which sees numpy's arrays but not GEOS's or GDAL's own
allocations), and the process's peak resident memory at the end.

Results: ``benchmarks/results/pipeline.json``; targets from issue 18.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_results import machine, write_results

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_DEM = REPOSITORY.parent / "shared" / "data" / "srtm"
TARGETS_S = {"build": 10.0, "diff": 5.0, "map": 5.0, "edit_and_rebuild": 3.0}
EDITED_DISTRICT = "growing"


def cli(arguments: list[str], *, cwd: Path) -> tuple[float, float]:
    """Run ``python -m alatau_geo.cli ARGS`` from this checkout's source: its wall and CPU (user + system) seconds."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "alatau_geo.cli", "-q", *arguments], cwd=cwd, env=environment,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"alatau-geo {' '.join(arguments)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def edit_district(plan_path: Path, width_m: float) -> None:
    """Set the first ``width_m`` of the edited district's rule."""
    text = plan_path.read_text(encoding="utf-8")
    start = text.index(f'id = "{EDITED_DISTRICT}"')
    head, tail = text[:start], text[start:]
    line_start = tail.index("width_m = ")
    line_end = tail.index("\n", line_start)
    plan_path.write_text(head + tail[:line_start] + f"width_m = {width_m:.1f}" + tail[line_end:], encoding="utf-8")


def summary(runs: list[tuple[float, float]], *, command: str, target: float | None = None) -> dict[str, Any]:
    walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
    median = statistics.median(walls)
    print(f"  {command:58} {median:7.2f} s (cpu {statistics.median(cpus):6.2f} s)   "
          f"(runs: {', '.join(f'{r:.2f}' for r in walls)})")
    return {"command": command, "median_s": median, "cpu_median_s": statistics.median(cpus),
            "runs_s": [round(r, 3) for r in walls], "target_s": target}


def end_to_end(workspace: Path, dem_dir: Path, runs: int) -> dict[str, Any]:
    dem = ["--dem-dir", str(dem_dir)]
    cli(["build", *dem], cwd=workspace)  # warm-up: numba kernels compiled
    results = {
        "build": summary([cli(["build", *dem], cwd=workspace) for _ in range(runs)],
                         command="alatau-geo build (every stage computed)", target=TARGETS_S["build"]),
    }
    plan = workspace / "plan.toml"
    edits, edits_no_maps = [], []
    for run in range(runs):
        edit_district(plan, 3000.0 + 50.0 * (run + 1))
        edits.append(cli(["build", *dem], cwd=workspace))
        edit_district(plan, 3000.0 - 50.0 * (run + 1))
        edits_no_maps.append(cli(["build", "--no-maps", *dem], cwd=workspace))
    results["edit_and_rebuild"] = summary(edits, command=f"edit district {EDITED_DISTRICT!r}, alatau-geo build",
                                          target=TARGETS_S["edit_and_rebuild"])
    results["edit_and_rebuild_no_maps"] = summary(
        edits_no_maps, command=f"edit district {EDITED_DISTRICT!r}, alatau-geo build --no-maps")
    cli(["build", *dem], cwd=workspace)  # the maps match the layers again
    results["map"] = summary([cli(["map"], cwd=workspace) for _ in range(runs)], command="alatau-geo map",
                             target=TARGETS_S["map"])
    results["diff"] = summary([cli(["diff", "default", str(workspace)], cwd=workspace) for _ in range(runs)],
                              command="alatau-geo diff default WS (one district edited)", target=TARGETS_S["diff"])
    return results


class Profile:
    """Wall and CPU time of named stages, or their tracemalloc peaks."""

    def __init__(self, *, memory: bool) -> None:
        self.memory = memory
        self.rows: list[dict[str, Any]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.memory:
            tracemalloc.reset_peak()
        start, start_cpu = time.perf_counter(), time.process_time()
        yield
        row = {"stage": name, "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - start_cpu}
        if self.memory:
            row["peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        self.rows.append(row)


def import_seconds(runs: int) -> float:
    """Time to import what a build imports, beyond a bare interpreter start (fresh processes)."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY / "src")}
    modules = "import alatau_geo.cli.build, alatau_geo.jobs.build, alatau_geo.analysis.outputs, alatau_geo.jobs.pages"

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=environment, check=True)
        return time.perf_counter() - start

    return statistics.median(run(modules) for _ in range(runs)) - statistics.median(run("pass") for _ in range(runs))


def profile_build(dem_dir: Path, folder: Path, profile: Profile) -> None:
    """The steps of ``alatau-geo build`` on the default plan, each timed as a stage."""
    from alatau_geo.analysis import areas
    from alatau_geo.analysis.outputs import analysis_layers
    from alatau_geo.core.changes import compare_layers
    from alatau_geo.core.geojson import as_exported
    from alatau_geo.core.io import export_layers, read_layers, write_raster
    from alatau_geo.core.layers import LayerSet
    from alatau_geo.jobs import build as pipeline
    from alatau_geo.jobs.pages import write_maps
    from alatau_geo.plan.config import load_plan
    from alatau_geo.plan.districts import build_zones, zone_layers
    from alatau_geo.reference import gazetteer, terrain
    from alatau_geo.reference.build import build_reference_layers

    plan = load_plan()
    precision = plan.export.coordinate_precision
    layers_dir, maps_dir = folder / "layers", folder / "maps"
    with profile.stage("read SRTM tiles and tables"):
        paths = terrain.find_tiles(dem_dir, plan.terrain.tiles)
        tiles = {name: terrain.read_srtm_tile(path) for name, path in paths.items()}
        tables = gazetteer.load_tables(plan.tables)
    with profile.stage("reference layers (terrain, reservoir, flow routing, rivers, water, gazetteer)"):
        built = build_reference_layers(tiles, tables, plan)
    with profile.stage("reference layers as exported"):
        exported = LayerSet(as_exported(layer, precision=precision) for layer in built.layers.values())
    with profile.stage("zones (districts, city, SEZ; calibrated)"):
        zones = LayerSet(zone_layers(build_zones(plan.zones, exported, min_part_ha=plan.analysis.min_part_ha,
                                                 source=plan.source), source=plan.source))
    with profile.stage("placement (infrastructure, projects)"):
        zoned = LayerSet([*exported.values(), *zones.values()])
        placed = LayerSet(pipeline.place_catalogues(zoned, plan, elevation=built.terrain.elevation).values())
    with profile.stage("analyses (network, coverage, service areas, travel times)"):
        planned = [*exported.values(), *(as_exported(layer, precision=precision)
                                         for layer in [*zones.values(), *placed.values()])]
        analysed = LayerSet(analysis_layers(LayerSet(planned), plan))
    layers = LayerSet([*built.layers.values(), *zones.values(), *placed.values(), *analysed.values()])
    export_layers(layers, layers_dir, precision=precision)  # the previous layers the next build compares with
    with profile.stage("compare with the previous layers"):
        compare_layers(read_layers(layers_dir), layers, precision=precision)
    with profile.stage("export (GeoJSON, GeoPackage, manifest, DEM)"):
        export_layers(layers, layers_dir, precision=precision)
        write_raster(built.terrain.elevation, layers_dir / pipeline.TERRAIN_RASTER, dtype="int16")
    with profile.stage("maps (five HTML pages)"):
        figures = areas.zone_area_table(layers, slope=terrain.slope(built.terrain.elevation),
                                        max_slope_deg=plan.analysis.max_buildable_slope_deg)
        write_maps(layers, maps_dir=maps_dir, layers_dir=layers_dir, dem_path=layers_dir / pipeline.TERRAIN_RASTER,
                   offline=False, figures=figures)


def stage_profile(dem_dir: Path, runs: int) -> list[dict[str, Any]]:
    timing, memory = Profile(memory=False), Profile(memory=True)
    with tempfile.TemporaryDirectory() as folder:
        profile_build(dem_dir, Path(folder) / "warm-up", Profile(memory=False))  # imports, numba
        for run in range(runs):
            profile_build(dem_dir, Path(folder) / f"time-{run}", timing)
        tracemalloc.start()
        profile_build(dem_dir, Path(folder) / "memory", memory)
        tracemalloc.stop()
    names = [row["stage"] for row in memory.rows]
    rows = [{"stage": "imports (fresh process, beyond the interpreter)", "seconds": import_seconds(runs),
             "cpu_seconds": None, "peak_mb": None}]
    for name, peak in zip(names, memory.rows, strict=True):
        mine = [row for row in timing.rows if row["stage"] == name]
        rows.append({"stage": name, "seconds": statistics.median(r["seconds"] for r in mine),
                     "cpu_seconds": statistics.median(r["cpu_seconds"] for r in mine), "peak_mb": peak["peak_mb"]})
    print("  stage profile (medians; peak memory through Python):")
    for row in rows:
        peak = f"{row['peak_mb']:8.1f} MB" if row["peak_mb"] is not None else " " * 11
        print(f"    {row['stage']:78} {row['seconds']:6.2f} s {peak}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dem-dir", type=Path, default=DEFAULT_DEM)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-end-to-end", action="store_true", help="stage profile only")
    args = parser.parse_args()
    started = machine()
    results: dict[str, Any] = {"runs": args.runs}
    if not args.skip_end_to_end:
        print("end to end (fresh process per command):")
        with tempfile.TemporaryDirectory() as folder:
            workspace = Path(folder) / "ws"
            cli(["init", str(workspace)], cwd=Path(folder))
            results["end_to_end"] = end_to_end(workspace, args.dem_dir, args.runs)
            shutil.rmtree(workspace, ignore_errors=True)
    results["stage_profile"] = stage_profile(args.dem_dir, args.runs)
    results["peak_resident_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write_results("pipeline", results, started=started)


if __name__ == "__main__":
    main()
