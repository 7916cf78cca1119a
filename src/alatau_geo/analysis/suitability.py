"""The suitability surface: weighted criteria, hard constraints, classes and their areas.

``score = sum_i w_i * s_i`` over the criteria (:mod:`alatau_geo.analysis.criteria`),
with weights normalised to sum to one, on a grid whose cell size is a plan
parameter. Cells any constraint covers are *unsuitable* whatever their score;
the rest are classed by the plan's thresholds:

==========  ====  ==========================================
class       code  rule
==========  ====  ==========================================
unsuitable  0     constrained, or score < ``low_min``
low         1     ``low_min <= score < medium_min``
medium      2     ``medium_min <= score < high_min``
high        3     ``score >= high_min``
(no data)   255   outside the analysis area, or a criterion has no value
==========  ====  ==========================================

"Buildable" in this sense is any class above unsuitable. The build runs
criterion by criterion in float32 so that a 10 m grid over the whole special
economic zone (about 22 million cells in its bounding box) stays well inside a
few gigabytes: one accumulator, one criterion and the distance transform's
work arrays at a time, plus the per-criterion scores when they are kept for
the sensitivity test (:mod:`alatau_geo.analysis.sensitivity`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from alatau_geo.analysis.criteria import (
    Cells,
    Source,
    computed,
    constraint_mask,
    criterion_score,
    lookup,
)
from alatau_geo.analysis.grid import Grid, code_areas_ha, mask_area_ha, rasterize_mask
from alatau_geo.analysis.zonal import area_by_zone, code_polygons
from alatau_geo.core.raster import Raster
from alatau_geo.plan.suitability_params import ClassThresholds, SuitabilityParams

logger = logging.getLogger(__name__)

CLASS_LABELS: Mapping[int, str] = {0: "unsuitable", 1: "low", 2: "medium", 3: "high"}
NODATA_CLASS = 255


@dataclass(frozen=True)
class Surface:
    """A built suitability surface.

    Attributes
    ----------
    grid : Grid
    score : numpy.ndarray
        float32 weighted score 0..1 before constraints; NaN = no data.
    constrained : numpy.ndarray
        bool, cells excluded by at least one constraint.
    classes : numpy.ndarray
        uint8 class codes (see the module table); 255 = no data.
    weights : pandas.Series
        Normalised weight of each criterion (sums to 1).
    thresholds : ClassThresholds
    excluded_ha : pandas.Series
        Hectares each constraint excludes inside the area (constraints overlap,
        so these do not add up to the constrained total).
    criteria : Mapping[str, numpy.ndarray]
        float32 score of each weighted criterion; empty unless kept.
    """

    grid: Grid
    score: np.ndarray
    constrained: np.ndarray
    classes: np.ndarray
    weights: pd.Series
    thresholds: ClassThresholds
    excluded_ha: pd.Series
    criteria: Mapping[str, np.ndarray] = field(default_factory=dict)

    def suitability(self) -> Raster:
        """The score with constrained cells set to 0, as a float32 raster (NaN = no data)."""
        values = self.score.copy()
        values[self.constrained & ~np.isnan(values)] = 0.0
        return self.grid.raster(values)

    def class_areas_ha(self) -> pd.Series:
        """Hectares of each class over the whole area, indexed by label."""
        areas = code_areas_ha(self.classes, self.grid, codes=CLASS_LABELS)
        return pd.Series({CLASS_LABELS[code]: ha for code, ha in areas.items()}, name="area_ha").rename_axis("class")


def build_surface(grid: Grid, sources: Mapping[str, Source], params: SuitabilityParams, *,
                  area: shapely.Geometry | None = None, keep_criteria: bool = True,
                  cells: Cells = computed) -> Surface:
    """Score, constrain and class every cell of `grid`.

    Parameters
    ----------
    grid : Grid
        The suitability grid (``grid_for_bounds(..., cell_size_m=params.cell_size_m)``).
    sources : mapping of name to Raster or GeoDataFrame
        The layers and rasters the criteria and constraints name (slope in
        degrees, height above drainage in metres, hazard masks as 0/1
        rasters, vector layers in any CRS).
    params : SuitabilityParams
    area : shapely geometry, optional
        Analysis area in the grid's CRS (the SEZ, the city); cells whose
        centre lies outside get no data.
    keep_criteria : bool, default True
        Keep each criterion's scores (needed by the sensitivity test; costs
        4 bytes per cell per criterion).
    cells : callable, optional
        Works out each criterion's scores and each constraint's mask
        (:func:`~alatau_geo.analysis.criteria.computed`, or a memo of it
        that gives back the same arrays for the same entry, source and grid).

    Returns
    -------
    Surface

    Raises
    ------
    PlanError
        If a criterion or constraint names a source that is not given.
    """
    weights = params.normalised_weights()
    inside = None if area is None else rasterize_mask([area], grid, all_touched=False)
    score = np.zeros(grid.shape, dtype=np.float32)
    kept: dict[str, np.ndarray] = {}
    for criterion in params.criteria:
        weight = np.float32(weights[criterion.name])
        if weight == 0:
            continue
        source = lookup(sources, criterion.source, entry=f"suitability.criteria.{criterion.name}")
        values = cells(criterion_score, criterion, source, grid)
        logger.debug("criterion %s: weight %.3f", criterion.name, weight)
        if keep_criteria:
            kept[criterion.name] = values
            score += values * weight
        else:
            values *= weight
            score += values
        del values
    if inside is not None:
        score[~inside] = np.nan
    constrained, excluded = _constraints(grid, sources, params, valid=~np.isnan(score), cells=cells)
    return Surface(grid=grid, score=score, constrained=constrained,
                   classes=classify(score, constrained, params.classes), weights=weights,
                   thresholds=params.classes, excluded_ha=excluded, criteria=kept)


def _constraints(grid: Grid, sources: Mapping[str, Source], params: SuitabilityParams, *,
                 valid: np.ndarray, cells: Cells) -> tuple[np.ndarray, pd.Series]:
    constrained = np.zeros(grid.shape, dtype=bool)
    excluded: dict[str, float] = {}
    for constraint in params.constraints:
        source = lookup(sources, constraint.source, entry=f"suitability.constraints.{constraint.name}")
        mask = cells(constraint_mask, constraint, source, grid)
        mask &= valid
        excluded[constraint.name] = mask_area_ha(mask, grid)
        constrained |= mask
    return constrained, pd.Series(excluded, name="excluded_ha", dtype=float).rename_axis("constraint")


def classify(score: np.ndarray, constrained: np.ndarray, thresholds: ClassThresholds) -> np.ndarray:
    """Class codes (uint8) of scores: constrained cells 0, NaN 255, else by threshold.

    Examples
    --------
    >>> score = np.array([0.1, 0.3, 0.6, 0.9, 0.9, np.nan], dtype=np.float32)
    >>> constrained = np.array([False, False, False, False, True, False])
    >>> classify(score, constrained, ClassThresholds()).tolist()
    [0, 1, 2, 3, 0, 255]
    """
    codes = np.zeros(score.shape, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        for threshold in thresholds.bins:
            codes += score >= np.float32(threshold)
    codes[constrained] = 0
    codes[np.isnan(score)] = NODATA_CLASS
    return codes


def class_polygons(surface: Surface) -> gpd.GeoDataFrame:
    """The classes as polygons (working CRS): ``id``, ``code``, ``label``, ``area_ha``, one row per region."""
    return code_polygons(surface.classes, surface.grid, labels=CLASS_LABELS)


def class_area_by_zone(surface: Surface, zones: gpd.GeoDataFrame, *, id_column: str = "id") -> pd.DataFrame:
    """Hectares of each class in each zone (district): index zone ids, columns the class labels."""
    return area_by_zone(surface.classes, surface.grid, zones, labels=CLASS_LABELS, id_column=id_column)
