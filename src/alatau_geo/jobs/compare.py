"""The comparison job: indicators of built workspaces side by side, as a CSV table, an HTML report and a PDF.

Reads each workspace's layers and terrain raster (they must be built from
the workspace's plan as it is now), computes the indicators
(:func:`alatau_geo.analysis.indicators.indicator_table`), sets them side by
side, and writes ``comparison.csv``, ``comparison.html`` (self-contained)
and ``comparison.pdf`` (WeasyPrint, one page per section). Workspaces built
from different reference data (their manifests' ``terrain_sha256`` differ)
are compared all the same, with a warning in the report and in the
outcome's notes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alatau_geo.analysis.comparison import compare_indicators, definitions, unique_labels
from alatau_geo.analysis.indicators import IndicatorOptions, indicator_table
from alatau_geo.core.atomic import atomic_write, ensure_folder
from alatau_geo.core.errors import ExportError
from alatau_geo.core.io import read_layers, read_raster, write_text
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.manifest import read_built_by
from alatau_geo.core.progress import no_progress
from alatau_geo.jobs.build import TERRAIN_RASTER
from alatau_geo.maps.comparison_report import ScenarioSummary, comparison_html
from alatau_geo.plan.workspace import Workspace, built_plan

logger = logging.getLogger(__name__)

REPORT_STEM = "comparison"
"""Stem of the files :func:`write_comparison` writes (``.csv``, ``.html``, ``.pdf``)."""


@dataclass(frozen=True)
class ScenarioResult:
    """One workspace's layers and indicators."""

    label: str
    workspace: Workspace
    layers: LayerSet
    indicators: pd.DataFrame
    built_by: dict[str, object]

    @property
    def summary(self) -> ScenarioSummary:
        """The report's summary line of this scenario."""
        folder = "the default scenario" if self.workspace.is_default else str(self.workspace.root)
        return ScenarioSummary(label=self.label, folder=folder, plan=str(self.built_by.get("plan", "?")),
                               plan_sha256=str(self.built_by.get("sha256", "unknown")),
                               terrain_sha256=str(self.built_by.get("terrain_sha256", "unknown")))


@dataclass(frozen=True)
class Comparison:
    """Everything the comparison report shows."""

    scenarios: tuple[ScenarioResult, ...]
    wide: pd.DataFrame
    definitions: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def labels(self) -> list[str]:
        """The scenario labels, in order."""
        return [s.label for s in self.scenarios]


def scenario_label(workspace: Workspace) -> str:
    """How the report names a workspace: its folder's name, or ``default``."""
    return "default" if workspace.is_default else (workspace.root.resolve().name or str(workspace.root))


def load_scenario(workspace: Workspace, *, label: str, options: IndicatorOptions | None = None) -> ScenarioResult:
    """A built workspace's layers and indicators.

    Raises
    ------
    LayerError, StaleLayersError
        As :func:`alatau_geo.plan.workspace.built_plan`: not built, or built from another version of its plan.
    """
    plan = built_plan(workspace)
    layers = read_layers(workspace.layers_dir)
    elevation = read_raster(workspace.layers_dir / TERRAIN_RASTER)
    table = indicator_table(layers, plan, elevation=elevation, options=options)
    return ScenarioResult(label=label, workspace=workspace, layers=layers, indicators=table,
                          built_by=read_built_by(workspace.layers_dir) or {})


def reference_notes(scenarios: Sequence[ScenarioResult]) -> list[str]:
    """A warning for each scenario built from other reference data than the first (``terrain_sha256`` differs).

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> a = S(label="a", built_by={"terrain_sha256": "1" * 64})
    >>> b = S(label="b", built_by={"terrain_sha256": "2" * 64})
    >>> reference_notes([a, b])[0].startswith("Scenario b was built from different reference data than a")
    True
    """
    first = scenarios[0]
    reference = first.built_by.get("terrain_sha256")
    notes = []
    for scenario in scenarios[1:]:
        other = scenario.built_by.get("terrain_sha256")
        if other != reference or reference is None:
            notes.append(
                f"Scenario {scenario.label} was built from different reference data than {first.label} "
                f"(terrain, hydrology or study-area settings or river names: terrain_sha256 "
                f"{str(other)[:12]} against {str(reference)[:12]}); its differences mix plan changes with "
                "changes of the reservoir, rivers and terrain."
            )
    return notes


def compare_workspaces(workspaces: Sequence[Workspace], *, options: IndicatorOptions | None = None,
                       on_step: Callable[[str], None] = no_progress) -> Comparison:
    """Indicators of every workspace side by side.

    Parameters
    ----------
    workspaces : sequence of Workspace
        At least two, built; the first is the reference of the differences.
    options : IndicatorOptions, optional
    on_step : callable
        Called with a label as each workspace's indicators start.

    Returns
    -------
    Comparison
    """
    labels = unique_labels([scenario_label(w) for w in workspaces])
    results = []
    for label, workspace in zip(labels, workspaces, strict=True):
        on_step(f"indicators of {label}")
        results.append(load_scenario(workspace, label=label, options=options))
    tables = {r.label: r.indicators for r in results}
    notes = reference_notes(results)
    for note in notes:
        logger.warning("%s", note)
    return Comparison(scenarios=tuple(results), wide=compare_indicators(tables), definitions=definitions(tables),
                      notes=tuple(notes))


def report_page(comparison: Comparison) -> str:
    """The comparison's HTML report page."""
    return comparison_html(comparison.wide, comparison.definitions,
                           scenarios=[s.summary for s in comparison.scenarios],
                           layer_sets={s.label: s.layers for s in comparison.scenarios}, notes=comparison.notes)


def write_pdf(page: str, path: str | Path) -> Path:
    """Render an HTML page to PDF with WeasyPrint, atomically.

    Raises
    ------
    ExportError
        If WeasyPrint or the system libraries it needs (Pango) are missing,
        or the file cannot be written.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise ExportError(f"{path}: cannot render PDF: WeasyPrint or Pango missing ({str(error).splitlines()[0]}); "
                          "run scripts/install-system-deps.sh") from None

    def write(temporary: Path) -> None:
        weasyprint.HTML(string=page, base_url=None).write_pdf(temporary)

    path = Path(path)
    ensure_folder(path.parent)
    return atomic_write(path, write)


def write_comparison(comparison: Comparison, out_dir: str | Path, *, pdf: bool = True) -> list[Path]:
    """Write ``comparison.csv``, ``comparison.html`` and (with `pdf`) ``comparison.pdf`` into `out_dir`.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    page = report_page(comparison)
    written = [
        write_text(comparison.wide.to_csv(index=False, lineterminator="\n"), out / f"{REPORT_STEM}.csv"),
        write_text(page, out / f"{REPORT_STEM}.html"),
    ]
    if pdf:
        written.append(write_pdf(page, out / f"{REPORT_STEM}.pdf"))
    return written
