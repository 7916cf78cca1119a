"""Area analysis of the zones: hectares, shares, buildable land, SEZ overlap, densities.

All areas are measured in the equal-area CRS (:data:`alatau_geo.core.crs.EQUAL_AREA_CRS`)
and given in hectares. Buildable land is a zone's area less the land that is
steeper than the plan's limit, the water, and the water protection zones.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from shapely.geometry import shape

from alatau_geo.core.crs import WORKING_CRS, area_ha
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.reference.terrain import clip_to_bounds

AREA_COLUMNS = (
    "zone", "name_en", "area_ha", "share_of_city_pct", "buildable_ha", "buildable_pct", "sez_overlap_ha",
    "published_ha", "difference_pct", "residents_target", "jobs_target", "residents_per_ha", "jobs_per_ha",
)


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


def area_table(layers: LayerSet, *, unbuildable: shapely.Geometry) -> pd.DataFrame:
    """One row per district and one for the city: the figures a planner checks.

    Parameters
    ----------
    layers : LayerSet
        Must hold ``districts`` and ``city_boundary``; ``sez``,
        ``reservoir`` and ``water_protection_zone`` are used when present.
    unbuildable : shapely geometry
        Land that cannot be built on besides water and protection zones
        (steep land, see :func:`steep_land`), working CRS.

    Returns
    -------
    DataFrame
        Columns :data:`AREA_COLUMNS`; areas in ha, shares and differences in
        percent, densities per ha of zone area.
    """
    districts = layers["districts"].frame
    city = layers["city_boundary"].frame
    zones = pd.concat([districts.assign(layer="districts"), city.assign(layer="city_boundary")], ignore_index=True)
    zones = gpd.GeoDataFrame(zones, geometry="geometry", crs=WORKING_CRS)
    excluded = [unbuildable]
    for name in ("reservoir", "water_protection_zone"):
        if name in layers:
            excluded.extend(layers[name].frame.geometry.to_numpy())
    blocked = shapely.union_all(excluded)
    sez = shapely.union_all(layers["sez"].frame.geometry.to_numpy()) if "sez" in layers else None
    area = area_ha(zones)
    city_area = float(area[zones["layer"] == "city_boundary"].sum())
    buildable = area_ha(gpd.GeoSeries(shapely.difference(zones.geometry.to_numpy(), blocked), crs=WORKING_CRS))
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


def zone_area_table(layers: LayerSet, *, slope: Raster, max_slope_deg: float) -> pd.DataFrame:
    """:func:`area_table` with steep land taken from a slope raster over the city's extent.

    Parameters
    ----------
    layers : LayerSet
        As for :func:`area_table`.
    slope : Raster
        Slope in degrees on the working grid.
    max_slope_deg : float
        Steeper land is not buildable, degrees.
    """
    extent = tuple(layers["city_boundary"].frame.total_bounds)
    return area_table(layers, unbuildable=steep_land(slope, max_slope_deg=max_slope_deg, within=extent))


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
