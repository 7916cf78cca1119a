"""Regenerate the README's Benchmarks section from the benchmark scripts' JSON results.

Run:  python benchmarks/update_readme.py [--check]

Reads ``benchmarks/results/*.json`` (written by the ``bench_*.py`` scripts)
and replaces what stands between ``<!-- benchmarks:start -->`` and
``<!-- benchmarks:end -->`` in README.md. No figure is typed by hand: rerun
a benchmark, then this script. ``--check`` changes nothing and exits 1 when
the README differs from what the results give (a test runs it so).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPOSITORY / "benchmarks" / "results"
README = REPOSITORY / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def load_results(folder: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    """Every results file, by benchmark name."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _run_note(record: dict[str, Any]) -> str:
    m = record["machine"]
    return (f"{m['date']}, load average {m['load_average_1min_at_start']:.1f} at the start and "
            f"{m['load_average_1min_at_end']:.1f} at the end")


def _machine_line(results: dict[str, dict[str, Any]]) -> str:
    machines = {(r["machine"]["cpu"], r["machine"]["cores"], r["machine"]["python"]) for r in results.values()}
    described = "; ".join(f"{cpu}, {cores} cores, Python {python}" for cpu, cores, python in sorted(machines))
    return (f"Measured on the development machine ({described}). Its cores are shared with other jobs, so "
            "absolute times vary with their load (given per benchmark below); ratios timed side by side in one "
            "process vary less.")


def _pipeline(record: dict[str, Any]) -> list[str]:
    lines = [f"**The whole job** (`benchmarks/bench_pipeline.py`, {_run_note(record)}; each command a fresh "
             f"process, median of {record['runs']}; the SRTM tiles of the default plan):", "",
             "| what a planner runs | median wall | its CPU time | target (wall) | met |",
             "|---|---:|---:|---:|:---:|"]
    for item in record.get("end_to_end", {}).values():
        target = item.get("target_s")
        met = "" if target is None else ("yes" if item["median_s"] <= target else "no")
        lines.append(f"| `{item['command']}` | {_seconds(item['median_s'])} | {_seconds(item['cpu_median_s'])} | "
                     f"{'–' if target is None else f'≤ {target:g} s'} | {met} |")
    lines += ["", "The targets are issue 18's, for wall time on this machine; when other jobs take the shared cores, "
              "wall time grows well past the CPU time a command used, so the CPU column shows what the code itself "
              "costs. Unchanged stages come from the stage cache (content hashes of their inputs), and layers and "
              "maps identical to those in place are kept rather than written again; `--no-cache` computes every "
              "stage and writes every file. A build works on two cores where it can (a forked process "
              "generates the street network while the objects are placed and works out the service areas, travel "
              "times and coverage, from the facilities on, while the projects, the suitability and the residents "
              "are, and the main process then prepares the other layers for export; another, forked as the "
              "build starts, loads the map code and draws each page as soon as the layers it shows are in: the "
              "overview, infrastructure and terrain while the suitability is worked out, the suitability's and "
              "the districts' while the residents and the analyses are, the others while the layers are "
              "exported), so a "
              "command's CPU time counts its processes together and can exceed its wall time. The large arrays "
              "handed to the pages' process go through memory the two share, not through a pipe."]
    if "cached_equals_uncached" in record:
        same = "yes" if record["cached_equals_uncached"] else "**no**"
        lines += ["", f"Layers of a cached edit-and-rebuild byte-identical to those of `build --no-cache`: {same}."]
    lines += ["", "Stage profile of one build with every stage computed (`--no-cache`), from the build's own "
              f"timing, run in the benchmark's process ({_seconds(record['build_in_process_s'])} in all; peak memory "
              "allocated through Python, as tracemalloc sees it, so GEOS's and GDAL's own allocations are not in "
              f"it; peak resident memory of the whole profiling process {record['peak_resident_mb']:,.0f} MB; "
              "a stage in a second process runs beside those around it, and is not counted in the rest):", "",
              "| stage | wall | CPU | peak memory |", "|---|---:|---:|---:|"]
    for row in record["stage_profile"]:
        peak = "–" if row["peak_mb"] is None else f"{row['peak_mb']:,.0f} MB"
        lines.append(f"| {_stage(row)} | {_seconds(row['seconds'])} | {_seconds(row['cpu_seconds'])} | {peak} |")
    if record.get("edit_profile"):
        lines += ["", "The stages of one edit-and-rebuild (district `growing` widened; run in the benchmark's "
                  f"process, {_seconds(record['edit_in_process_s'])} in all):", "", "| stage | how | wall | CPU |",
                  "|---|---|---:|---:|"]
        for row in record["edit_profile"]:
            lines.append(f"| {_stage(row)} | {row['status']} | {_seconds(row['seconds'])} | "
                         f"{_seconds(row['cpu_seconds'])} |")
    return lines


def _stage(row: dict[str, Any]) -> str:
    return f"{row['stage']} (second process, beside the others)" if row.get("beside") else row["stage"]


def _network(record: dict[str, Any]) -> str:
    graph, timings, ratios = record["graph"], record["timings"], record["ratios"]
    ours = timings["alatau-geo reach (index built in)"]["median_s"]
    return (f"- `benchmarks/bench_network.py` ({_run_note(record)}): what {graph['facilities']} facilities reach "
            f"within {graph['limit_min']:g} min on a {graph['edges']:,}-edge street grid: {_seconds(ours)} with the "
            f"index built in, **{ratios['ego_graph_over_ours']:.0f} ×** faster than osmnx's `ego_graph` recipe per "
            f"facility ({ratios['cpu_ego_graph_over_ours']:.0f} × in CPU time; target at least 100 ×) and "
            f"**{ratios['ours_over_csgraph']:.2f} ×** the time of plain `scipy.sparse.csgraph.dijkstra` counting "
            f"its graph conversion ({ratios['cpu_ours_over_csgraph']:.2f} × in CPU time; target at most 1.5 ×; "
            f"{ratios['ours_prebuilt_over_csgraph']:.2f} × once the index is built).")


def _nearest(record: dict[str, Any]) -> str:
    ratios = record["ratios_ours_over"]
    ours = record["timings"]["alatau-geo nearest_facility"]["median_s"]
    tree = ratios["cKDTree (coordinates + query)"]
    return (f"- `benchmarks/bench_nearest.py` ({_run_note(record)}): nearest of {record['facilities']} facilities "
            f"for {record['points']:,} points: {_seconds(ours)}, **{tree['wall']:.2f} ×** a single-thread "
            f"`cKDTree` (coordinates + query; {tree['cpu']:.2f} × in CPU time; target at most 1.5 ×) and "
            f"{ratios['geopandas sjoin_nearest']['wall']:.2f} × `geopandas.sjoin_nearest`.")


def _zonal(record: dict[str, Any]) -> str:
    timings = record["timings"]
    agreement = abs(record["steep_ha"]["alatau-geo"] / record["steep_ha"]["rasterstats"] - 1)
    cpu_ratio = (timings["rasterstats zonal_stats"]["cpu_median_s"]
                 / timings["alatau-geo area_by_zone"]["cpu_median_s"])
    return (f"- `benchmarks/bench_zonal.py` ({_run_note(record)}): hectares of steep cells in {record['zones']:,} "
            f"zones on {record['cell_m']:g} m slope cells (`zonal.area_by_zone`, the area report's zonal statistic): "
            f"{_seconds(timings['alatau-geo area_by_zone']['median_s'])}, **"
            f"{record['ratios']['rasterstats_over_ours']:.1f} ×** faster than `rasterstats.zonal_stats` "
            f"({_seconds(timings['rasterstats zonal_stats']['median_s'])}; {cpu_ratio:.1f} × in CPU time; target "
            "at least 5 ×); the two agree "
            f"on the total to {agreement:.2%} (ours weighs cells by their true area){_same_cells(record)}.")


def _same_cells(record: dict[str, Any]) -> str:
    difference = record.get("largest_zone_difference_ha_same_cell_areas")
    if difference is None:
        return ""
    return (", and count the same cells in every zone (rasterstats summing the true cell areas differs by at most "
            f"{difference:.0e} ha in a zone)")


def _hydrology(record: dict[str, Any]) -> str:
    timings, ratios = record["timings"], record["ratios_ours_over"]
    rows, cols = record["cells"]
    cpu_ratio = timings["hydrology, alatau-geo"]["cpu_median_s"] / timings["hydrology, pyflwdir plain"]["cpu_median_s"]
    text = (f"- `benchmarks/bench_build.py` ({_run_note(record)}): flow routing and streams on the {rows:,} × "
            f"{cols:,} mosaic of the four tiles: {_seconds(timings['hydrology, alatau-geo']['median_s'])}, "
            f"**{ratios['pyflwdir plain']:.2f} ×** the time of pyflwdir's `from_dem` + `upstream_area` called "
            f"plainly ({cpu_ratio:.2f} × in CPU time; target at most 1 ×)")
    if "pysheds plain" in ratios:
        text += f", {ratios['pysheds plain']:.2f} × pysheds' fill / resolve flats / flowdir / accumulation"
    reference = timings["reference layers (tiles to all reference layers, in process)"]["median_s"]
    return text + f"; all reference layers from the tiles in one warm process: {_seconds(reference)}."


def _maps(record: dict[str, Any]) -> str:
    ours, naive = record["pages"]["alatau-geo overview (offline)"], record["pages"]["naive folium"]
    return (f"- `benchmarks/bench_maps.py` ({_run_note(record)}): the offline overview map beside a naive folium "
            f"page of the same layers: {ours['size_mb']:.2f} MB / {ours['load_ms']:.0f} ms against "
            f"{naive['size_mb']:.2f} MB / {naive['load_ms']:.0f} ms to the load event in headless chromium (ours "
            "inlines Leaflet, its plugins and the hillshade base map; the naive page's CDN requests are refused).")


def _uncertainty(record: dict[str, Any]) -> str:
    inside = record["run_inside_task"]
    overhead = inside["dask"]["cpu_median_s"] / inside["sequential"]["cpu_median_s"]
    return (f"- `benchmarks/bench_uncertainty.py` ({_run_note(record)}): {record['runs']} uncertainty runs of the "
            f"default plan (and the plan as it is) on a LocalCluster of {record['workers']} worker processes: "
            f"{_seconds(record['dask_s'])} (start-up {_seconds(record['dask_startup_s'])}), one after the other in "
            f"one process {_seconds(record['sequential_s'])}: **{record['ratio_sequential_over_dask']:.2f} ×** "
            f"({record['ratio_with_startup']:.2f} × with the start-up; {record['repeats']} repeat(s), not 3: "
            f"each takes minutes); one run {_seconds(record['one_run_s'])} (median of 3). "
            f"A run costs {_seconds(inside['sequential']['cpu_median_s'])} of CPU in one process and "
            f"{_seconds(inside['dask']['cpu_median_s'])} on a worker ({overhead:.2f} ×), its wall time "
            f"{_seconds(inside['sequential']['median_s'])} against {_seconds(inside['dask']['median_s'])}: the "
            f"workers wait for the shared cores (two processes of plain Python work got "
            f"{record['capacity']['ratio']:.2f} × from the two workers at the same time, 2 × on two free cores); "
            f"same results both ways: {'yes' if record['same_results'] else 'no'}.")


PEERS = {"network": _network, "nearest": _nearest, "zonal": _zonal, "hydrology": _hydrology, "maps": _maps,
         "uncertainty": _uncertainty}


def render(results: dict[str, dict[str, Any]]) -> str:
    """The Benchmarks section's text between the markers (markers excluded)."""
    lines = ["", "_Generated by `python benchmarks/update_readme.py` from `benchmarks/results/*.json`, which the "
             "`benchmarks/bench_*.py` scripts write; do not edit by hand._", "", _machine_line(results), ""]
    if "pipeline" in results:
        lines += [*_pipeline(results["pipeline"]), ""]
    peers = [render_peer(results[name]) for name in PEERS if name in results]
    if peers:
        lines += ["**Beside the peers** (each script times both in one process, medians of 3):", "", *peers, ""]
    return "\n".join(lines)


def render_peer(record: dict[str, Any]) -> str:
    """One peer comparison's line."""
    return PEERS[record["benchmark"]](record)


def updated(readme: str, section: str) -> str:
    """`readme` with `section` between the markers."""
    if readme.count(START) != 1 or readme.count(END) != 1:
        raise SystemExit(f"README.md must hold {START} and {END} once each")
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    return head + START + section + END + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README differs; write nothing")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    new = updated(readme, render(load_results()))
    if args.check:
        if new != readme:
            print("README.md Benchmarks section differs from benchmarks/results: run benchmarks/update_readme.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
