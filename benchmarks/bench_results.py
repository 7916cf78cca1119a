"""What every benchmark script shares: timing, the machine it ran on, and its JSON results file.

Each script writes ``benchmarks/results/<name>.json``: its figures, the
machine (CPU model, cores, Python, platform), the date and the load average
while it ran (the development machine's 2 cores are shared, so absolute
times depend on what else runs; the ratios measured in one process are
steadier). ``benchmarks/update_readme.py`` renders the README's Benchmarks
section from these files; no figure is typed by hand.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    """The CPU model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """The machine and moment of a run."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.date.today().isoformat(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def timed(function: Callable[[], object], runs: int) -> dict[str, Any]:
    """Wall and process CPU time of `runs` calls: the median and every run, seconds."""
    walls, cpus = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return {"median_s": statistics.median(walls), "cpu_median_s": statistics.median(cpus),
            "runs_s": [round(value, 4) for value in walls]}


def median_time(function: Callable[[], object], runs: int) -> tuple[float, object]:
    """The median wall time of `runs` calls, seconds, and what the last call returned."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def write_results(name: str, results: dict[str, Any], *, started: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` with the machine record taken at the start and the load at the end."""
    record = {"benchmark": name, "machine": started, **results}
    record["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {path}")
    return path
