"""The Almaty mountain cluster: resort positions, the study window and its terrain classes.

The published plan (seed 004, 2026-01-29) links the Shymbulak and Oi-Karagai
resorts through the Medeu base station. This module places the three from an
editable table (``data/mountain_places.csv``; every position carries its
source and quality flag), cuts a study window around them from the
void-filled SRTM3 mosaic onto the UTM 43N grid, and classifies its terrain:
elevation bands, ski-terrain slope classes, aspect, avalanche-prone and
snow-holding slopes, with the area of each class in hectares.

Lift lines are in :mod:`alatau_geo.analysis.lift_lines`, the run-length and
visitor capacity check in :mod:`alatau_geo.analysis.ski_capacity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.warp

from alatau_geo.analysis import terrain_classes as tc
from alatau_geo.analysis.lift_lines import lift_lines
from alatau_geo.analysis.ski_capacity import SuitableTerrain, capacity_check, suitable_terrain
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.errors import DemError, TableError
from alatau_geo.core.raster import Raster
from alatau_geo.plan.mountain_params import MountainParams, SkiTerrainParams
from alatau_geo.reference.gazetteer import packaged_table, read_table
from alatau_geo.reference.terrain import clip_to_bounds, project_raster, sample, slope

MOUNTAIN_PLACE_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "lon", "lat", "position_quality",
                          "source", "position_basis", "elevation_m", "elevation_source", "river_id", "note")
POSITION_BASES = ("published", "derived", "assumed")
STATION_KINDS = ("base_station", "resort")
TERRAIN_SOURCE = "NASA SRTM3 (public domain), void-filled, bilinear to the UTM 43N grid; Horn (1981) gradient"


@dataclass(frozen=True)
class MountainTerrain:
    """Terrain of the study window.

    Attributes
    ----------
    elevation, slope, aspect : Raster
        Metres, degrees, degrees clockwise from north (UTM 43N).
    classes : dict of str to Raster
        Class-code rasters: ``elevation_band`` (lower band edge, m),
        ``slope_class`` and ``aspect_class`` (codes of
        :data:`~alatau_geo.analysis.terrain_classes.SLOPE_CLASSES` and
        ``ASPECT_CLASSES``), ``avalanche_prone`` and ``snow_holding`` (1 = yes, 0 = no).
    table : DataFrame
        Tidy areas: ``layer``, ``class``, ``area_ha``, ``share_pct``, ``basis``, ``source``.
    polygons : GeoDataFrame
        One polygon per class (the "yes" class of the two flags), UTM 43N:
        ``id`` (``layer:class``), ``layer``, ``class``, ``definition``,
        ``area_ha``, ``basis``, ``source``.
    """

    elevation: Raster
    slope: Raster
    aspect: Raster
    classes: dict[str, Raster]
    table: pd.DataFrame
    polygons: gpd.GeoDataFrame


def read_mountain_places(path: Path | None = None) -> pd.DataFrame:
    """Read and check the mountain places table (the packaged one by default).

    Besides the gazetteer checks (see :func:`alatau_geo.reference.gazetteer.read_table`),
    ``position_basis`` must be published (a named source gives the position),
    derived or assumed (placed by hand or from general knowledge),
    ``elevation_m`` must be empty or a number, and ids unique.

    Raises
    ------
    TableError
        One line naming the file, the row and the problem.
    """
    path = Path(path) if path is not None else packaged_table("mountain_places.csv")
    table = read_table(path, columns=MOUNTAIN_PLACE_COLUMNS, key="id")
    elevation = pd.to_numeric(table["elevation_m"].str.strip().replace("", np.nan), errors="coerce")
    bad = elevation.isna() & (table["elevation_m"].str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise TableError(f"{path}: line {row + 2} (id={table['id'].iloc[row]}): 'elevation_m' must be a number "
                         "in metres or empty")
    unknown = ~table["position_basis"].isin(POSITION_BASES)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise TableError(f"{path}: line {row + 2} (id={table['id'].iloc[row]}): 'position_basis' must be one of "
                         f"{', '.join(POSITION_BASES)}")
    duplicated = table["id"][table["id"].duplicated()]
    if not duplicated.empty:
        raise TableError(f"{path}: duplicate place id {duplicated.iloc[0]!r}")
    return table.assign(elevation_m=elevation.astype(float))


def mountain_places(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """The checked table as points in UTM 43N.

    Columns: the table's, with ``basis`` (the position's basis),
    ``published_elevation_m`` (NaN where none is published) and
    ``elevation_basis`` (``published`` or empty); ``lon``/``lat`` become the geometry.
    """
    frame = gpd.GeoDataFrame(
        table.drop(columns=["lon", "lat", "elevation_m"]).assign(
            basis=table["position_basis"].to_numpy(),
            published_elevation_m=table["elevation_m"].to_numpy(),
            elevation_basis=np.where(table["elevation_m"].notna(), "published", ""),
        ),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=EXPORT_CRS,
    ).to_crs(WORKING_CRS)
    return frame.sort_values("id").reset_index(drop=True)


def stations(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The base station and resorts (rows whose ``kind`` is in :data:`STATION_KINDS`)."""
    return places[places["kind"].isin(STATION_KINDS)].reset_index(drop=True)


def study_window(points: gpd.GeoDataFrame, *, buffer_m: float) -> tuple[float, float, float, float]:
    """Box (west, south, east, north) around `points`, widened by `buffer_m`, in their CRS (metres).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1000, 500)], crs=WORKING_CRS)
    >>> study_window(pts, buffer_m=100)
    (-100.0, -100.0, 1100.0, 600.0)
    """
    west, south, east, north = (float(v) for v in points.total_bounds)
    return (west - buffer_m, south - buffer_m, east + buffer_m, north + buffer_m)


def window_dem(filled: Raster, bounds: tuple[float, float, float, float], *, resolution_m: float) -> Raster:
    """The void-filled WGS84 mosaic cut to a UTM 43N window and projected (bilinear) onto its grid.

    Parameters
    ----------
    filled : Raster
        Void-filled SRTM mosaic, WGS84.
    bounds : (west, south, east, north)
        Window in UTM 43N metres.
    resolution_m : float
        Cell size, metres; the grid is aligned to whole multiples of it.

    Raises
    ------
    DemError
        If the window does not overlap the mosaic.
    """
    margin = 3 * abs(filled.transform.a)
    west, south, east, north = rasterio.warp.transform_bounds(WORKING_CRS, filled.crs, *bounds, densify_pts=21)
    degrees = clip_to_bounds(filled, (west - margin, south - margin, east + margin, north + margin))
    projected = project_raster(degrees, resolution_m=resolution_m, crs=WORKING_CRS)
    return clip_to_bounds(projected, bounds)


def station_heights(dem: Raster, places: gpd.GeoDataFrame) -> pd.DataFrame:
    """DEM height at each place beside its published elevation.

    Returns
    -------
    DataFrame
        Indexed by ``id``: ``dem_elevation_m`` (bilinear, derived),
        ``published_elevation_m`` and ``difference_m`` (DEM minus published).
    """
    heights = sample(dem, places.geometry.x.to_numpy(), places.geometry.y.to_numpy())
    frame = pd.DataFrame({
        "id": places["id"].to_numpy(),
        "dem_elevation_m": heights,
        "published_elevation_m": places["published_elevation_m"].to_numpy(dtype=float),
    }).set_index("id")
    frame["difference_m"] = frame["dem_elevation_m"] - frame["published_elevation_m"]
    return frame


def classify_terrain(dem: Raster, params: SkiTerrainParams) -> MountainTerrain:
    """Elevation bands, slope, aspect, avalanche-prone and snow-holding classes, with areas.

    Parameters
    ----------
    dem : Raster
        Elevation in metres on a projected grid (see :func:`window_dem`).
    params : SkiTerrainParams

    Returns
    -------
    MountainTerrain
        Every area is derived from the DEM (``basis`` = ``derived``). The
        outer ring of cells, where the 3 x 3 gradient has no neighbours, is
        left unclassified (NaN).
    """
    if np.isnan(dem.data).all():
        raise DemError("the study window holds no DEM values")
    # The outer ring of cells lacks neighbours (the 3 x 3 kernel pads it), so it is left unclassified.
    slope_deg = _without_edge(slope(dem))
    aspect_deg = _without_edge(tc.aspect(dem))
    breaks = params.slope_breaks_deg
    band = _without_edge(tc.elevation_bands(dem, band_m=params.elevation_band_m))
    low, high = params.avalanche_slope_deg
    avalanche = (slope_deg.data >= low) & (slope_deg.data < high)
    aspect_codes = tc.aspect_classes(aspect_deg, slope_deg, flat_below_deg=breaks[0])
    shaded = tc.in_sector(aspect_deg.data, *params.snow_holding_aspect_deg) & (aspect_codes.data > 0)
    valid = ~np.isnan(slope_deg.data)
    classes = {
        "elevation_band": band,
        "slope_class": tc.slope_classes(slope_deg, breaks_deg=breaks),
        "aspect_class": aspect_codes,
        "avalanche_prone": _flag(avalanche, valid, dem),
        "snow_holding": _flag(shaded, valid, dem),
    }
    labels, definitions = _class_labels(band, params)
    table = pd.concat([tc.class_area_table(classes[name], labels[name], layer=name) for name in classes],
                      ignore_index=True)
    table.insert(2, "definition", [definitions[layer][name] for layer, name in zip(table["layer"], table["class"],
                                                                                   strict=True)])
    table["basis"] = "derived"
    table["source"] = TERRAIN_SOURCE
    shown = {name: labels[name] if name in ("elevation_band", "slope_class", "aspect_class") else {1.0: "yes"}
             for name in labels}
    polygons = pd.concat([tc.class_polygons(classes[name], shown[name], layer=name) for name in classes],
                         ignore_index=True)
    polygons = gpd.GeoDataFrame(polygons, geometry="geometry", crs=dem.crs)
    polygons.insert(0, "id", [f"{layer}:{name}" for layer, name in zip(polygons["layer"], polygons["class"],
                                                                       strict=True)])
    polygons.insert(3, "definition", [definitions[layer][name] for layer, name in
                                      zip(polygons["layer"], polygons["class"], strict=True)])
    polygons.insert(5, "basis", "derived")
    polygons.insert(6, "source", TERRAIN_SOURCE)
    return MountainTerrain(dem, slope_deg, aspect_deg, classes, table, polygons)


@dataclass(frozen=True)
class MountainCluster:
    """Everything the mountain-cluster analysis derives (see :func:`analyse_cluster`).

    Attributes
    ----------
    stations : GeoDataFrame
        Base station and resorts, UTM 43N, with ``dem_elevation_m`` beside ``published_elevation_m``.
    terrain : MountainTerrain
    lines : GeoDataFrame
        Candidate lift lines with profile attributes (:func:`~alatau_geo.analysis.lift_lines.lift_lines`).
    profiles : DataFrame
        Their tidy elevation profiles.
    suitable : SuitableTerrain
        Terrain that can carry runs.
    capacity : DataFrame
        The capacity check (:func:`~alatau_geo.analysis.ski_capacity.capacity_check`).
    """

    stations: gpd.GeoDataFrame
    terrain: MountainTerrain
    lines: gpd.GeoDataFrame
    profiles: pd.DataFrame
    suitable: SuitableTerrain
    capacity: pd.DataFrame


def analyse_cluster(filled: Raster, places: gpd.GeoDataFrame, params: MountainParams) -> MountainCluster:
    """The mountain-cluster analysis from the void-filled mosaic and the places.

    Parameters
    ----------
    filled : Raster
        Void-filled SRTM mosaic, WGS84, covering the resorts and the window around them.
    places : GeoDataFrame
        From :func:`mountain_places`.
    params : MountainParams
    """
    resorts = stations(places)
    dem = window_dem(filled, study_window(resorts, buffer_m=params.terrain.window_buffer_m),
                     resolution_m=params.terrain.resolution_m)
    heights = station_heights(dem, resorts)
    resorts = resorts.assign(dem_elevation_m=heights["dem_elevation_m"].to_numpy())
    terrain = classify_terrain(dem, params.terrain)
    lines, profiles = lift_lines(dem, resorts, params.lifts)
    cap = params.capacity
    suitable = suitable_terrain(dem, terrain.slope, slope_range_deg=cap.run_slope_deg,
                                elevation_range_m=cap.run_elevation_m, min_patch_ha=cap.min_patch_ha)
    return MountainCluster(resorts, terrain, lines, profiles, suitable, capacity_check(suitable, cap))


def _without_edge(raster: Raster) -> Raster:
    data = raster.data.copy()
    data[[0, -1], :] = np.nan
    data[:, [0, -1]] = np.nan
    return Raster(data, raster.transform, raster.crs)


def _flag(values: np.ndarray, valid: np.ndarray, like: Raster) -> Raster:
    codes = np.where(valid, values.astype(np.float32), np.nan).astype(np.float32)
    return Raster(codes, like.transform, like.crs)


def _class_labels(band: Raster, params: SkiTerrainParams) -> tuple[dict[str, dict[float, str]],
                                                                   dict[str, dict[str, str]]]:
    """Class names by code, and a definition of each class name, for every layer."""
    edges = (None, *params.slope_breaks_deg, None)
    step = params.elevation_band_m
    lows = np.unique(band.data[~np.isnan(band.data)])
    low, high = params.avalanche_slope_deg
    first, last = params.snow_holding_aspect_deg
    sector = {"flat": f"slope < {edges[1]:g} deg"} | {
        name: f"{(45 * i - 22.5) % 360:g}-{45 * i + 22.5:g} deg" for i, name in enumerate(tc.ASPECT_CLASSES[1:])}
    labels = {
        "elevation_band": {float(v): f"{v:.0f}-{v + step:.0f} m" for v in lows},
        "slope_class": {float(code): name for code, name in enumerate(tc.SLOPE_CLASSES)},
        "aspect_class": {float(code): name for code, name in enumerate(tc.ASPECT_CLASSES)},
        "avalanche_prone": {0.0: "no", 1.0: "yes"},
        "snow_holding": {0.0: "no", 1.0: "yes"},
    }
    definitions = {
        "elevation_band": {name: f"elevation {name}" for name in labels["elevation_band"].values()},
        "slope_class": {name: f"slope {_range(edges[code], edges[code + 1], 'deg')}"
                        for code, name in enumerate(tc.SLOPE_CLASSES)},
        "aspect_class": {name: f"facing {sector[name]}" if name != "flat" else sector[name]
                         for name in tc.ASPECT_CLASSES},
        "avalanche_prone": {"yes": f"slope {low:g}-{high:g} deg", "no": f"slope outside {low:g}-{high:g} deg"},
        "snow_holding": {"yes": f"facing {first:g}-{last:g} deg, not flat", "no": "other aspects or flat"},
    }
    return labels, definitions


def _range(low: float | None, high: float | None, unit: str) -> str:
    if low is None:
        return f"< {high:g} {unit}"
    if high is None:
        return f">= {low:g} {unit}"
    return f"{low:g}-{high:g} {unit}"
