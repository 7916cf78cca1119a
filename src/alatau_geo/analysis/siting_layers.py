"""The siting study as layers: recommended sites and their catchments, with provenance.

- ``siting_recommended``: the recommended sites of every kind studied (the
  p-median for as many facilities as the demand needs, never fewer than the
  catalogue has), with the catchment's load, its share of one facility's
  firm capacity, the travel to it, and the planned object each site
  stands for (least total straight-line distance) and how far it moves it;
- ``siting_catchments``: for each recommended site, the union of the demand
  blocks allocated to it (each block's square cut to its district), with
  the same figures, residents and jobs;
- ``siting_moves``: a straight line from each planned object to the
  recommended site it stands for, where that site lies farther than
  ``siting.moved_tolerance_m``.

Both in the working CRS; :mod:`alatau_geo.core.io` exports them in WGS84.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from alatau_geo.analysis.siting_kind import KindSitingResult
from alatau_geo.analysis.siting_study import SitingStudy
from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.layers import Layer, Provenance
from alatau_geo.plan.demand_params import DEMAND_UNITS
from alatau_geo.plan.siting_params import SitingParams

SITING_LAYERS = ("siting_recommended", "siting_catchments", "siting_moves")
"""The layers :func:`siting_layers` makes."""
SITE_COLUMNS = ("id", "kind", "site", "role", "district", "phase", "facilities", "load", "load_unit", "capacity",
                "load_share", "covered_load", "demand_blocks", "mean_cost", "max_cost", "cost_unit", "limit",
                "planned_match", "moved_m", "status")
MOVE_LINE_COLUMNS = ("id", "kind", "planned", "site", "moved_m")
CATCHMENT_COLUMNS = ("id", "kind", "site", "district", "phase", "load", "load_unit", "capacity", "load_share",
                     "residents", "jobs", "demand_blocks", "area_ha", "mean_cost", "max_cost", "cost_unit")


def siting_layers(study: SitingStudy, params: SitingParams, *, source: str) -> list[Layer]:
    """The recommended sites and their catchments, one layer each, with provenance.

    Parameters
    ----------
    study : SitingStudy
    params : SitingParams
        The plan's ``[siting]`` parameters (recorded in the provenance).
    source : str
        The plan the study comes from (recorded in the provenance).

    Returns
    -------
    list of Layer
        ``siting_recommended`` (points), ``siting_catchments`` (polygons)
        and ``siting_moves`` (lines), working CRS.
    """
    sites = [_recommended(study, result) for result in study.kinds.values()]
    points = gpd.GeoDataFrame(pd.concat(sites, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
    lines = _move_lines(study, points, tolerance_m=params.moved_tolerance_m)
    catchments = [_catchments(study, result) for result in study.kinds.values()]
    areas = gpd.GeoDataFrame(pd.concat(catchments, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
    parameters = {
        "phase": study.phase, "districts": list(study.districts), "demand_block_m": params.demand_block_m,
        "max_candidates": params.max_candidates, "time_limit_s": params.time_limit_s,
        "limits": {kind: {"demand": result.settings.demand, "cost": result.settings.cost,
                          "limit": result.settings.limit} for kind, result in study.kinds.items()},
    }
    inputs = (f"{source}: residents and jobs allocated on the 100 m grid (population analysis), demand rates and "
              "facility sizes of [siting]; infrastructure catalogue (placed objects); road network generated from "
              "the corridors and districts")
    method = (f"demand blocks of {params.demand_block_m:g} m (one point per block and district, at the centre of "
              "its people) weighted by the kind's demand; candidate sites on the placement grid passing the kind's "
              f"placement rules, thinned to at most {params.max_candidates} per kind, and the planned positions that "
              "break no rule; travel cost over the road network; p-median (spopt, CBC) for max(facilities needed, "
              "catalogue objects), existing (reconstructed) objects kept")
    return [
        Layer("siting_recommended", points[list(SITE_COLUMNS) + ["geometry"]].reset_index(drop=True),
              Provenance(source=inputs, method=method + "; each planned object matched to one site at least total "
                         "straight-line distance", parameters=parameters, quality="approximate"),
              title=f"Recommended facility sites ({study.phase})"),
        Layer("siting_catchments", areas[list(CATCHMENT_COLUMNS) + ["geometry"]].reset_index(drop=True),
              Provenance(source=inputs, method=method + "; every block allocated to its nearest open site, the "
                         "blocks of each site merged", parameters=parameters, quality="approximate"),
              title=f"Catchments of the recommended sites ({study.phase})"),
        Layer("siting_moves", lines, Provenance(
            source=inputs, method="a straight line from each planned object to the recommended site matched to it "
            "(least total straight-line distance), where they lie farther apart than siting.moved_tolerance_m",
            parameters=parameters, quality="approximate"),
            title=f"Planned objects to recommended sites ({study.phase})"),
    ]


def _recommended(study: SitingStudy, result: KindSitingResult) -> gpd.GeoDataFrame:
    """The recommended sites of one kind as layer rows."""
    sites = result.recommended.sites.reset_index().rename(columns={"id": "site"})
    points = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["x"], sites["y"]), crs=WORKING_CRS)
    match, moved = _matched(study, result, points)
    unit = "min" if result.settings.cost == "time" else "m"
    return points.assign(
        id=[f"{result.kind}_{site}" for site in sites["site"]], kind=result.kind,
        district=_districts_of(study, points), phase=study.phase, facilities=len(sites),
        load_unit=DEMAND_UNITS[result.settings.demand], capacity=result.capacity,
        load_share=(sites["load"] / result.capacity).round(3), demand_blocks=sites["demand_points"],
        cost_unit=unit, limit=result.settings.limit, planned_match=match, moved_m=moved,
        status=result.recommended.status,
    )


def _move_lines(study: SitingStudy, points: gpd.GeoDataFrame, *, tolerance_m: float) -> gpd.GeoDataFrame:
    """Lines from each planned object to its matched recommended site, where it moves."""
    rows = []
    for record in points[points["moved_m"] > tolerance_m].to_dict("records"):
        result = study.kinds[record["kind"]]
        origin = result.plan["p_median"].sites.loc[record["planned_match"]]
        site = record["geometry"]
        rows.append({"id": f"{record['kind']}_{record['planned_match']}", "kind": record["kind"],
                     "planned": record["planned_match"], "site": record["site"], "moved_m": record["moved_m"],
                     "geometry": shapely.LineString([(origin["x"], origin["y"]), (site.x, site.y)])})
    frame = gpd.GeoDataFrame(rows, columns=[*MOVE_LINE_COLUMNS, "geometry"], geometry="geometry", crs=WORKING_CRS)
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def _matched(study: SitingStudy, result: KindSitingResult, points: gpd.GeoDataFrame) -> tuple[list, np.ndarray]:
    """The planned object each recommended site stands for (least total distance), and how far it moves, m."""
    planned = result.plan.get("p_median")
    match: list[str | None] = [None] * len(points)
    moved = np.full(len(points), np.nan)
    if planned is None:
        return match, moved
    objects = planned.sites[planned.sites["role"] == "planned"]
    free = np.flatnonzero((points["role"] != "fixed").to_numpy())
    if len(objects) == 0 or len(free) == 0:
        return match, moved
    a = objects[["x", "y"]].to_numpy()
    b = points[["x", "y"]].to_numpy()[free]
    distance = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    rows, cols = linear_sum_assignment(distance)
    for row, col in zip(rows, cols, strict=True):
        match[free[col]] = str(objects.index[row])
        moved[free[col]] = round(float(distance[row, col]), 1)
    return match, moved


def _districts_of(study: SitingStudy, points: gpd.GeoDataFrame) -> list[str | None]:
    """The zone each point lies in; None outside every zone."""
    names = list(study.zones)
    geometries = np.array([study.zones[name] for name in names], dtype=object)
    found: list[str | None] = [None] * len(points)
    for index, point in enumerate(points.geometry):
        inside = np.flatnonzero(shapely.covers(geometries, point))
        found[index] = names[inside[0]] if len(inside) else None
    return found


def _catchments(study: SitingStudy, result: KindSitingResult) -> gpd.GeoDataFrame:
    """One polygon per recommended site: the union of its blocks, with load, people and travel."""
    allocation = result.recommended.allocation
    blocks = study.blocks.set_index("id")
    polygons = pd.Series(study.block_polygons.to_numpy(), index=study.blocks["id"].to_numpy())
    served = allocation[allocation["site"].notna()]
    sites = result.recommended.sites
    rows = []
    for site, group in served.groupby("site", sort=True):
        ids = group.index.to_numpy()
        figures = sites.loc[site]
        rows.append({
            "id": f"{result.kind}_{site}", "kind": result.kind, "site": site,
            "district": _majority(blocks.loc[ids, "district"], blocks.loc[ids, result.settings.demand]),
            "phase": study.phase, "load": float(figures["load"]), "load_unit": DEMAND_UNITS[result.settings.demand],
            "capacity": result.capacity, "load_share": round(float(figures["load"]) / result.capacity, 3),
            "residents": int(blocks.loc[ids, "residents"].sum()), "jobs": int(blocks.loc[ids, "jobs"].sum()),
            "demand_blocks": len(ids), "mean_cost": figures["mean_cost"], "max_cost": figures["max_cost"],
            "cost_unit": "min" if result.settings.cost == "time" else "m",
            "geometry": shapely.union_all(polygons.loc[ids].to_numpy()),
        })
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING_CRS)
    frame["area_ha"] = area_ha(frame).round(1)
    return frame


def _majority(districts: pd.Series, weights: pd.Series) -> str:
    """The district holding most of the demand of a catchment."""
    totals = weights.groupby(districts.to_numpy()).sum()
    return str(totals.idxmax()) if len(totals) else ""


__all__ = ["CATCHMENT_COLUMNS", "MOVE_LINE_COLUMNS", "SITE_COLUMNS", "SITING_LAYERS", "siting_layers"]
