"""Where a facility may stand: candidate sites on the placement grid that pass the placement rules.

For one facility kind, :func:`candidate_sites` lays the plan's placement grid
(``analysis.placement_grid_m``, aligned to whole multiples, as
:func:`~alatau_geo.plan.placement.candidate_grid` does for placed objects)
over each district, keeps the points that pass every rule the kind's
objects carry in the catalogue (:func:`kind_rules`; checked by
:func:`~alatau_geo.plan.placement_rules.evaluate`, a candidate's district
being the one it lies in), and thins them to a coarser grid, a whole
multiple of the placement grid, until at most ``max_count`` are left. A
district whose points all fall off the coarser grid keeps its passing point
nearest its representative point, so every district keeps a candidate.

The catalogue's planned positions that break no rule are candidates too
(``at_<object id>``): the optimum can then keep a planned object where it
stands, and a p-median solved to optimality is never worse than the plan
for the same number of sites.

Coordinates are metres in the working CRS (EPSG:32643).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.plan.catalogues import split_cell
from alatau_geo.plan.placement import candidate_grid
from alatau_geo.plan.placement_context import PlacementContext, Target
from alatau_geo.plan.placement_rules import RULES, evaluate

DEFAULT_RULES = ("in_district", "outside_strips", "max_slope", "above_flood")
"""Rules of a kind without objects in the catalogue (those of the catalogue's point objects)."""
CANDIDATE_COLUMNS = ("id", "district", "source", "geometry")


def kind_rules(objects: pd.DataFrame, kind: str) -> tuple[str, ...]:
    """Every placement rule the catalogue's objects of `kind` carry, in the order of the rule registry.

    Parameters
    ----------
    objects : DataFrame
        The placed ``infrastructure`` layer (or the catalogue): ``kind`` and ``rules``.
    kind : str

    Returns
    -------
    tuple of str
        :data:`DEFAULT_RULES` when the catalogue has no object of `kind`.

    Examples
    --------
    >>> objects = pd.DataFrame({"kind": ["substation", "substation"],
    ...                         "rules": ["max_slope;in_district", "above_flood"]})
    >>> kind_rules(objects, "substation")
    ('in_district', 'max_slope', 'above_flood')
    >>> kind_rules(objects, "school") == DEFAULT_RULES
    True
    """
    rows = objects[objects["kind"].astype(str) == kind] if "kind" in objects.columns else objects.iloc[:0]
    named = {rule for cell in rows.get("rules", pd.Series(dtype=object)) for rule in split_cell(cell)}
    if rows.empty or not named:
        return DEFAULT_RULES
    unknown = sorted(named - set(RULES))
    if unknown:
        raise LayerError(f"infrastructure: unknown placement rule(s) {', '.join(unknown)} for the kind {kind!r}")
    return tuple(rule for rule in RULES if rule in named)


def candidate_sites(
    context: PlacementContext,
    *,
    districts: Sequence[str],
    rules: Sequence[str],
    max_count: int,
    planned: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Points where a facility may stand: placement-grid points passing `rules`, thinned to `max_count`.

    Parameters
    ----------
    context : PlacementContext
        The layers and rasters the rules look at, and the placement grid spacing.
    districts : sequence of str
        District ids to lay the grid over.
    rules : sequence of str
        Rules every candidate must pass (:func:`kind_rules`).
    max_count : int
        Most grid candidates kept (one more per district that would
        otherwise have none).
    planned : GeoDataFrame, optional
        Planned objects (``id``, ``broken_rules``); those that break no rule
        are added as candidates ``at_<id>``.

    Returns
    -------
    GeoDataFrame
        :data:`CANDIDATE_COLUMNS`: ``id`` (``site_<x>_<y>`` in metres, or
        ``at_<object id>``), ``district``, ``source`` (``grid`` or
        ``planned position``); points, working CRS, grid points sorted by
        district then y and x.

    Raises
    ------
    LayerError
        If no district has a point that passes the rules.
    """
    spacing = context.analysis.placement_grid_m
    parts = []
    for district in sorted(districts):
        points = candidate_grid(context.area_of(district), spacing)
        checks = evaluate(points, rules, Target(id=f"candidate in {district}", district=district), context)
        passing = np.logical_and.reduce([ok for ok, _ in checks.values()]) if checks \
            else np.ones(len(points), dtype=bool)
        parts.append(pd.DataFrame({"district": district, "x": shapely.get_x(points[passing]),
                                   "y": shapely.get_y(points[passing])}))
    grid = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["district", "x", "y"])
    if grid.empty:
        raise LayerError(f"no placement-grid point in {', '.join(districts) or 'no district'} passes the rules "
                         f"{', '.join(rules)}; check the districts and the rules")
    kept = _thinned(grid, spacing=spacing, max_count=max_count, context=context)
    kept = kept.sort_values(["district", "y", "x"], kind="stable")
    frame = pd.DataFrame({"id": [f"site_{x:.0f}_{y:.0f}" for x, y in zip(kept["x"], kept["y"], strict=True)],
                          "district": kept["district"].to_numpy(), "source": "grid"})
    sites = gpd.GeoDataFrame(frame, geometry=shapely.points(kept["x"], kept["y"]), crs=WORKING_CRS)
    if planned is not None and len(planned):
        sites = pd.concat([sites, _planned_positions(planned)], ignore_index=True)
    return gpd.GeoDataFrame(sites[list(CANDIDATE_COLUMNS)], geometry="geometry", crs=WORKING_CRS)


def _thinned(grid: pd.DataFrame, *, spacing: float, max_count: int, context: PlacementContext) -> pd.DataFrame:
    """The grid points on the finest whole multiple of `spacing` that leaves at most `max_count`.

    A district left without a point keeps its point nearest its representative point.
    """
    steps_x = np.rint(grid["x"].to_numpy() / spacing).astype(np.int64)
    steps_y = np.rint(grid["y"].to_numpy() / spacing).astype(np.int64)
    factor = 1
    while True:
        keep = (steps_x % factor == 0) & (steps_y % factor == 0)
        if keep.sum() <= max_count or factor > 10_000:
            break
        factor += 1
    for district in grid["district"].unique():
        mine = (grid["district"] == district).to_numpy()
        if not (keep & mine).any():
            centre = context.area_of(district).representative_point()
            distance = np.hypot(grid["x"].to_numpy() - centre.x, grid["y"].to_numpy() - centre.y)
            keep[np.flatnonzero(mine)[np.argmin(distance[mine])]] = True
    return grid[keep]


def _planned_positions(planned: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The planned objects that break no placement rule, as candidates ``at_<id>``."""
    broken = planned["broken_rules"].fillna("").astype(str) if "broken_rules" in planned.columns \
        else pd.Series("", index=planned.index)
    good = planned[broken.str.strip() == ""]
    district = good["district"] if "district" in good.columns else pd.Series(None, index=good.index)
    frame = pd.DataFrame({"id": [f"at_{name}" for name in good["id"]], "district": district.to_numpy(),
                          "source": "planned position"})
    points = good.geometry.representative_point().to_numpy()
    return gpd.GeoDataFrame(frame, geometry=points, crs=WORKING_CRS)


__all__ = ["CANDIDATE_COLUMNS", "DEFAULT_RULES", "candidate_sites", "kind_rules"]
