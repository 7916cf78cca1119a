"""The README's benchmark figures are exactly what benchmarks/update_readme.py renders from the committed results."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def _update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", REPOSITORY / "benchmarks" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_benchmark_section_is_rendered_from_the_results() -> None:
    update = _update_readme()
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    results = update.load_results()
    assert update.updated(readme, update.render(results)) == readme, (
        "README.md Benchmarks section differs from benchmarks/results/*.json: run python benchmarks/update_readme.py"
    )


def test_every_result_names_its_machine_and_date() -> None:
    for path in sorted((REPOSITORY / "benchmarks" / "results").glob("*.json")):
        machine = json.loads(path.read_text(encoding="utf-8"))["machine"]
        assert machine["cpu"] and machine["cores"] >= 1 and machine["python"], path.name
        assert len(machine["date"]) == 10, path.name  # ISO date
        assert machine["load_average_1min_at_start"] >= 0, path.name
