"""The suitability report: class areas per zone, weights, constraints, hazards and the weight sensitivity.

:func:`report_tables` gives the tables (what ``alatau-geo report suitability``
writes as CSV), :func:`report_markdown` the Markdown page, and
:func:`suitability_report` and :func:`hazard_report` the results the API
hands a notebook; all are pure.
Hectares are true cell areas counted by cell centre on the suitability grid
(the hazards on their own grids).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from alatau_geo.analysis.grid import mask_area_ha
from alatau_geo.analysis.suitability import CLASS_LABELS, NODATA_CLASS
from alatau_geo.analysis.suitability_layers import (
    SuitabilityResult,
    class_area_table,
    suitability_layers,
    weights_table,
)
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.markdown import markdown_cell, markdown_table

ZONE_LAYERS = ("districts", "city_boundary", "sez")
"""The zones the report gives areas for, in this order (those present)."""


def report_zones(layers: LayerSet) -> gpd.GeoDataFrame:
    """The districts, the city and the SEZ in one frame (``id``, ``name_en``, geometry), working CRS."""
    frames = [layers[name].frame[["id", "name_en", "geometry"]] for name in ZONE_LAYERS if name in layers]
    if not frames:
        return gpd.GeoDataFrame({"id": [], "name_en": []}, geometry=[], crs=WORKING_CRS)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WORKING_CRS)


def report_tables(result: SuitabilityResult, layers: LayerSet) -> dict[str, pd.DataFrame]:
    """The suitability report's tables, by name.

    Returns
    -------
    dict of str to DataFrame
        ``classes``: hectares of each class and of constrained land per zone
        (districts, city, SEZ; index ``zone``), with the whole analysis area
        as ``all``; ``weights``: each criterion's source, transform, the
        plan's and the normalised weight; ``constraints``: hectares each
        hard constraint excludes in the analysis area (they overlap);
        ``hazards``: floodplain and reservoir-band hectares per zone;
        ``sensitivity``: the class areas under each weight moved by
        +-``sensitivity_change_pct`` (see
        :class:`~alatau_geo.analysis.sensitivity.Sensitivity`).
    """
    zones = report_zones(layers)
    classes = class_area_table(result, zones)
    total = result.surface.class_areas_ha()
    surface = result.surface
    constrained = mask_area_ha(surface.constrained & (surface.classes != NODATA_CLASS), surface.grid)
    classes.loc["all"] = [*(total[label] for label in CLASS_LABELS.values()), constrained]
    classes.insert(0, "name_en", zones.set_index("id")["name_en"].reindex(classes.index).fillna("analysis area"))
    hazards = _hazards_by_zone(result, zones)
    constraints = result.surface.excluded_ha.to_frame()
    constraints["source"] = [c.source for c in result.params.constraints]
    return {
        "classes": classes.round(1),
        "weights": weights_table(result).round(4),
        "constraints": constraints.round(1),
        "hazards": hazards.round(1),
        "sensitivity": result.sensitivity.table.round(1),
    }


def report_markdown(result: SuitabilityResult, tables: dict[str, pd.DataFrame], *,
                    title: str = "Land suitability and hazards") -> str:
    """The report as Markdown: what was computed and how, then each table. Every cell is escaped."""
    params = result.params
    lines = [
        f"# {markdown_cell(title)}", "",
        f"Weighted criteria scored 0-1 on a {params.cell_size_m:g} m UTM 43N grid over "
        f"{markdown_cell(', '.join(params.area_layers))}; land any hard constraint touches is unsuitable, the rest "
        f"is classed low from {params.classes.low_min:g}, medium from {params.classes.medium_min:g}, high from "
        f"{params.classes.high_min:g}. Buildable land (in every report) is land no hard constraint excludes. "
        "Hectares by cell centre, true cell areas. Weights and class thresholds are planning assumptions.", "",
    ]
    ahp = result.ahp
    if ahp is not None:
        verdict = "acceptable" if ahp.acceptable else "not acceptable"
        lines += [f"Weights from pairwise comparisons (AHP): consistency ratio {ahp.consistency_ratio:.3f} "
                  f"({verdict} at <= 0.10, Saaty 1980); lambda_max {ahp.lambda_max:.3f}.", ""]
    if result.left_out:
        lines += ["Left out: " + markdown_cell(", ".join(result.left_out)) + " (no height above drainage: build "
                  "once with the SRTM tiles to make it).", ""]
    change = params.sensitivity_change_pct
    sections = (
        ("classes", "Area per class and zone (ha)"),
        ("weights", "Criteria and weights"),
        ("constraints", "Land each hard constraint excludes (ha; constraints overlap)"),
        ("hazards", "Hazard bands per zone (ha)"),
        ("sensitivity", f"Class areas with each weight moved by -{change:g} % and +{change:g} % (ha)"),
    )
    for name, heading in sections:
        lines.append(markdown_table(tables[name].reset_index(), title=heading))
    return "\n".join(lines)


@dataclass(frozen=True)
class SuitabilityReport:
    """The suitability of a plan's land, as named tables and layers (``ag.suitability``).

    Attributes
    ----------
    classes : DataFrame
        Hectares of each class and of constrained land per zone (index
        ``zone``: district ids, the city, the SEZ, ``all`` for the analysis area).
    weights : DataFrame
        Per criterion (index): source, transform, the plan's and the normalised weight.
    constraints : DataFrame
        Hectares each hard constraint excludes (index: constraint), and its source.
    sensitivity : DataFrame
        Class areas with each weight moved up and down (one row per criterion, change and class).
    layers : LayerSet
        ``suitability_classes``, ``suitability_sensitivity``, ``floodplain``, ``reservoir_bands``.
    result : SuitabilityResult
        The surface itself (scores, classes, criteria) for maps and further analysis.
    """

    classes: pd.DataFrame
    weights: pd.DataFrame
    constraints: pd.DataFrame
    sensitivity: pd.DataFrame
    layers: LayerSet
    result: SuitabilityResult

    @property
    def consistency_ratio(self) -> float | None:
        """The AHP consistency ratio when the weights come from pairwise comparisons, else None."""
        ahp = self.result.ahp
        return None if ahp is None else ahp.consistency_ratio


@dataclass(frozen=True)
class HazardReport:
    """The plan's flood hazards as hectares per zone and layers (``ag.hazards``).

    Attributes
    ----------
    by_zone : DataFrame
        Index ``zone`` (districts, city, SEZ); ``name_en``, ``floodplain_ha``
        (NaN without the height above drainage), ``reservoir_normal_ha``,
        ``reservoir_max_ha``.
    layers : LayerSet
        ``floodplain`` (when the height above drainage was built) and ``reservoir_bands``.
    has_floodplain : bool
    """

    by_zone: pd.DataFrame
    layers: LayerSet
    has_floodplain: bool


def suitability_report(result: SuitabilityResult, layers: LayerSet) -> SuitabilityReport:
    """The :class:`SuitabilityReport` of a result on the built `layers`."""
    tables = report_tables(result, layers)
    return SuitabilityReport(classes=tables["classes"], weights=tables["weights"],
                             constraints=tables["constraints"], sensitivity=tables["sensitivity"],
                             layers=LayerSet(suitability_layers(result)), result=result)


def hazard_report(result: SuitabilityResult, layers: LayerSet) -> HazardReport:
    """The :class:`HazardReport` of a result on the built `layers`."""
    found = result.hazards
    by_zone = _hazards_by_zone(result, report_zones(layers)).round(1)
    return HazardReport(by_zone=by_zone, layers=LayerSet(found.layers()), has_floodplain=found.has_hand)


def _hazards_by_zone(result: SuitabilityResult, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    table = result.hazards.area_by_zone(zones)
    table.insert(0, "name_en", zones.set_index("id")["name_en"].reindex(table.index))
    return table
