"""The plan's suitability surface on the built layers: sources, surface, sensitivity, layers and tables.

:func:`evaluate_suitability` gathers what the plan's criteria and constraints
name (every layer by name; ``slope`` and ``elevation`` from the working-grid
DEM; ``hand``, ``floodplain`` and ``reservoir_below_max`` from the
:class:`~alatau_geo.analysis.hazard_layers.Hazards`), builds the surface over
the plan's analysis area (:func:`alatau_geo.analysis.suitability.build_surface`)
and its weight sensitivity (:func:`alatau_geo.analysis.sensitivity.weight_sensitivity`).
When the height above drainage was never built, the criteria and constraints
that need it are left out and named in :attr:`SuitabilityResult.left_out`.

:func:`suitability_layers` gives the layers (``suitability_classes``,
``suitability_sensitivity``, ``floodplain``, ``reservoir_bands``),
:func:`class_area_table` and :func:`weights_table` the report's tables, and
:func:`suitability_classes_grid` the class of every cell of another grid (the
population's capacity grid). Nothing here reads or writes files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from alatau_geo.analysis.criteria import Cells, computed
from alatau_geo.analysis.grid import grid_for_bounds
from alatau_geo.analysis.hazard_layers import HAND_SOURCES, Hazards
from alatau_geo.analysis.sensitivity import Sensitivity, weight_sensitivity
from alatau_geo.analysis.suitability import (
    CLASS_LABELS,
    NODATA_CLASS,
    Surface,
    build_surface,
    class_polygons,
)
from alatau_geo.analysis.zonal import area_by_zone, code_polygons
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import CRSError, LayerError
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.plan.ahp import AhpResult
from alatau_geo.plan.suitability_params import AhpSpec, SuitabilityParams
from alatau_geo.reference import terrain

SURFACE_LAYERS = ("suitability_classes", "suitability_sensitivity")
"""The layers :func:`suitability_layers` makes from the surface (the hazard layers come with them)."""

_DEM = "working-grid DEM (NASA SRTM3, whole metres, UTM 43N 90 m)"


@dataclass(frozen=True)
class SuitabilityResult:
    """The suitability of the plan's land (see :func:`evaluate_suitability`).

    Attributes
    ----------
    surface : Surface
        Scores, constraints and classes on the suitability grid.
    sensitivity : Sensitivity
        The classes under each weight moved by +-``sensitivity_change_pct``.
    hazards : Hazards
    params : SuitabilityParams
        The plan's section as applied (without the entries in `left_out`).
    left_out : tuple of str
        Plan entries left out because their source was never built, e.g.
        ``suitability.criteria.flood_height`` without the height above drainage.
    sources : tuple of str
        The vector layers the applied criteria and constraints read.
    """

    surface: Surface
    sensitivity: Sensitivity
    hazards: Hazards
    params: SuitabilityParams
    left_out: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def ahp(self) -> AhpResult | None:
        """Weights and consistency ratio of the pairwise comparisons, when the plan weighs by AHP."""
        if self.params.weighting != "ahp" or self.params.ahp is None:
            return None
        return self.params.ahp.result()


def analysis_area(layers: Mapping[str, Layer], params: SuitabilityParams) -> shapely.Geometry:
    """The union of the plan's ``suitability.area_layers``, working CRS.

    Raises
    ------
    LayerError
        If one of them is not among the layers.
    """
    missing = [name for name in params.area_layers if name not in layers]
    if missing:
        raise LayerError(f"'suitability.area_layers' names {', '.join(missing)}, not among the built layers; "
                         "build the plan's zones first (alatau-geo build)")
    return shapely.union_all([g for name in params.area_layers for g in layers[name].frame.geometry.to_numpy()])


def without_sources(params: SuitabilityParams, missing: Collection[str]) -> tuple[SuitabilityParams, tuple[str, ...]]:
    """The parameters without the criteria and constraints whose source is in `missing`.

    Their weights go too (and their rows and columns of an AHP matrix), so
    the remaining weights are renormalised among themselves.

    Returns
    -------
    params : SuitabilityParams
    left_out : tuple of str
        The plan entries removed, e.g. ``("suitability.criteria.flood_height",)``.
    """
    gone_criteria = [c.name for c in params.criteria if c.source in missing]
    gone_constraints = [c.name for c in params.constraints if c.source in missing]
    left_out = (*(f"suitability.criteria.{n}" for n in gone_criteria),
                *(f"suitability.constraints.{n}" for n in gone_constraints))
    if not left_out:
        return params, ()
    ahp = params.ahp
    if ahp is not None and any(name in gone_criteria for name in ahp.criteria):
        keep = [i for i, name in enumerate(ahp.criteria) if name not in gone_criteria]
        ahp = AhpSpec(criteria=tuple(ahp.criteria[i] for i in keep),
                      matrix=tuple(tuple(ahp.matrix[i][j] for j in keep) for i in keep),
                      max_consistency_ratio=ahp.max_consistency_ratio)
    applied = dataclasses.replace(
        params,
        criteria=tuple(c for c in params.criteria if c.name not in gone_criteria),
        constraints=tuple(c for c in params.constraints if c.name not in gone_constraints),
        weights={name: w for name, w in params.weights.items() if name not in gone_criteria},
        ahp=ahp,
    )
    return applied, left_out


def evaluate_suitability(layers: Mapping[str, Layer], params: SuitabilityParams, *, elevation: Raster,
                         hazards: Hazards, slope: Raster | None = None, cells: Cells = computed) -> SuitabilityResult:
    """The plan's suitability surface and its weight sensitivity over the analysis area.

    Parameters
    ----------
    layers : mapping of name to Layer
        The built layers (zones, placed objects, reference layers).
    params : SuitabilityParams
        The plan's ``[suitability]`` section.
    elevation : Raster
        The working-grid DEM, metres (``slope`` and ``elevation`` come from it).
    hazards : Hazards
        The floodplain and the reservoir bands (:func:`~alatau_geo.analysis.hazard_layers.flood_hazards`).
    slope : Raster, optional
        The slope of `elevation` in degrees, when the caller has it; else worked out here.
    cells : callable, optional
        As in :func:`~alatau_geo.analysis.suitability.build_surface`.

    Returns
    -------
    SuitabilityResult

    Raises
    ------
    PlanError
        If a criterion or constraint names a source that is neither a layer
        nor one of the rasters.
    LayerError
        If an analysis-area layer is missing.
    """
    applied, left_out = (params, ()) if hazards.has_hand else without_sources(params, HAND_SOURCES)
    sources: dict[str, object] = {name: layers[name].frame for name in layers}
    sources.update(slope=slope if slope is not None else terrain.slope(elevation), elevation=elevation,
                   **hazards.sources())
    area = analysis_area(layers, applied)
    grid = grid_for_bounds(area.bounds, cell_size_m=applied.cell_size_m)
    surface = build_surface(grid, sources, applied, area=area, cells=cells)  # type: ignore[arg-type]
    sensitivity = weight_sensitivity(surface, change_pct=applied.sensitivity_change_pct)
    weights = applied.normalised_weights()
    named = {c.source for c in applied.criteria if weights[c.name] > 0} | {c.source for c in applied.constraints}
    return SuitabilityResult(surface=surface, sensitivity=sensitivity, hazards=hazards, params=applied,
                             left_out=left_out, sources=tuple(sorted(named & set(layers))))


def suitability_layers(result: SuitabilityResult) -> list[Layer]:
    """The ``suitability_classes``, ``suitability_sensitivity`` and hazard layers, with provenance.

    ``suitability_classes``: one polygon per 4-connected region of a class
    (columns ``id``, ``code``, ``class``, ``area_ha``).
    ``suitability_sensitivity``: the cells whose class changes under at
    least one weight moved by +-``sensitivity_change_pct``, by their class
    before the change (``base_class``), with ``change_pct`` and the number of
    ``perturbations`` tried.
    """
    surface, params = result.surface, result.params
    classes = class_polygons(surface).rename(columns={"label": "class"})
    changed = (result.sensitivity.changes > 0) & (result.sensitivity.changes != NODATA_CLASS)
    codes = np.where(changed, surface.classes, NODATA_CLASS).astype(np.uint8)
    shifting = code_polygons(codes, surface.grid, labels=CLASS_LABELS).rename(columns={"label": "base_class"})
    shifting["change_pct"] = params.sensitivity_change_pct
    shifting["perturbations"] = result.sensitivity.perturbations
    provenance = _provenance(result)
    sensitivity = Provenance(
        source=provenance.source,
        method=f"each weight moved by -{params.sensitivity_change_pct:g} % and +{params.sensitivity_change_pct:g} "
        "% in turn (all renormalised) and the classes recomputed; the cells whose class differs from the base "
        "under at least one change, by their base class",
        parameters=dict(provenance.parameters), quality="approximate")
    return [
        Layer("suitability_classes", classes, provenance, title="Land suitability classes", disjoint=True),
        Layer("suitability_sensitivity", shifting, sensitivity,
              title=f"Land whose class changes with the weights (+-{params.sensitivity_change_pct:g} %)",
              disjoint=True),
        *result.hazards.layers(),
    ]


def _provenance(result: SuitabilityResult) -> Provenance:
    params = result.params
    weights = params.normalised_weights()
    rasters = ["slope and elevation: " + _DEM, "reservoir levels: the plan"]
    if result.hazards.has_hand:
        rasters.append("height above drainage and floodplain: D8 flow routing (pyflwdir) of NASA SRTM3")
    parameters: dict[str, object] = {
        "cell_size_m": params.cell_size_m,
        "area_layers": list(params.area_layers),
        "weighting": params.weighting,
        "weights": {name: round(float(w), 4) for name, w in weights.items() if w > 0},
        "class_min_scores": dict(zip(("low", "medium", "high"), params.classes.bins, strict=True)),
        "constraints": [c.name for c in params.constraints],
    }
    if result.left_out:
        parameters["left_out"] = list(result.left_out)
    return Provenance(
        source="; ".join([*rasters, "layers: " + ", ".join(result.sources)]),
        method=f"weighted sum of the criterion scores (0..1, weights normalised to 1) on a {params.cell_size_m:g} m "
        f"UTM 43N grid over the union of {', '.join(params.area_layers)}; cells any hard constraint touches are "
        "unsuitable; scores cut into classes at the plan's thresholds; 4-connected regions of cells",
        parameters=parameters, quality="approximate")


def class_area_table(result: SuitabilityResult, zones: gpd.GeoDataFrame, *, id_column: str = "id") -> pd.DataFrame:
    """Hectares of each class, and of constrained land, in each zone.

    Returns
    -------
    DataFrame
        Index: zone ids (named ``zone``); columns ``unsuitable_ha``,
        ``low_ha``, ``medium_ha``, ``high_ha`` (by cell centre, true cell
        areas) and ``constrained_ha`` (land a hard constraint excludes: the
        part of ``unsuitable_ha`` that is not merely a low score).
    """
    surface = result.surface
    labels = {code: f"{label}_ha" for code, label in CLASS_LABELS.items()}
    table = area_by_zone(surface.classes, surface.grid, zones, labels=labels, id_column=id_column)
    constrained = surface.constrained & (surface.classes != NODATA_CLASS)
    blocked = area_by_zone(constrained, surface.grid, zones, labels={1: "constrained_ha"}, id_column=id_column)
    return table.join(blocked)


def weights_table(result: SuitabilityResult) -> pd.DataFrame:
    """Every criterion of the applied plan: source, transform, the plan's weight and the normalised weight.

    Returns
    -------
    DataFrame
        Index: criterion (plan order); columns ``source``, ``transform``,
        ``plan_weight`` (as written in ``suitability.weights``; NaN when the
        weights come from AHP), ``weight`` (normalised, sums to 1).
    """
    params = result.params
    weights = params.normalised_weights()
    rows = [{"criterion": c.name, "source": c.source + (f" ({', '.join(c.kinds)})" if c.kinds else ""),
             "transform": c.transform.describe(),
             "plan_weight": float(params.weights[c.name]) if params.weighting == "weights" else np.nan,
             "weight": float(weights[c.name])} for c in params.criteria]
    return pd.DataFrame(rows).set_index("criterion")


def suitability_classes_grid(surface: Surface, *, transform: Affine, shape: tuple[int, int],
                             crs: CRS = WORKING_CRS) -> np.ndarray:
    """The suitability class of every cell of another grid, by the class at its centre.

    The seam for the population's capacity grid: ``0`` unsuitable (a hard
    constraint, or a score below ``low_min``), ``1`` low, ``2`` medium,
    ``3`` high. Cells whose centre lies outside the suitability surface or on
    a cell without data get 0: no land to build on is known there. On a grid
    aligned with the surface's (the same cell size, corners on whole
    multiples of it, as :func:`~alatau_geo.analysis.grid.grid_for_bounds`
    makes them) every cell takes exactly its own class.

    Parameters
    ----------
    surface : Surface
        A built surface (``SuitabilityResult.surface``).
    transform : affine.Affine
        North-up transform of the target grid.
    shape : (int, int)
        Rows and columns of the target grid.
    crs : pyproj.CRS, default UTM 43N
        The target grid's CRS; it must be the surface's.

    Returns
    -------
    numpy.ndarray of int8
        Class codes 0-3, of the target grid's shape.

    Raises
    ------
    CRSError
        If the target grid is in another CRS than the surface.

    Examples
    --------
    >>> from alatau_geo.analysis.grid import grid_for_bounds
    >>> from alatau_geo.plan.suitability_params import ClassThresholds
    >>> grid = grid_for_bounds((660_000.0, 4_820_000.0, 660_300.0, 4_820_100.0), cell_size_m=100.0)
    >>> classes = np.array([[3, 255, 1]], dtype=np.uint8)
    >>> surface = Surface(grid, np.zeros((1, 3), np.float32), np.zeros((1, 3), bool), classes,
    ...                   pd.Series(dtype=float), ClassThresholds(), pd.Series(dtype=float))
    >>> wider = Affine(100.0, 0.0, 659_900.0, 0.0, -100.0, 4_820_100.0)
    >>> suitability_classes_grid(surface, transform=wider, shape=(1, 5)).tolist()
    [[0, 3, 0, 1, 0]]
    """
    if not CRS.from_user_input(crs).equals(surface.grid.crs):
        raise CRSError(f"the target grid is in {CRS.from_user_input(crs).to_string()}, the suitability surface in "
                       f"{surface.grid.crs.to_string()}; use a grid in the surface's CRS")
    rows, cols = np.indices(shape)
    xs, ys = transform @ (cols + 0.5, rows + 0.5)
    src_cols, src_rows = ~surface.grid.transform @ (xs, ys)
    src_rows, src_cols = np.floor(src_rows).astype(np.int64), np.floor(src_cols).astype(np.int64)
    height, width = surface.grid.shape
    inside = (src_rows >= 0) & (src_rows < height) & (src_cols >= 0) & (src_cols < width)
    out = np.zeros(shape, dtype=np.int8)
    found = surface.classes[src_rows[inside], src_cols[inside]]
    out[inside] = np.where(found == NODATA_CLASS, 0, found).astype(np.int8)
    return out
