"""Benchmark: the whole job as a planner runs it, end to end, and where its time and memory go.

Run:  python benchmarks/bench_pipeline.py [--dem-dir ../shared/data/srtm] [--runs 3]

End to end (each command a fresh ``python -m alatau_geo.cli`` process, so
imports are counted; medians of ``--runs``; workspaces made with
``alatau-geo init`` in a temporary folder; the SRTM tiles from ``--dem-dir``):

- cold first run: ``build`` in a new workspace, its cache empty, and
  numba's on-disk cache too (``NUMBA_CACHE_DIR`` a new empty folder, so the
  flow-routing kernels are compiled, as in a fresh virtual environment;
  Python's bytecode compiled beforehand, as pip does at install:
  :func:`installed_bytecode`);
- warm ``build``: nothing changed since the last build, every stage from the
  stage cache, the layers and maps in place kept;
- ``build --no-cache``: every stage computed, in a workspace already built;
- edit-and-rebuild: one district's rule parameter changed (a new value each
  run), then ``build`` (also ``--no-maps``): the zones and what depends on
  them are computed, the reference layers and the mountain cluster come from
  the cache;
- ``map``: the pages current (kept); after an edit built with ``--no-maps``
  (the pages that show a changed layer drawn, with the stage cache's memos:
  the relief, the suitability's slope and cells); and ``map --no-cache``
  (every page rendered, the relief too);
- ``diff default WS``: zones and placed objects of two plans, with the
  stage cache and with ``--no-cache``.

Each command's wall time and CPU time (user + system of its process) are
kept: the machine's cores are shared, and the CPU time is what the load of
other jobs disturbs least. After the edits, the layers a cached build wrote
are compared byte for byte with those of ``build --no-cache``.

Stage profile: the build's own timing of its stages
(:class:`alatau_geo.jobs.stage_cache.StageRun`), in this process: a build
with every stage computed (``--no-cache``; medians of ``--runs`` for wall and
CPU time), then one more with :mod:`tracemalloc` on for each stage's peak of
memory allocated through Python (it sees numpy's arrays, not GEOS's or
GDAL's own allocations); and the stages of one edit-and-rebuild. The
imports are timed in fresh processes.

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
from pathlib import Path
from typing import Any

from bench_results import machine, write_results

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_DEM = REPOSITORY.parent / "shared" / "data" / "srtm"
TARGETS_S = {"build": 10.0, "cold": 45.0, "diff": 5.0, "map": 5.0, "edit_and_rebuild": 3.0}
EDITED_DISTRICT = "growing"


def cli(arguments: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``python -m alatau_geo.cli ARGS`` from this checkout's source: its wall and CPU (user + system) seconds.

    `env` adds variables to the command's environment.
    """
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY / "src"), **(env or {})}
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
    goal = f"target ≤ {target:g} s, {'met' if median <= target else 'NOT met'}" if target is not None else ""
    print(f"  {command:62} {median:7.2f} s (cpu {statistics.median(cpus):6.2f} s)  {goal:26} "
          f"(runs: {', '.join(f'{r:.2f}' for r in walls)})", flush=True)
    return {"command": command, "median_s": median, "cpu_median_s": statistics.median(cpus),
            "runs_s": [round(r, 3) for r in walls], "target_s": target}


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def end_to_end(folder: Path, dem_dir: Path, runs: int) -> dict[str, Any]:
    dem = ["--dem-dir", str(dem_dir)]
    cold = []
    for run in range(runs):
        fresh = folder / f"cold-{run}"
        cli(["init", str(fresh)], cwd=folder)
        cold.append(cli(["build", *dem], cwd=fresh, env={"NUMBA_CACHE_DIR": str(folder / f"numba-{run}")}))
        if run:
            shutil.rmtree(fresh, ignore_errors=True)
    workspace = folder / "cold-0"
    results = {"cold": summary(cold, command="alatau-geo build, first run (empty caches, numba compiling)",
                               target=TARGETS_S["cold"])}
    results["build"] = summary([cli(["build", *dem], cwd=workspace) for _ in range(runs)],
                               command="alatau-geo build (nothing changed)", target=TARGETS_S["build"])
    results["build_no_cache"] = summary([cli(["build", "--no-cache", *dem], cwd=workspace) for _ in range(runs)],
                                        command="alatau-geo build --no-cache (every stage computed)")
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
    cached = contents(workspace / "layers")
    cli(["build", "--no-maps", "--no-cache", *dem], cwd=workspace)
    identical = contents(workspace / "layers") == cached
    print(f"  layers of the cached edit-and-rebuild identical to build --no-cache: {identical}", flush=True)
    redrawn = []
    for run in range(runs):  # the layers changed, the pages not yet: `map` draws those that show a changed layer
        edit_district(plan, 3025.0 + 50.0 * (run + 1))
        cli(["build", "--no-maps", *dem], cwd=workspace)
        redrawn.append(cli(["map"], cwd=workspace))
    results["map_after_edit"] = summary(
        redrawn, command=f"edit district {EDITED_DISTRICT!r}, build --no-maps, then alatau-geo map",
        target=TARGETS_S["map"])
    cli(["build", *dem], cwd=workspace)  # the maps match the layers again
    results["map"] = summary([cli(["map"], cwd=workspace) for _ in range(runs)],
                             command="alatau-geo map (pages current)", target=TARGETS_S["map"])
    results["map_no_cache"] = summary([cli(["map", "--no-cache"], cwd=workspace) for _ in range(runs)],
                                      command="alatau-geo map --no-cache (every page rendered)",
                                      target=TARGETS_S["map"])
    diff = ["diff", "default", str(workspace)]
    cli(diff, cwd=workspace)  # the default scenario's zones into the workspace's cache
    results["diff"] = summary([cli(diff, cwd=workspace) for _ in range(runs)],
                              command="alatau-geo diff default WS (one district edited)", target=TARGETS_S["diff"])
    results["diff_no_cache"] = summary([cli([*diff, "--no-cache"], cwd=workspace) for _ in range(runs)],
                                       command="alatau-geo diff --no-cache default WS", target=TARGETS_S["diff"])
    return {"end_to_end": results, "cached_equals_uncached": identical}


def build_in_process(workspace: Path, dem_dir: Path, *options: str) -> tuple[Any, float, float]:
    """One ``alatau-geo build`` in this process: its outcome (with the stages' timing), wall and CPU seconds."""
    from alatau_geo.cli import app
    from alatau_geo.cli import build as cli_build

    outcomes = []
    original = cli_build.build_workspace

    def keep(*args: Any, **kwargs: Any) -> Any:
        outcomes.append(original(*args, **kwargs))
        return outcomes[-1]

    cli_build.build_workspace = keep
    try:
        start, start_cpu = time.perf_counter(), time.process_time()
        assert app.main(["-q", "-w", str(workspace), "build", "--dem-dir", str(dem_dir), *options]) == 0
        return outcomes[-1], time.perf_counter() - start, time.process_time() - start_cpu
    finally:
        cli_build.build_workspace = original


def import_seconds(runs: int) -> float:
    """Time to import what a build that computes every stage imports, beyond a bare interpreter (fresh processes)."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY / "src")}
    modules = ("import alatau_geo.cli, alatau_geo.jobs.build_stages, alatau_geo.analysis.outputs, "
               "alatau_geo.analysis.city_population, alatau_geo.reference.build, alatau_geo.jobs.pages")

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=environment, check=True)
        return time.perf_counter() - start

    return statistics.median(run(modules) for _ in range(runs)) - statistics.median(run("pass") for _ in range(runs))


def stage_profile(folder: Path, dem_dir: Path, runs: int) -> dict[str, Any]:
    workspace = folder / "profile"
    cli(["init", str(workspace)], cwd=folder)
    build_in_process(workspace, dem_dir)  # imports, numba, and a cache for the edit below
    timing = [build_in_process(workspace, dem_dir, "--no-cache") for _ in range(runs)]
    tracemalloc.start()
    memory, _, _ = build_in_process(workspace, dem_dir, "--no-cache")
    tracemalloc.stop()
    rows = [{"stage": "imports (fresh process, beyond the interpreter)", "status": "ran", "beside": False,
             "seconds": import_seconds(runs), "cpu_seconds": None, "peak_mb": None}]
    for position, stage in enumerate(memory.stages):
        mine = [outcome.stages[position] for outcome, _, _ in timing]
        rows.append({"stage": stage.stage, "status": stage.status, "beside": stage.beside,
                     "seconds": statistics.median(s.seconds for s in mine),
                     "cpu_seconds": statistics.median(s.cpu_seconds for s in mine), "peak_mb": stage.peak_mb})
    total = statistics.median(wall for _, wall, _ in timing)
    # Stages run in a second process overlap the others: the rest is what the stages of this one leave.
    here = [row for row in rows[1:] if not row["beside"]]
    rows.append({"stage": "the rest (input checks, staging and swap, summary)", "status": "ran", "beside": False,
                 "seconds": total - sum(row["seconds"] for row in here),
                 "cpu_seconds": statistics.median(cpu for _, _, cpu in timing) - sum(
                     row["cpu_seconds"] for row in here), "peak_mb": None})
    edit_district(workspace / "plan.toml", 3250.0)
    edited, edit_wall, _ = build_in_process(workspace, dem_dir)
    edit_rows = [{"stage": s.stage, "status": s.status, "beside": s.beside, "seconds": s.seconds,
                  "cpu_seconds": s.cpu_seconds}
                 for s in edited.stages]
    print("  stage profile, every stage computed (medians; peak memory through Python):")
    for row in rows:
        peak = f"{row['peak_mb']:8.1f} MB" if row["peak_mb"] is not None else " " * 11
        print(f"    {row['stage']:58} {row['status']:9} {row['seconds']:6.2f} s {peak}")
    print(f"  stages of one edit-and-rebuild ({edit_wall:.2f} s in process):")
    for row in edit_rows:
        print(f"    {row['stage']:58} {row['status']:9} {row['seconds']:6.2f} s")
    return {"stage_profile": rows, "build_in_process_s": total, "edit_profile": edit_rows,
            "edit_in_process_s": edit_wall}


def installed_bytecode() -> None:
    """Compile this checkout's modules, as pip does when it installs a package.

    The commands run the source tree (``PYTHONPATH``); where the environment
    forbids writing bytecode (``PYTHONDONTWRITEBYTECODE``, as on the
    development machine), every process would otherwise compile every module
    again at its start. The files go to the ``__pycache__`` folders git ignores.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPOSITORY / "src")], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dem-dir", type=Path, default=DEFAULT_DEM)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-end-to-end", action="store_true", help="stage profile only")
    args = parser.parse_args()
    started = machine()
    results: dict[str, Any] = {"runs": args.runs}
    with tempfile.TemporaryDirectory() as folder:
        installed_bytecode()
        if not args.skip_end_to_end:
            print("end to end (fresh process per command):", flush=True)
            results.update(end_to_end(Path(folder), args.dem_dir.resolve(), args.runs))
        results.update(stage_profile(Path(folder), args.dem_dir.resolve(), args.runs))
    results["peak_resident_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write_results("pipeline", results, started=started)


if __name__ == "__main__":
    main()
