"""The planner notebooks in notebooks/ run top to bottom and are stored without outputs.

Each notebook is executed with nbclient in a fresh ``python3`` kernel whose
working directory is ``notebooks/`` (the notebooks read ``../layers``), so
this is what a planner gets with "Restart and run all". A cell that raises
fails the test with the cell and its traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = (
    "01_reference_layers_and_terrain.ipynb",
    "02_districts_and_areas.ipynb",
    "03_new_substation_coverage.ipynb",
    "04_service_areas_and_travel_times.ipynb",
    "05_export_to_qgis.ipynb",
    "06_room_for_gate.ipynb",
    "07_mountain_cluster.ipynb",
    "08_land_suitability.ipynb",
    "09_gate_substation_sites.ipynb",
)
CELL_TIMEOUT_S = 300
# The only import of the package a notebook may make: everything else goes through `ag.`.
PACKAGE_IMPORT = re.compile(r"^\s*(?:from|import)\s+alatau_geo\b.*$", re.MULTILINE)


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _ids(path: Path) -> str:
    return path.stem


def test_the_planner_notebooks_are_there():
    assert [path.name for path in NOTEBOOKS] == list(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_is_stored_without_outputs(path: Path):
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec is not python3"
    assert nb.cells and nb.cells[0].cell_type == "markdown", f"{path.name}: does not open with a markdown intro"
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"{path.name}: cell {number} is stored with outputs (clear them)"
        assert cell.execution_count is None, f"{path.name}: cell {number} is stored with an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_uses_only_the_public_api(path: Path):
    code = "\n".join(cell.source for cell in _read(path).cells if cell.cell_type == "code")
    imports = [line.strip() for line in PACKAGE_IMPORT.findall(code)]
    assert imports == ["import alatau_geo as ag"], f"{path.name}: imports {imports}; use `import alatau_geo as ag`"
    assert "ag._" not in code, f"{path.name}: uses a private name of alatau_geo"
    assert "matplotlib" not in code, f"{path.name}: matplotlib is not a dependency; use DataFrames and ag.show_map"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_runs_top_to_bottom(path: Path):
    nb = _read(path)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert not errors, f"{path.name}: cell {number} raised {errors[0].ename}: {errors[0].evalue}"
        if "ag.show_map(" in cell.source:
            html = "".join(output.get("data", {}).get("text/html", "") for output in cell.outputs)
            assert "leaflet" in html.lower(), f"{path.name}: cell {number} shows no inline map"
