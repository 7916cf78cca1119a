"""Area analysis of the zones: hectares, shares, buildable land, SEZ overlap, densities, classes, hazards.

Zone areas are measured in the equal-area CRS (:data:`alatau_geo.core.crs.EQUAL_AREA_CRS`)
and given in hectares. Buildable land has one definition, the suitability's:
land no hard constraint of the plan's ``[suitability.constraints]`` excludes
(water, water protection strips and zones, the floodplain, steep slopes, the
reservoir below its maximum level). :func:`zone_area_table` takes it, the
hectares of each suitability class and of each hazard band from a
:class:`~alatau_geo.analysis.suitability_layers.SuitabilityResult`; those are
counted on the suitability grid by cell centre.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from shapely.geometry import shape

from alatau_geo.analysis.suitability_layers import SuitabilityResult, class_area_table
from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.reference.terrain import clip_to_bounds

AREA_COLUMNS = (
    "zone", "name_en", "area_ha", "share_of_city_pct", "buildable_ha", "buildable_pct", "sez_overlap_ha",
    "published_ha", "difference_pct", "residents_target", "jobs_target", "residents_per_ha", "jobs_per_ha",
)
CLASS_COLUMNS = ("unsuitable_ha", "low_ha", "medium_ha", "high_ha")
"""Hectares of each suitability class, which :func:`zone_area_table` adds."""
HAZARD_COLUMNS = ("floodplain_ha", "reservoir_normal_ha", "reservoir_max_ha")
"""Hectares of each hazard band, which :func:`zone_area_table` adds."""


def steep_land(slope: Raster, *, max_slope_deg: float,
               within: tuple[float, float, float, float] | None = None) -> shapely.Geometry:
    """Cells steeper than `max_slope_deg` as one (multi)polygon in the slope raster's CRS.

    Parameters
    ----------
    slope : Raster
        Slope in degrees on a projected grid.
    max_slope_deg : float
        Limit, degrees; cells above it are steep.
    within : (xmin, ymin, xmax, ymax), optional
        Only cells inside these bounds (the zones' extent) are polygonised;
        the mountains south of Almaty need not be.
    """
    if within is not None:
        slope = clip_to_bounds(slope, within)
    mask = np.nan_to_num(slope.data, nan=0.0) > max_slope_deg
    if not mask.any():
        return shapely.Polygon()
    polygons = [shape(g) for g, v in rasterio.features.shapes(mask.astype(np.uint8), mask=mask,
                                                              transform=slope.transform) if v == 1]
    return shapely.union_all(polygons)


def zones_frame(layers: LayerSet) -> gpd.GeoDataFrame:
    """The districts and the city boundary in one frame (column ``layer`` says which), working CRS."""
    districts = layers["districts"].frame
    city = layers["city_boundary"].frame
    zones = pd.concat([districts.assign(layer="districts"), city.assign(layer="city_boundary")], ignore_index=True)
    return gpd.GeoDataFrame(zones, geometry="geometry", crs=WORKING_CRS)


def area_table(layers: LayerSet, *, unbuildable_ha: pd.Series) -> pd.DataFrame:
    """One row per district and one for the city: the figures a planner checks.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``districts`` and ``city_boundary``; ``sez`` is used when present.
    unbuildable_ha : pandas.Series
        Hectares of each zone (indexed by zone id) that cannot be built on:
        the land a hard constraint excludes. A zone missing from it has none.

    Returns
    -------
    DataFrame
        Columns :data:`AREA_COLUMNS`; areas in ha, shares and differences in
        percent, densities per ha of zone area. ``buildable_ha`` is the
        zone's area less `unbuildable_ha` (never below 0).
    """
    zones = zones_frame(layers)
    sez = shapely.union_all(layers["sez"].frame.geometry.to_numpy()) if "sez" in layers else None
    area = area_ha(zones)
    city_area = float(area[zones["layer"] == "city_boundary"].sum())
    blocked = zones["id"].astype(str).map(unbuildable_ha).fillna(0.0).to_numpy()
    buildable = (area - blocked).clip(lower=0.0)
    overlap = (area_ha(gpd.GeoSeries(shapely.intersection(zones.geometry.to_numpy(), sez), crs=WORKING_CRS))
               if sez is not None else pd.Series(np.nan, index=zones.index))
    table = pd.DataFrame({
        "zone": zones["id"],
        "name_en": zones["name_en"],
        "area_ha": area.round(1),
        "share_of_city_pct": (100 * area / city_area).round(2) if city_area else np.nan,
        "buildable_ha": buildable.round(1),
        "buildable_pct": (100 * buildable / area).round(1),
        "sez_overlap_ha": overlap.round(1),
        "published_ha": zones.get("published_ha", pd.Series(np.nan, index=zones.index)),
    })
    table["difference_pct"] = (100 * (table["area_ha"] - table["published_ha"]) / table["published_ha"]).round(3)
    for column in ("residents_target", "jobs_target"):
        values = zones[column] if column in zones else pd.Series(np.nan, index=zones.index)
        table[column] = pd.array(values.round(), dtype="Int64")
    table["residents_per_ha"] = (table["residents_target"] / table["area_ha"]).round(1)
    table["jobs_per_ha"] = (table["jobs_target"] / table["area_ha"]).round(1)
    return table[list(AREA_COLUMNS)].reset_index(drop=True)


def zone_area_table(layers: LayerSet, suitability: SuitabilityResult) -> pd.DataFrame:
    """:func:`area_table` with buildable land, class and hazard hectares from the plan's suitability.

    Parameters
    ----------
    layers : LayerSet
        As for :func:`area_table`.
    suitability : SuitabilityResult
        The plan's suitability of these layers
        (:func:`alatau_geo.jobs.suitability.suitability_of` builds it).

    Returns
    -------
    DataFrame
        Columns :data:`AREA_COLUMNS`, then :data:`CLASS_COLUMNS` and
        :data:`HAZARD_COLUMNS`, hectares (``floodplain_ha`` is empty when
        the height above drainage was never built).
    """
    zones = zones_frame(layers)
    classes = class_area_table(suitability, zones)
    hazards = suitability.hazards.area_by_zone(zones)
    table = area_table(layers, unbuildable_ha=classes["constrained_ha"].groupby(level=0).first())
    extra = classes[list(CLASS_COLUMNS)].join(hazards[list(HAZARD_COLUMNS)]).round(1)
    extra = extra[~extra.index.duplicated()]
    return table.join(extra, on="zone")


PHASE_COLUMNS = (
    "zone", "name_en", "year", "area_ha", "buildable_ha", "residents", "jobs", "residents_per_ha", "jobs_per_ha",
    "residents_per_buildable_ha", "jobs_per_buildable_ha",
)
REST_NAME = "City land outside the districts"


def phase_table(areas: pd.DataFrame, summary: pd.DataFrame, *, city_id: str,
                rest_id: str = "city_rest") -> pd.DataFrame:
    """Residents, jobs and densities per district and phase, on the areas of :func:`area_table`.

    Parameters
    ----------
    areas : DataFrame
        From :func:`area_table`: the districts, then the city (``city_id``).
    summary : DataFrame
        The population summary (index ``zone``, ``year``; zones are the
        districts, `rest_id` and ``city``), see
        :func:`alatau_geo.analysis.population.phase_summary`.
    city_id : str
        The city boundary's id in `areas` (``alatau_city``).
    rest_id : str
        The zone of city land outside the districts; its area is the city's
        less the districts'.

    Returns
    -------
    DataFrame
        Columns :data:`PHASE_COLUMNS`, one row per zone and phase year (the
        city under `city_id`); densities per ha of zone area and per
        buildable ha, rounded to 0.1.

    Examples
    --------
    >>> areas = pd.DataFrame({"zone": ["gate", "alatau_city"], "name_en": ["Gate", "Alatau"],
    ...                       "area_ha": [4000.0, 5000.0], "buildable_ha": [3000.0, 3500.0]})
    >>> summary = pd.DataFrame({"zone": ["gate", "city_rest", "city"], "year": 2050, "residents": [220_000, 0, 220_000],
    ...                         "jobs": [181_000, 0, 181_000]}).set_index(["zone", "year"])
    >>> table = phase_table(areas, summary, city_id="alatau_city")
    >>> table[["zone", "area_ha", "residents_per_ha", "residents_per_buildable_ha"]].values.tolist()
    [['gate', 4000.0, 55.0, 73.3], ['city_rest', 1000.0, 0.0, 0.0], ['alatau_city', 5000.0, 44.0, 62.9]]
    """
    known = areas.set_index("zone")
    districts = known.drop(index=city_id)
    rest = {"name_en": REST_NAME, "area_ha": known.at[city_id, "area_ha"] - districts["area_ha"].sum(),
            "buildable_ha": known.at[city_id, "buildable_ha"] - districts["buildable_ha"].sum()}
    lookup = known[["name_en", "area_ha", "buildable_ha"]].to_dict("index") | {rest_id: rest}
    rows = []
    for (zone, year), figures in summary.iterrows():
        key = city_id if zone == "city" else zone
        if key not in lookup:
            continue
        area = lookup[key]
        row = {"zone": key, "name_en": area["name_en"], "year": int(year), "area_ha": round(float(area["area_ha"]), 1),
               "buildable_ha": round(float(area["buildable_ha"]), 1), "residents": int(figures["residents"]),
               "jobs": int(figures["jobs"])}
        for kind in ("residents", "jobs"):
            row[f"{kind}_per_ha"] = _density(row[kind], row["area_ha"])
            row[f"{kind}_per_buildable_ha"] = _density(row[kind], row["buildable_ha"])
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PHASE_COLUMNS))


def _density(count: int, hectares: float) -> float:
    return round(count / hectares, 1) if hectares > 0 else float("nan")
