"""Synthetic reference layers and DEM for the map tests.

Not a conftest that pytest loads by itself (the lead owns tests/conftest.py):
test modules import the fixtures they use from here.

The layers imitate the real ones around Kapchagay reservoir (names,
columns, geometry types, a reservoir with an island hole) and include the
hostile values the maps must show as text: a place named
``<script>alert(1)</script>``, a Kazakh stream name with an ``<img onerror>``,
a route number with markup. The plan layers (:func:`plan_layers`) add
engineering objects, lines and investment projects, one project again named
``<script>alert(1)</script>`` with an ``<img onerror>`` company.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine
from scipy import ndimage
from shapely.geometry import LineString, Point, Polygon, box

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.maps.i18n import translate
from alatau_geo.maps.rasters import ReliefImages, relief_images

XSS_NAME = "<script>alert(1)</script>"
XSS_IMG = '<img src=x onerror="alert(2)">'
NODATA = -32768
# Names the maps show the same in every language: sources, and the districts' and Medeu's names in the tables.
SAME_IN_EVERY_LANGUAGE = ("SRTM", "GeoNames", "OpenStreetMap", "Gate", "Golden", "Green", "Growing", "Medeu")


def untranslated(texts: Iterable[str], *, names: Iterable[str] = ()) -> list[str]:
    """The texts of which an English word is left in both the Kazakh and the Russian translation.

    Words of :data:`SAME_IN_EVERY_LANGUAGE` and of `names` (names from the plan) do not count.
    """
    kept = (*SAME_IN_EVERY_LANGUAGE, *names)

    def english_words(text: str, language: str) -> set[str]:
        translated = translate(text, language)
        for name in kept:
            translated = translated.replace(name, "")
        return set(re.findall("[A-Za-z]{3,}", translated))

    return sorted({text for text in texts if english_words(text, "kk") & english_words(text, "ru")})


def _layer(name: str, title: str, rows: list[dict], *, quality: str = "derived") -> Layer:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=EXPORT_CRS).to_crs(WORKING_CRS)
    return Layer(
        name, frame, Provenance(source="synthetic test data", method="hand-made", quality=quality), title
    )


def _wavy_ring(center: tuple[float, float], radii: tuple[float, float], *, points: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
    wobble = 1 + 0.06 * np.sin(7 * angles) + 0.01 * rng.standard_normal(points)
    xs = center[0] + radii[0] * np.cos(angles) * wobble
    ys = center[1] + radii[1] * np.sin(angles) * wobble
    return list(zip(xs, ys, strict=True))


def reference_layers() -> LayerSet:
    """The seven reference layers, small and synthetic, in EPSG:32643."""
    study = _layer(
        "study_area",
        "Study area",
        [{"id": 1, "name_en": "Alatau plain", "geometry": box(76.55, 43.10, 78.00, 44.00)}],
    )
    island = _wavy_ring((77.45, 43.86), (0.03, 0.012), points=40, seed=2)
    lake = Polygon(_wavy_ring((77.40, 43.86), (0.38, 0.075), points=900, seed=1), [island])
    reservoir = _layer(
        "reservoir",
        "Kapchagay reservoir",
        [
            {
                "id": 1,
                "name_en": "Kapchagay Reservoir",
                "name_kk": "Қапшағай су қоймасы",
                "name_ru": "Капчагайское водохранилище",
                "level_m": 475,
                "area_km2": 1847.3,
                "geometry": lake,
            }
        ],
    )
    lake_utm = reservoir.frame.geometry.iloc[0]
    zone = (
        gpd.GeoSeries([lake_utm.buffer(500).difference(lake_utm)], crs=WORKING_CRS).to_crs(EXPORT_CRS).iloc[0]
    )
    strip = (
        gpd.GeoSeries([lake_utm.buffer(100).difference(lake_utm)], crs=WORKING_CRS).to_crs(EXPORT_CRS).iloc[0]
    )
    zone_layer = _layer(
        "water_protection_zone",
        "Water protection zone",
        [{"id": 1, "water_body": "Kapchagay Reservoir", "width_m": 500.0, "geometry": zone}],
    )
    strip_layer = _layer(
        "water_protection_strip",
        "Water protection strip",
        [{"id": 1, "water_body": "Kapchagay Reservoir", "width_m": 100.0, "geometry": strip}],
    )
    streams = _layer(
        "streams",
        "Streams",
        [
            {
                "id": 1,
                "name_en": "Kaskelen",
                "name_kk": "Қаскелең",
                "name_ru": "Каскелен",
                "upstream_area_km2": 3520.4,
                "length_km": 64.2,
                "geometry": LineString([(76.70, 43.12), (76.78, 43.40), (76.92, 43.62), (77.05, 43.80)]),
            },
            {
                "id": 2,
                "name_en": "Talgar",
                "name_kk": XSS_IMG,
                "name_ru": "Талгар",
                "upstream_area_km2": 1210.0,
                "length_km": 48.9,
                "geometry": LineString([(77.35, 43.15), (77.33, 43.45), (77.30, 43.78)]),
            },
            {
                "id": 3,
                "name_en": None,
                "name_kk": None,
                "name_ru": None,
                "upstream_area_km2": 104.7,
                "length_km": 12.3,
                "geometry": LineString([(77.60, 43.45), (77.62, 43.60), (77.64, 43.79)]),
            },
        ],
    )
    places = _layer(
        "places",
        "Places",
        [
            {
                "id": "p1",
                "name_en": "Almaty",
                "name_kk": "Алматы",
                "name_ru": "Алматы",
                "kind": "city",
                "position_quality": "published",
                "elevation_m": 786,
                "geometry": Point(76.95, 43.24),
            },
            {
                "id": "p2",
                "name_en": "Konaev",
                "name_kk": "Қонаев",
                "name_ru": "Конаев",
                "kind": "town",
                "position_quality": "published",
                "elevation_m": 1480,
                "geometry": Point(77.07, 43.87),
            },
            {
                "id": "p3",
                "name_en": "Baiserke",
                "name_kk": "Байсерке",
                "name_ru": "Байсерке",
                "kind": "village",
                "position_quality": "approximate",
                "elevation_m": 651,
                "geometry": Point(77.05, 43.47),
            },
            {
                "id": "p4",
                "name_en": XSS_NAME,
                "name_kk": None,
                "name_ru": None,
                "kind": "village",
                "position_quality": "approximate",
                "elevation_m": 700,
                "geometry": Point(77.50, 43.55),
            },
            {
                "id": "p5",
                "name_en": "Zhetygen",
                "name_kk": "Жетіген",
                "name_ru": "Жетыген",
                "kind": "station",
                "position_quality": "published",
                "elevation_m": 622,
                "geometry": Point(77.28, 43.70),
            },
        ],
        quality="approximate",
    )
    corridors = _layer(
        "corridors",
        "Transport corridors",
        [
            {
                "id": 1,
                "name_en": "Almaty–Konaev highway",
                "name_kk": None,
                "name_ru": "Трасса Алматы – Конаев",
                "kind": "highway",
                "ref": "A-3",
                "schematic": False,
                "geometry": LineString([(76.95, 43.26), (77.00, 43.50), (77.07, 43.85)]),
            },
            {
                "id": 2,
                "name_en": "Turksib railway",
                "name_kk": None,
                "name_ru": "Турксиб",
                "kind": "railway",
                "ref": XSS_NAME,
                "schematic": False,
                "geometry": LineString([(76.90, 43.30), (77.15, 43.55), (77.28, 43.70), (77.60, 43.98)]),
            },
            {
                "id": 3,
                "name_en": "Big Almaty Ring Road",
                "name_kk": None,
                "name_ru": "БАКАД",
                "kind": "highway",
                "ref": None,
                "schematic": True,
                "geometry": LineString([(76.75, 43.30), (76.85, 43.45), (77.10, 43.42), (77.25, 43.30)]),
            },
        ],
        quality="approximate",
    )
    return LayerSet([study, zone_layer, strip_layer, reservoir, streams, places, corridors])


def _plan_row(row_id: str, name: str, kind: str, works: str, geometry: object, **extra: object) -> dict:
    return {
        "id": row_id,
        "name_en": name,
        "name_kk": None,
        "name_ru": None,
        "kind": kind,
        "works": works,
        "status": "planned",
        "broken_rules": "",
        "basis": "synthetic",
        **extra,
        "geometry": geometry,
    }


def plan_layers() -> LayerSet:
    """Synthetic ``infrastructure``, ``infrastructure_lines``, ``projects``, ``districts`` and ``city_boundary``.

    The objects crowd around (77.10 E, 43.50 N), so they cluster when the map
    opens; one substation is a reconstruction, one project breaks a rule.
    """
    infrastructure = _layer(
        "infrastructure",
        "Priority engineering objects",
        [
            _plan_row("ss_1", "Substation GT-1", "substation", "new", Point(77.100, 43.500)),
            _plan_row("ss_2", "Substation GT-2", "substation", "new", Point(77.104, 43.503)),
            _plan_row("ss_3", "Otegen Batyr substation", "substation", "reconstruction", Point(77.097, 43.497)),
            _plan_row("wi_1", "Water intake node", "water_intake", "new", Point(77.180, 43.560)),
            _plan_row("ww_1", "Wastewater plant <b>Gate</b>", "wastewater_plant", "reconstruction",
                      Point(77.020, 43.440)),
        ],
        quality="approximate",
    )
    lines = _layer(
        "infrastructure_lines",
        "Priority engineering lines",
        [
            _plan_row("gp_1", "Gas pipeline along the A3", "gas_pipeline", "new",
                      LineString([(77.00, 43.42), (77.05, 43.47), (77.10, 43.50)]), length_km=11.0),
            _plan_row("rd_1", "Road along the A3", "road", "reconstruction",
                      LineString([(77.00, 43.42), (77.05, 43.47), (77.10, 43.50), (77.18, 43.56)]),
                      length_km=19.5),
        ],
        quality="approximate",
    )
    projects = _layer(
        "projects",
        "Named investment projects",
        [
            {"id": "pepsico", "name_en": "PepsiCo production project", "name_kk": None, "name_ru": None,
             "company": "PepsiCo", "district": "gate", "sector": "food industry", "status": "under_way",
             "broken_rules": "", "geometry": Point(77.102, 43.498)},
            {"id": "rhenus", "name_en": "Rhenus Logistics hub", "name_kk": None, "name_ru": None,
             "company": "Rhenus Logistics", "district": "growing", "sector": "logistics", "status": "agreed",
             "broken_rules": "max_slope", "geometry": Point(77.106, 43.501)},
            {"id": "hostile", "name_en": XSS_NAME, "name_kk": None, "name_ru": None,
             "company": XSS_IMG, "district": None, "sector": "<i>unknown</i>", "status": "in_talks",
             "broken_rules": "", "geometry": Point(77.140, 43.530)},
            {"id": "campus", "name_en": "Academic campus", "name_kk": None, "name_ru": None,
             "company": "", "district": "golden", "sector": "science and education", "status": "planned",
             "broken_rules": "", "geometry": Point(77.060, 43.470)},
        ],
        quality="approximate",
    )
    districts = _layer(
        "districts",
        "Districts",
        [
            {"id": "gate", "name_en": "Gate", "area_ha": 4000.0, "geometry": box(77.08, 43.48, 77.13, 43.52)},
            {"id": "golden", "name_en": "Golden", "area_ha": 9000.0, "geometry": box(77.00, 43.42, 77.08, 43.48)},
        ],
        quality="approximate",
    )
    city = _layer(
        "city_boundary",
        "City boundary",
        [{"id": "alatau_city", "name_en": "Alatau City", "geometry": box(76.98, 43.40, 77.20, 43.58)}],
        quality="approximate",
    )
    return LayerSet([districts, city, infrastructure, lines, projects])


def write_dem(path: Path, *, cell_m: float = 90.0, seed: int = 7) -> Path:
    """A DEM GeoTIFF like ``layers/terrain_dem.tif`` over the study area.

    Mountains rise in the south to ~3,000 m, the plain falls gently north
    to the reservoir, flattened at 475 m, with multi-scale noise for texture
    and a block of nodata in the north-east corner.
    """
    west, south, east, north = (
        gpd.GeoSeries([box(76.55, 43.10, 78.00, 44.00)], crs=EXPORT_CRS).to_crs(WORKING_CRS).total_bounds
    )
    cols, rows = int((east - west) // cell_m), int((north - south) // cell_m)
    y = np.linspace(1.0, 0.0, rows)[:, None]  # 0 at the south edge, 1 at the north
    x = np.linspace(0.0, 1.0, cols)[None, :]
    rng = np.random.default_rng(seed)
    texture = np.zeros((rows, cols))
    for scale, amplitude in ((64, 40.0), (16, 12.0), (4, 4.0)):
        coarse = rng.standard_normal((rows // scale + 2, cols // scale + 2))
        texture += amplitude * ndimage.zoom(coarse, scale, order=1)[:rows, :cols]
    mountains = 2600.0 * np.clip(0.18 - y, 0, None) / 0.18 * (0.8 + 0.2 * np.sin(9 * x))
    elevation = 900.0 - 420.0 * y + mountains + texture
    elevation[(y > 0.78) & (y < 0.92) & (x > 0.25) & (x < 0.85)] = 475.0
    elevation = np.round(elevation).astype("int16")
    elevation[: rows // 12, -cols // 10 :] = NODATA
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "int16",
        "nodata": NODATA,
        "crs": WORKING_CRS.to_wkt(),
        "transform": Affine(cell_m, 0.0, west, 0.0, -cell_m, north),
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(elevation, 1)
    return path


@pytest.fixture(scope="session")
def layer_set() -> LayerSet:
    """The synthetic reference layers."""
    return reference_layers()


@pytest.fixture(scope="session")
def dem_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A coarse (450 m) synthetic DEM: fast for most tests."""
    return write_dem(tmp_path_factory.mktemp("dem") / "terrain_dem.tif", cell_m=450.0)


@pytest.fixture(scope="session")
def full_dem_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic DEM at the real 90 m cell size: for size and timing checks."""
    return write_dem(tmp_path_factory.mktemp("dem90") / "terrain_dem.tif", cell_m=90.0)


@pytest.fixture(scope="session")
def relief(dem_path: Path) -> ReliefImages:
    """The coarse DEM's relief images, rendered once."""
    return relief_images(dem_path)


@pytest.fixture(scope="session")
def full_relief(full_dem_path: Path) -> ReliefImages:
    """The 90 m DEM's relief images, rendered once: for size and timing checks."""
    return relief_images(full_dem_path)


@pytest.fixture(scope="session")
def plan_layer_set(layer_set: LayerSet) -> LayerSet:
    """The synthetic reference layers plus the plan layers of :func:`plan_layers`."""
    return LayerSet([*layer_set.values(), *plan_layers().values()])


# Synthetic analysis layers: travel speed over the synthetic network, km/h.
_SYNTHETIC_KMH = 30.0


def _analysis_layer(name: str, title: str, frame: gpd.GeoDataFrame) -> Layer:
    provenance = Provenance(source="synthetic test data", method="hand-made", quality="approximate")
    return Layer(name, frame.reset_index(drop=True), provenance, title)


def analysis_layers() -> LayerSet:
    """Synthetic ``coverage``, ``coverage_gaps``, ``service_areas`` and ``travel_time_nodes``.

    Built like the real ones over the facilities and city of :func:`plan_layers`
    (in EPSG:32643): coverage discs per kind, the city outside them, service
    areas as discs of 10, 20 and 30 minutes at 30 km/h, and travel-time nodes
    on a 1 km grid over the city. Node 1 is unreachable; node 2 is reached in
    exactly 10 minutes from a facility whose id is hostile markup.
    """
    plan = plan_layers()
    facilities = plan["infrastructure"].frame
    city = plan["city_boundary"].frame.geometry.iloc[0]
    radii = {"substation": 3000.0, "water_intake": 10000.0, "wastewater_plant": 5000.0}
    coverage_rows, gap_rows = [], []
    for kind, radius in radii.items():
        points = facilities[facilities["kind"] == kind]
        covered = points.geometry.buffer(radius).union_all()
        coverage_rows.append({"id": kind, "kind": kind, "radius_m": radius, "facility_count": len(points),
                              "facility_ids": ";".join(points["id"]), "area_ha": covered.area / 1e4,
                              "geometry": covered})
        gap = city.difference(covered)
        gap_rows.append({"id": kind, "kind": kind, "radius_m": radius, "area_ha": gap.area / 1e4,
                         "uncovered_pct": 100 * gap.area / city.area, "geometry": gap})
    metres_per_minute = _SYNTHETIC_KMH * 1000 / 60
    areas = [
        {"id": f"{row.id}-{minutes}min", "facility_id": row.id, "kind": row.kind, "minutes": float(minutes),
         "on_network": True, "connector_m": 50.0, "area_ha": 0.0, "reason": "",
         "geometry": row.geometry.buffer(minutes * metres_per_minute)}
        for row in facilities.itertuples()
        for minutes in (10, 20, 30)
    ]
    west, south, east, north = city.bounds
    xs, ys = np.meshgrid(np.arange(west + 500, east, 1000.0), np.arange(south + 500, north, 1000.0))
    nodes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs.ravel(), ys.ravel()), crs=WORKING_CRS)
    nearest = gpd.sjoin_nearest(nodes, facilities[["id", "geometry"]], distance_col="distance_m")
    nearest = nearest[~nearest.index.duplicated()]
    nodes["id"] = np.arange(1, len(nodes) + 1)
    nodes["travel_time_min"] = (nearest["distance_m"] / metres_per_minute).to_numpy()
    nodes["facility_id"] = nearest["id"].to_numpy().astype(object)
    nodes["distance_m"] = nearest["distance_m"].to_numpy()
    nodes["facility_by_distance"] = nodes["facility_id"]
    nodes["reachable"] = True
    nodes["reason"] = ""
    nodes.loc[0, ["travel_time_min", "distance_m"]] = np.nan
    nodes.loc[0, ["facility_id", "facility_by_distance"]] = None
    nodes.loc[0, ["reachable", "reason"]] = (False, "no facility reachable: this part of the network holds none")
    nodes.loc[1, ["travel_time_min", "facility_id"]] = (10.0, XSS_NAME)
    nodes = nodes[["id", "travel_time_min", "facility_id", "distance_m", "facility_by_distance", "reachable",
                   "reason", "geometry"]]
    return LayerSet([
        _analysis_layer("coverage", "Coverage", gpd.GeoDataFrame(coverage_rows, crs=WORKING_CRS)),
        _analysis_layer("coverage_gaps", "Coverage gaps", gpd.GeoDataFrame(gap_rows, crs=WORKING_CRS)),
        _analysis_layer("service_areas", "Service areas by travel time", gpd.GeoDataFrame(areas, crs=WORKING_CRS)),
        _analysis_layer("travel_time_nodes", "Travel time to the nearest facility", nodes),
    ])


@pytest.fixture(scope="session")
def proximity_layer_set(plan_layer_set: LayerSet) -> LayerSet:
    """The synthetic reference and plan layers plus the analysis layers of :func:`analysis_layers`."""
    return LayerSet([*plan_layer_set.values(), *analysis_layers().values()])
