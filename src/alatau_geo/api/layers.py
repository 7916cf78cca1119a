"""The API on a layers folder: build, areas, placement, maps, proximity and network."""



from __future__ import annotations

import logging
from pathlib import Path

import folium
import geopandas as gpd
import networkx as nx
import pandas as pd

from alatau_geo import maps
from alatau_geo.analysis import areas
from alatau_geo.analysis.outputs import ANALYSIS_LAYERS
from alatau_geo.analysis.scenarios import ObjectChange, ZoneDelta, object_changes, zone_deltas
from alatau_geo.api._shared import DEFAULT_LAYERS_DIR, MAP_KINDS, _plan, _suitability_result, elevation
from alatau_geo.core.layers import LayerSet
from alatau_geo.jobs import build as pipeline
from alatau_geo.jobs.generation import build_outputs
from alatau_geo.jobs.mountain import MOUNTAIN_DEM
from alatau_geo.maps.suitability import suitability_map
from alatau_geo.plan.config import Plan
from alatau_geo.plan.placement_report import placement_report as _placement_report

logger = logging.getLogger(__name__)


def build_layers(plan: Plan | str | Path | None = None, *, dem_dir: str | Path | None = None,
                 layers_dir: str | Path = DEFAULT_LAYERS_DIR, cache_dir: str | Path = "build/cache") -> LayerSet:
    """Build every layer and export it to `layers_dir`, as ``alatau-geo build`` does.

    With `dem_dir` the reference layers are rebuilt from the SRTM tiles;
    without it the committed DEM-derived layers in `layers_dir` are kept
    and the gazetteer, zones and placed objects are rebuilt from the plan.
    The folder is replaced whole, as one generation (see
    :mod:`alatau_geo.core.staging`); tiles with voids left after filling are
    logged as warnings.

    Parameters
    ----------
    plan : Plan, path or None
        The plan, a plan file, or None for the default plan.
    dem_dir : path, optional
        Folder of the SRTM3 ``.hgt.zip`` tiles.
    layers_dir : path
        Folder read and written (default ``layers``).
    cache_dir : path
        Working rasters (default ``build/cache``).

    Returns
    -------
    LayerSet
        In the working CRS (UTM 43N, metres).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> layers = ag.build_layers()  # doctest: +SKIP
    >>> sorted(layers)[:3]  # doctest: +SKIP
    ['city_boundary', 'corridors', 'districts']
    """
    plan = _plan(plan)
    layers_dir = Path(layers_dir)
    # One generation, as the command line writes it: staged beside the folder, swapped in whole.
    with build_outputs(layers_dir, None, on_message=logger.info) as outputs:
        if dem_dir is not None:
            outcome = pipeline.build_from_tiles(plan, dem_dir=Path(dem_dir), layers_dir=layers_dir,
                                                cache_dir=Path(cache_dir), out_dir=outputs.folder(layers_dir))
        else:
            outcome = pipeline.refresh_from_committed(plan, layers_dir=layers_dir, out_dir=outputs.folder(layers_dir))
        outputs.commit()
    for warning in outcome.warnings:
        logger.warning(warning)
    return outcome.layers


def area_table(layers: LayerSet, plan: Plan | str | Path | None = None, *,
               layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> pd.DataFrame:
    """The area table of the districts and the city (``alatau-geo report areas``).

    Parameters
    ----------
    layers : LayerSet
        With ``districts`` and ``city_boundary``.
    plan : Plan, path or None
        Supplies the buildable slope limit, degrees.
    layers_dir : path
        Where the working-grid DEM is (for slope).

    Returns
    -------
    DataFrame
        Per district and for the city: area, buildable area (land no hard
        constraint of the plan's suitability excludes) and SEZ overlap in ha,
        share of the city and difference from the published area in %,
        densities per ha, hectares of each suitability class and hazard band.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> table = ag.area_table(ag.read_layers("layers"))  # doctest: +SKIP
    >>> round(table.set_index("zone").loc["gate", "area_ha"], -2)  # doctest: +SKIP
    4000.0
    """
    return areas.zone_area_table(layers, _suitability_result(layers, _plan(plan), layers_dir=layers_dir))


def placement_report(layers: LayerSet, plan: Plan | str | Path | None = None, *,
                     layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> pd.DataFrame:
    """Every placement rule of every infrastructure object and project, and whether it holds.

    Returns
    -------
    DataFrame
        Columns layer, id, rule, ok, detail.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> report = ag.placement_report(ag.read_layers("layers"))  # doctest: +SKIP
    >>> report[~report["ok"]].groupby("rule").size()  # doctest: +SKIP
    """
    plan = _plan(plan)
    context = pipeline.placement_context(layers, plan, elevation=elevation(layers_dir))
    placed = [layers[name] for name in ("infrastructure", "infrastructure_lines", "projects") if name in layers]
    return _placement_report(placed, context)


def compare_plans(plan_a: Plan | str | Path, plan_b: Plan | str | Path, *,
                  layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> tuple[list[ZoneDelta], list[ObjectChange]]:
    """Zones and placed objects that differ between two plans (``alatau-geo diff``).

    Returns
    -------
    (list of ZoneDelta, list of ObjectChange)
        Zone area changes in ha; objects that moved or newly break a rule.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> zones, objects = ag.compare_plans("plan_a.toml", "plan_b.toml")  # doctest: +SKIP
    >>> [str(z) for z in zones if z.status == "changed"]  # doctest: +SKIP
    """
    dem = elevation(layers_dir)
    built = []
    for plan in (_plan(plan_a), _plan(plan_b)):
        reference = pipeline.committed_reference(plan, layers_dir=Path(layers_dir))
        built.append(pipeline.plan_layers(reference, plan, elevation=dem))
    return zone_deltas(built[0], built[1]), object_changes(built[0], built[1])


def show_map(layers: LayerSet, kind: str = "overview", *, layers_dir: str | Path = DEFAULT_LAYERS_DIR,
             offline: bool = False, plan: Plan | str | Path | None = None) -> folium.Map:
    """An interactive map of the layers; in a notebook it displays inline.

    Parameters
    ----------
    layers : LayerSet
    kind : {'overview', 'districts', 'infrastructure', 'proximity', 'terrain', 'population', 'mountain', \
            'suitability'}
    layers_dir : path
        Where the working-grid DEM is (relief and slope overlays).
    offline : bool
        Offer no online base map (the page loads nothing at all); every map
        carries its scripts and opens on the shaded relief either way.
    plan : Plan, path or None
        For the districts map's area figures, and the language the map opens
        in (the plan's ``maps.language``).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> ag.show_map(ag.read_layers("layers"), "districts")  # doctest: +SKIP
    """
    if kind not in MAP_KINDS:
        raise ValueError(f"kind must be one of {', '.join(MAP_KINDS)}, got {kind!r}")
    dem = Path(layers_dir) / pipeline.TERRAIN_RASTER
    language = _plan(plan).maps.language
    if kind == "terrain":
        return maps.terrain_map(layers, relief=maps.relief_images(dem), offline=offline, language=language)
    relief = maps.relief_images(dem) if dem.is_file() else None
    common = {"relief": relief, "offline": offline, "language": language}
    if kind == "districts":
        figures = area_table(layers, plan, layers_dir=layers_dir) if relief is not None else None
        return maps.districts_map(layers, figures=figures, **common)
    if kind == "infrastructure":
        return maps.infrastructure_map(layers, **common)
    if kind == "proximity":
        return maps.proximity_map(layers, **common)
    if kind == "suitability":
        result = _suitability_result(layers, _plan(plan), layers_dir=layers_dir)
        return suitability_map(layers, result, **common)
    if kind == "population":
        return maps.population_map(layers, **common)
    if kind == "mountain":
        mountain_dem = Path(layers_dir) / MOUNTAIN_DEM
        mountain = maps.relief_images(mountain_dem) if mountain_dem.is_file() else None
        return maps.mountain_map(layers, **{**common, "relief": mountain})
    return maps.overview_map(layers, **common)


PROPOSAL_RULES = ("in_district", "outside_strips", "max_slope", "above_flood")


def add_facility(layers: LayerSet, *, id: str, kind: str, lon: float, lat: float,  # noqa: A002
                 name_en: str | None = None, district: str | None = None,
                 rules: tuple[str, ...] = PROPOSAL_RULES) -> LayerSet:
    """A copy of `layers` with one more infrastructure point (e.g. a proposed substation).

    The analysis layers (coverage, gaps, service areas, travel-time surface)
    describe the old set of facilities, so the copy leaves them out:
    recompute them with :func:`coverage` or :func:`service_areas`. The new
    point carries `rules`, so :func:`placement_report` checks it.

    Parameters
    ----------
    layers : LayerSet
        With an ``infrastructure`` layer.
    id : str
        New, unique id.
    kind : str
        Facility kind, e.g. ``substation``.
    lon, lat : float
        Position, WGS84 degrees.
    name_en, district : str, optional
    rules : tuple of str
        Placement rules to check it against (default: inside its district,
        outside water protection strips, below the slope limit, above the
        flood level).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> layers = ag.read_layers("layers")  # doctest: +SKIP
    >>> more = ag.add_facility(layers, id="ss_new", kind="substation", lon=77.05, lat=43.6)  # doctest: +SKIP
    >>> len(more["infrastructure"].frame) - len(layers["infrastructure"].frame)  # doctest: +SKIP
    1
    """
    from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
    from alatau_geo.core.layers import Layer

    if district is None:  # nothing to be inside of
        rules = tuple(rule for rule in rules if rule != "in_district")
    current = layers["infrastructure"]
    if (current.frame["id"] == id).any():
        raise ValueError(f"infrastructure already has an object with id {id!r}")
    point = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=EXPORT_CRS).to_crs(WORKING_CRS)
    row = gpd.GeoDataFrame({"id": [id], "name_en": [name_en or id], "kind": [kind], "district": [district],
                            "placement": ["given"], "position_quality": ["approximate"], "broken_rules": [""],
                            "rules": [";".join(rules)], "via": [""]},
                           geometry=point.values, crs=WORKING_CRS)
    frame = gpd.GeoDataFrame(pd.concat([current.frame, row], ignore_index=True), geometry="geometry",
                             crs=WORKING_CRS)
    updated = Layer(current.name, frame, current.provenance, current.title)
    return LayerSet(updated if name == "infrastructure" else layer for name, layer in layers.items()
                    if name not in ANALYSIS_LAYERS)


def coverage(layers: LayerSet, plan: Plan | str | Path | None = None) -> LayerSet:
    """Straight-line coverage of the facilities within the plan's service radii, and the gaps.

    Returns
    -------
    LayerSet
        ``coverage`` (one polygon per facility kind) and ``coverage_gaps``
        (city area outside it), working CRS.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> cover = ag.coverage(ag.read_layers("layers"))  # doctest: +SKIP
    >>> ag.area_ha(cover["coverage_gaps"].frame)  # doctest: +SKIP
    """
    from alatau_geo.analysis.proximity import coverage_layers

    return coverage_layers(layers, radii_m=_plan(plan).service_radii_m)


def uncovered_by_district(layers: LayerSet, plan: Plan | str | Path | None = None) -> pd.DataFrame:
    """Area of each district outside each facility kind's service radius, ha and %.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> ag.uncovered_by_district(ag.read_layers("layers"))  # doctest: +SKIP
    """
    from alatau_geo.analysis.proximity import proximity_tables

    return proximity_tables(layers, radii_m=_plan(plan).service_radii_m)["uncovered_by_district"]


def road_network(layers: LayerSet, plan: Plan | str | Path | None = None, *,
                 osm: str | Path | None = None) -> nx.MultiDiGraph:
    """The routable road network (osmnx-compatible): generated from the plan, or read from an OSM file.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> graph = ag.road_network(ag.read_layers("layers"))  # doctest: +SKIP
    >>> graph.graph["crs"]  # doctest: +SKIP
    'EPSG:32643'
    """
    from alatau_geo.analysis.outputs import plan_network
    from alatau_geo.reference.osm import read_osm_xml

    graph = read_osm_xml(Path(osm)).graph if osm is not None else None
    return plan_network(layers, _plan(plan), osm_graph=graph)


def service_areas(layers: LayerSet, plan: Plan | str | Path | None = None, *,
                  graph: nx.MultiDiGraph | None = None, layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> LayerSet:
    """Coverage, gaps, service areas by travel time and the travel-time surface, as layers.

    Coverage, gaps and service areas count the residents and jobs the plan
    allocates (target year) that they hold or leave out.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> result = ag.service_areas(ag.read_layers("layers"))  # doctest: +SKIP
    >>> result["service_areas"].frame.groupby("minutes")["area_ha"].sum()  # doctest: +SKIP
    """
    from alatau_geo.analysis.outputs import analysis_layers

    plan = _plan(plan)
    people = pipeline.population_from_layers(layers, plan, layers_dir=Path(layers_dir))
    return LayerSet(analysis_layers(layers, plan, population=people, graph=graph))


def travel_times(layers: LayerSet, plan: Plan | str | Path | None = None, *,
                 graph: nx.MultiDiGraph | None = None,
                 layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> dict[str, pd.DataFrame]:
    """Proximity and accessibility tables (``alatau-geo report proximity``), by name.

    ``travel_times`` holds minutes from each district centre and settlement to
    Almaty and Konaev, ``travel_times_residents`` the same for each
    district's residents; ``job_access_districts`` and
    ``job_access_settlements`` the jobs within 30 and 45 minutes and the
    2SFCA score, residents and jobs as the plan allocates them (target year).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> tables = ag.travel_times(ag.read_layers("layers"))  # doctest: +SKIP
    >>> tables["travel_times"][["to_almaty_min", "to_konaev_min"]]  # doctest: +SKIP
    """
    from alatau_geo.analysis.outputs import proximity_report

    plan = _plan(plan)
    people = pipeline.population_from_layers(layers, plan, layers_dir=Path(layers_dir))
    return proximity_report(layers, plan, population=people, graph=graph).tables
