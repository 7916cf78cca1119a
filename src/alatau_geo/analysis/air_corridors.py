"""Green and air corridors of Almaty: mountain-to-plain valleys that bring cold air into the city.

On calm nights cold air drains from the Ile Alatau down the river valleys
into the city; Almaty's general plan (seed 004) keeps air circulating and
triples green space to 3,800 ha. This module finds the candidate corridors
from the DEM alone:

1. D8 flow routing over a WGS84 window of the void-filled mosaic
   (:func:`alatau_geo.reference.hydrology.route_flow`); streams where the upstream area
   exceeds a threshold.
2. Corridor streams: stream cells that drain land above a mountain elevation
   (``accuflux`` of mountain stream cells) *and* flow into the city
   (``fillnodata`` upstream from the city's stream cells). A corridor is the
   set of such streams above one outlet, usually the point where the river
   leaves the city.
3. Valley floor: cells draining to a corridor stream whose height above it
   (HAND, Nobre et al. 2016) and distance from it are within limits.
4. On the UTM 43N grid: each corridor's area, its area inside the city, and
   where it meets steep or upper city.

Almaty is modelled by :func:`city_extent`, an approximate extent (a
documented box cut at the city's published highest elevation) until the
official boundary is given; any polygon can be passed instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from pyproj import Geod
from rasterio.enums import Resampling
from scipy import ndimage
from shapely.geometry import LineString, shape

from alatau_geo.analysis import terrain_classes as tc
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS, area_ha
from alatau_geo.core.errors import DemError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import CorridorParams
from alatau_geo.reference.hydrology import FlowModel, route_flow
from alatau_geo.reference.terrain import clip_to_bounds, project_raster, slope

LAND_COVER_LIMITS: tuple[str, ...] = (
    "Without land-cover data the corridors are terrain only: we cannot say which of their land is already "
    "built on, paved, green or water, so their area inside the city is an upper bound on what could be kept "
    "or made green, not green space that exists.",
    "We cannot say how far the 3,800 ha green target is met today, nor how much of it the corridors could "
    "hold: that needs a map of today's green space and of built-up land.",
    "We cannot say whether cold air actually reaches the city along a corridor: that depends on the "
    "roughness and porosity of the buildings and trees across it, on barriers (embankments, dense blocks) "
    "and on the night-time wind and temperature field, which need land cover, building heights and a "
    "cold-air flow model or measurements.",
    "We can say where the valleys are, how wide the valley floor is by the stated HAND and distance rules, "
    "how much of it lies inside the (approximate) city extent, and where it meets steep or upper city.",
)
_STEM_COLUMNS = ["label", "source_elevation_m", "city_entry_elevation_m", "outlet_elevation_m",
                 "outlet_upstream_area_km2", "length_km", "length_in_city_km", "geometry"]
_SOURCE = "NASA SRTM3 (public domain), D8 flow routing (pyflwdir), HAND; UTM 43N grid"


@dataclass(frozen=True)
class Corridors:
    """Candidate green and air corridors.

    Attributes
    ----------
    frame : GeoDataFrame
        One valley-floor (multi)polygon per corridor, UTM 43N: ``id``,
        ``name_en``, ``river_ids``, ``area_ha`` (equal-area),
        ``area_in_city_ha``, ``area_in_city_steep_ha``,
        ``area_in_city_upper_ha``, ``outlet_upstream_area_km2``, ``basis``.
    streams : GeoDataFrame
        Each corridor's main stem from its mountain source to its outlet, UTM
        43N: ``id``, ``source_elevation_m``, ``city_entry_elevation_m``,
        ``outlet_elevation_m``, ``outlet_upstream_area_km2``, ``length_km``,
        ``length_in_city_km``, ``basis``.
    meets : GeoDataFrame
        Corridor land inside the city on steep slopes, in the upper city, or
        both (``id``, ``corridor_id``, ``meets``, ``area_ha``, ``basis``).
    summary : DataFrame
        Tidy report rows: ``quantity``, ``value``, ``unit``, ``basis``, ``source``.
    """

    frame: gpd.GeoDataFrame
    streams: gpd.GeoDataFrame
    meets: gpd.GeoDataFrame
    summary: pd.DataFrame


def city_extent(filled: Raster, params: CorridorParams) -> gpd.GeoDataFrame:
    """Almaty's approximate extent: the ``city_bounds`` box below ``city_max_elevation_m``.

    The largest 8-connected region of mosaic cells inside the box at or below
    the city's published highest elevation, as one polygon in UTM 43N, flagged
    approximate, with its area beside the published one.

    Returns
    -------
    GeoDataFrame
        One row: ``id`` (``almaty``), ``area_ha``, ``published_area_ha``,
        ``difference_pct``, ``quality`` (``approximate``), ``basis``
        (``assumed``: an assumed box cut at a published elevation), ``method``.
    """
    box = clip_to_bounds(filled, params.city_bounds)
    with np.errstate(invalid="ignore"):
        low = box.data <= params.city_max_elevation_m
    labels, count = ndimage.label(low, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        raise DemError(f"no DEM cell below {params.city_max_elevation_m:g} m in mountain.corridors.city_bounds")
    largest = labels == int(np.argmax(np.bincount(labels.ravel())[1:]) + 1)
    outline = shapely.union_all([shape(g) for g, v in rasterio.features.shapes(
        largest.astype(np.uint8), mask=largest, transform=box.transform) if v == 1])
    frame = gpd.GeoDataFrame({"id": ["almaty"], "name_en": ["Almaty (approximate extent)"]},
                             geometry=[outline], crs=box.crs).to_crs(WORKING_CRS)
    frame["area_ha"] = area_ha(frame)
    frame["published_area_ha"] = params.published_city_area_km2 * 100.0
    frame["difference_pct"] = 100.0 * (frame["area_ha"] / frame["published_area_ha"] - 1.0)
    frame["quality"] = "approximate"
    frame["basis"] = "assumed"
    frame["method"] = (f"box {list(params.city_bounds)} (WGS84) at or below {params.city_max_elevation_m:g} m "
                       "(published highest elevation); replace with the official boundary")
    return frame


def named_river_points(places: gpd.GeoDataFrame, river_names: pd.DataFrame) -> gpd.GeoDataFrame:
    """Points that name rivers: places with a ``river_id`` and the river-name table's own points.

    Parameters
    ----------
    places : GeoDataFrame
        Mountain places (``river_id`` may be empty), any CRS.
    river_names : DataFrame
        The checked river-name table (``river_id``, ``name_en``, ``lon``, ``lat``).

    Returns
    -------
    GeoDataFrame
        ``river_id``, ``name_en`` (from the river-name table where the river is
        listed there, else the id), WGS84 points.
    """
    names = river_names.drop_duplicates("river_id").set_index("river_id")["name_en"]
    tagged = places[places["river_id"].astype(str).str.strip() != ""].to_crs(EXPORT_CRS)
    from_places = gpd.GeoDataFrame({"river_id": tagged["river_id"].to_numpy()}, geometry=tagged.geometry.to_numpy(),
                                   crs=EXPORT_CRS)
    from_table = gpd.GeoDataFrame({"river_id": river_names["river_id"].to_numpy()},
                                  geometry=gpd.points_from_xy(river_names["lon"], river_names["lat"]), crs=EXPORT_CRS)
    points = pd.concat([from_places, from_table], ignore_index=True)
    points["name_en"] = [names.get(river, river) for river in points["river_id"]]
    return gpd.GeoDataFrame(points[["river_id", "name_en", "geometry"]], geometry="geometry", crs=EXPORT_CRS)


def air_corridors(filled: Raster, city: gpd.GeoDataFrame, params: CorridorParams, *,
                  river_points: gpd.GeoDataFrame | None = None) -> Corridors:
    """Candidate ventilation and green corridors from the mountains into the city.

    Parameters
    ----------
    filled : Raster
        Void-filled SRTM mosaic, WGS84, covering ``params.routing_bounds``.
    city : GeoDataFrame
        The city's extent or boundary (any CRS; dissolved into one polygon).
    params : CorridorParams
    river_points : GeoDataFrame, optional
        Named points on rivers (``river_id``, ``name_en``): a corridor takes
        the names of the points inside its catchment.

    Returns
    -------
    Corridors
    """
    window = clip_to_bounds(filled, params.routing_bounds)
    if np.isnan(window.data).any():
        raise DemError("the routing window has unfilled voids; fill them first (terrain.fill_voids)")
    flow = route_flow(window)
    city_shape = shapely.union_all(city.to_crs(EXPORT_CRS).geometry.values)
    in_city = _rasterize(city_shape, window)
    corridor_streams = _corridor_streams(flow, window, in_city, params)
    outlets = _outlets(flow, corridor_streams)
    basins = flow.flwdir.basins(idxs=outlets, ids=np.arange(1, outlets.size + 1, dtype=np.uint32))
    stems = _main_stems(flow, corridor_streams, in_city, outlets)
    kept = stems[stems["length_in_city_km"] * 1000.0 >= params.min_length_in_city_m]
    # Numbered from west to east by where they leave the city.
    kept = kept.assign(outlet_x=[line.coords[-1][0] for line in kept["geometry"]]).sort_values("outlet_x")
    kept = kept.drop(columns=["outlet_x"]).reset_index(drop=True)
    floor = _valley_floor(flow, window, corridor_streams, basins, params)
    floor[~np.isin(floor, kept["label"].to_numpy())] = 0
    kept["id"] = [f"corridor_{i + 1:02d}" for i in range(len(kept))]
    names = _names(basins, window, kept, river_points)
    frame, meets = _measure(floor, window, city_shape, kept, params)
    names = names.set_index("id")
    for column in ("river_ids", "name_en"):
        frame[column] = frame["id"].map(names[column]).astype(object)
    frame = frame[["id", "name_en", "river_ids", "area_ha", "area_in_city_ha", "area_in_city_steep_ha",
                   "area_in_city_upper_ha", "outlet_upstream_area_km2", "basis", "source", "geometry"]]
    streams = kept[["id", *_STEM_COLUMNS[1:]]].assign(basis="derived")
    streams = gpd.GeoDataFrame(streams, geometry="geometry", crs=EXPORT_CRS)
    streams = streams.to_crs(WORKING_CRS)
    return Corridors(frame=frame, streams=streams.reset_index(drop=True), meets=meets,
                     summary=corridor_summary(frame, city, params))


def _rasterize(geometry: shapely.Geometry, grid: Raster) -> np.ndarray:
    return rasterio.features.rasterize([(geometry, 1)], out_shape=grid.shape, transform=grid.transform,
                                       fill=0, dtype=np.uint8).astype(bool)


def _corridor_streams(flow: FlowModel, window: Raster, in_city: np.ndarray, params: CorridorParams) -> np.ndarray:
    """Stream cells downstream of mountain streams and upstream of (or in) the city."""
    streams = flow.upstream_area_km2 > params.stream_threshold_km2
    mountain = streams & (window.data >= params.mountain_elevation_m)
    from_mountain = flow.flwdir.accuflux(mountain.astype(np.float32)) > 0
    seeds = (streams & in_city).astype(np.int32)
    to_city = flow.flwdir.fillnodata(seeds, nodata=0, direction="up") > 0
    return streams & from_mountain & to_city


def _outlets(flow: FlowModel, drains: np.ndarray) -> np.ndarray:
    """Drain cells whose downstream cell is not a drain (or that drain to themselves)."""
    flat = drains.ravel()
    downstream = flow.flwdir.idxs_ds
    own = np.arange(flat.size)
    valid = (downstream >= 0) & (downstream < flat.size)
    below = np.where(valid, downstream, own)
    return np.flatnonzero(flat & (~flat[below] | (below == own)))


def _cell_metres(window: Raster) -> tuple[float, float]:
    """(height, width) of a cell in metres at the window's mid-latitude (WGS84 ellipsoid)."""
    geod = Geod(ellps="WGS84")
    west, south, east, north = window.bounds
    mid = (south + north) / 2
    _, _, height = geod.inv(west, mid, west, mid + abs(window.transform.e))
    _, _, width = geod.inv(west, mid, west + abs(window.transform.a), mid)
    return height, width


def _valley_floor(flow: FlowModel, window: Raster, drains: np.ndarray, basins: np.ndarray,
                  params: CorridorParams) -> np.ndarray:
    """Corridor label of every valley-floor cell (0 elsewhere)."""
    hand = flow.flwdir.hand(drain=drains, elevtn=window.data.astype(np.float32))
    distance = ndimage.distance_transform_edt(~drains, sampling=_cell_metres(window))
    floor = (basins > 0) & (hand <= params.hand_max_m) & (distance <= params.half_width_m)
    return np.where(floor, basins, 0).astype(np.int32)


def _main_stems(flow: FlowModel, drains: np.ndarray, in_city: np.ndarray, outlets: np.ndarray) -> pd.DataFrame:
    """Main stem of each corridor: up from its outlet along the largest upstream area."""
    upstream_main = flow.flwdir.main_upstream(uparea=flow.upstream_area_km2)
    elevation = flow.grid.data.ravel()
    flat_drains, flat_city = drains.ravel(), in_city.ravel()
    geod = Geod(ellps="WGS84")
    rows = []
    for label, outlet in enumerate(outlets, start=1):
        path = [int(outlet)]
        while 0 <= (nxt := int(upstream_main[path[-1]])) < flat_drains.size and flat_drains[nxt] \
                and nxt != path[-1]:
            path.append(nxt)
        cells = np.asarray(path[::-1])
        rows_, cols_ = np.divmod(cells, flow.grid.shape[1])
        xs, ys = flow.grid.transform @ (cols_ + 0.5, rows_ + 0.5)
        steps = np.asarray(geod.inv(xs[:-1], ys[:-1], xs[1:], ys[1:])[2]) if cells.size > 1 else np.zeros(0)
        city_steps = flat_city[cells[:-1]] & flat_city[cells[1:]]
        entry = np.flatnonzero(flat_city[cells])
        rows.append({
            "label": label,
            "source_elevation_m": float(elevation[cells[0]]),
            "city_entry_elevation_m": float(elevation[cells[entry[0]]]) if entry.size else np.nan,
            "outlet_elevation_m": float(elevation[cells[-1]]),
            "outlet_upstream_area_km2": float(flow.upstream_area_km2.ravel()[cells[-1]]),
            "length_km": float(steps.sum()) / 1000.0,
            "length_in_city_km": float(steps[city_steps].sum()) / 1000.0,
            "geometry": LineString(np.column_stack([xs, ys])) if cells.size > 1 else None,
        })
    return pd.DataFrame(rows, columns=_STEM_COLUMNS)


def _names(basins: np.ndarray, window: Raster, kept: pd.DataFrame,
           river_points: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """River ids and names of the points lying in each corridor's catchment."""
    ids = dict(zip(kept["label"], kept["id"], strict=True))
    found: dict[str, dict[str, str]] = {i: {} for i in kept["id"]}
    if river_points is not None and len(river_points):
        points = river_points.to_crs(EXPORT_CRS)
        cols, rows = ~window.transform @ (points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
        for row, col, river, name in zip(np.floor(rows).astype(int), np.floor(cols).astype(int),
                                         points["river_id"], points["name_en"], strict=True):
            inside = 0 <= row < basins.shape[0] and 0 <= col < basins.shape[1]
            label = int(basins[row, col]) if inside else 0
            if label in ids:
                found[ids[label]].setdefault(str(river), str(name))
    return pd.DataFrame({
        "id": list(found),
        "river_ids": [" + ".join(sorted(v)) for v in found.values()],
        "name_en": [" + ".join(v[k] for k in sorted(v)) or "unnamed" for v in found.values()],
    })


def _measure(floor: np.ndarray, window: Raster, city_shape: shapely.Geometry, kept: pd.DataFrame,
             params: CorridorParams) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Corridor polygons and areas on the UTM grid, and where they meet steep or upper city."""
    labels_float = Raster(np.where(floor > 0, floor, np.nan).astype(np.float32), window.transform, window.crs)
    labels = project_raster(labels_float, resolution_m=params.resolution_m, resampling=Resampling.nearest)
    dem = project_raster(window, resolution_m=params.resolution_m)
    slope_deg = slope(dem).data
    in_city = _rasterize(gpd.GeoSeries([city_shape], crs=EXPORT_CRS).to_crs(WORKING_CRS).iloc[0], labels)
    names = dict(zip(kept["label"].astype(float), kept["id"], strict=True))
    frame = tc.class_polygons(labels, names, layer="corridor").rename(columns={"class": "id"})
    per_cell = tc.cell_area_ha(labels)
    with np.errstate(invalid="ignore"):
        steep = in_city & (slope_deg > params.steep_slope_deg)
        upper = in_city & (dem.data > params.upper_city_elevation_m)
    for column, mask in (("area_in_city_ha", in_city), ("area_in_city_steep_ha", steep),
                         ("area_in_city_upper_ha", upper)):
        counts = {names[c]: float(np.count_nonzero((labels.data == c) & mask)) * per_cell for c in names}
        frame[column] = frame["id"].map(counts)
    frame["outlet_upstream_area_km2"] = frame["id"].map(dict(zip(kept["id"], kept["outlet_upstream_area_km2"],
                                                                 strict=True)))
    frame["basis"] = "derived"
    frame["source"] = _SOURCE
    meet_codes = np.where(steep, 1, 0) + np.where(upper, 2, 0)
    meets = _meet_polygons(labels, meet_codes, names)
    return frame.drop(columns=["layer"]), meets


def _meet_polygons(labels: Raster, meet_codes: np.ndarray, names: dict[float, str]) -> gpd.GeoDataFrame:
    kinds = {1: "steep", 2: "upper", 3: "steep and upper"}
    combined = np.where((meet_codes > 0) & ~np.isnan(labels.data), labels.data * 4 + meet_codes, np.nan)
    classes = {label * 4 + code: f"{names[label]}:{kind}" for label in names for code, kind in kinds.items()}
    polygons = tc.class_polygons(Raster(combined.astype(np.float32), labels.transform, labels.crs), classes,
                                 layer="meets")
    split = polygons["class"].str.split(":", expand=True) if len(polygons) else pd.DataFrame(columns=[0, 1])
    return gpd.GeoDataFrame({"id": polygons["class"].to_numpy(dtype=object),
                             "corridor_id": split[0].to_numpy(), "meets": split[1].to_numpy(),
                             "area_ha": polygons["area_ha"].to_numpy(), "basis": "derived"},
                            geometry=polygons.geometry.to_numpy(), crs=labels.crs)


def corridor_summary(frame: gpd.GeoDataFrame, city: gpd.GeoDataFrame, params: CorridorParams) -> pd.DataFrame:
    """The corridors against the green-space target: tidy rows ``quantity``, ``value``, ``unit``, ``basis``, ``source``.

    Parameters
    ----------
    frame : GeoDataFrame
        Corridors (:attr:`Corridors.frame`, or the ``air_corridors`` layer).
    city : GeoDataFrame
        The Almaty extent they were measured against.
    params : CorridorParams
    """
    inside = float(frame["area_in_city_ha"].sum())
    extent_ha = float(area_ha(city).sum())
    seed = "seed 004 (BAQ.KZ, 2026-01-29): Almaty general plan"
    rows = [
        ("Almaty extent used", extent_ha, "ha", str(city["basis"].iloc[0]) if "basis" in city else "published",
         str(city["method"].iloc[0]) if "method" in city else "boundary given"),
        ("Almaty area, published", params.published_city_area_km2 * 100.0, "ha", "published",
         "Wikipedia Almaty infobox (682 km2)"),
        ("candidate corridors", float(len(frame)), "count", "derived", _SOURCE),
        ("corridor valley floor inside Almaty", inside, "ha", "derived", _SOURCE),
        ("of which on steep slopes", float(frame["area_in_city_steep_ha"].sum()), "ha", "derived",
         f"slope > {params.steep_slope_deg:g} deg"),
        ("of which in the upper city", float(frame["area_in_city_upper_ha"].sum()), "ha", "derived",
         f"above {params.upper_city_elevation_m:g} m"),
        ("green space target", params.green_target_ha, "ha", "target", seed),
        ("corridor floor inside Almaty / green target", inside / params.green_target_ha, "ratio", "derived", ""),
        ("corridor floor share of the Almaty extent", 100.0 * inside / extent_ha if extent_ha else 0.0, "%",
         "derived", ""),
        ("stream threshold", params.stream_threshold_km2, "km2", "assumed", "mountain.corridors"),
        ("valley floor height above stream", params.hand_max_m, "m", "assumed", "mountain.corridors"),
        ("valley floor half-width", params.half_width_m, "m", "assumed", "mountain.corridors"),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value", "unit", "basis", "source"])
