"""The public Python API: what the notebooks and a planner's own scripts use.

Each function here wraps a few library steps into one call on the layers
folder a build writes (``layers/``). Everything is importable from the
package itself::

    import alatau_geo as ag
    plan = ag.load_plan()
    layers = ag.read_layers("layers")
    ag.area_table(layers, plan)
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path

import folium
import geopandas as gpd
import networkx as nx
import pandas as pd

from alatau_geo import maps
from alatau_geo.analysis import areas
from alatau_geo.analysis.mountain_report import MountainReport, mountain_report
from alatau_geo.analysis.outputs import ANALYSIS_LAYERS
from alatau_geo.analysis.population_layers import PopulationTables, population_tables
from alatau_geo.analysis.scenarios import ObjectChange, ZoneDelta, object_changes, zone_deltas
from alatau_geo.analysis.suitability_layers import SuitabilityResult
from alatau_geo.analysis.suitability_report import HazardReport, SuitabilityReport, hazard_report, suitability_report
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.jobs import build as pipeline
from alatau_geo.jobs.generation import build_outputs
from alatau_geo.jobs.mountain import MOUNTAIN_DEM, mountain_from_tiles
from alatau_geo.jobs.suitability import suitability_of
from alatau_geo.jobs.uncertainty import UncertaintyResult
from alatau_geo.maps.suitability import suitability_map
from alatau_geo.plan.config import Plan, load_plan
from alatau_geo.plan.placement_report import placement_report as _placement_report
from alatau_geo.plan.workspace import Workspace, default_workspace, resolve_workspace

logger = logging.getLogger(__name__)

DEFAULT_LAYERS_DIR = Path("layers")
MAP_KINDS = ("overview", "districts", "infrastructure", "proximity", "terrain", "population", "mountain",
             "suitability")


def _plan(plan: Plan | str | Path | None) -> Plan:
    return plan if isinstance(plan, Plan) else load_plan(plan)


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


def elevation(layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> Raster:
    """The working-grid DEM (whole metres, UTM 43N, 90 m cells) written beside the layers.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> dem = ag.elevation("layers")  # doctest: +SKIP
    >>> dem.crs.to_epsg(), dem.transform.a  # doctest: +SKIP
    (32643, 90.0)
    """
    return read_raster(Path(layers_dir) / pipeline.TERRAIN_RASTER)


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
        built.append(pipeline.plan_layers(reference, plan, elevation=dem, analyses=False))
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
        Inline Leaflet and use the relief as base map (no network needed).
    plan : Plan, path or None
        For the districts map's area figures.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> ag.show_map(ag.read_layers("layers"), "districts")  # doctest: +SKIP
    """
    if kind not in MAP_KINDS:
        raise ValueError(f"kind must be one of {', '.join(MAP_KINDS)}, got {kind!r}")
    dem = Path(layers_dir) / pipeline.TERRAIN_RASTER
    dem_path = dem if dem.is_file() else None
    if kind == "terrain":
        return maps.terrain_map(layers, dem_path=dem, offline=offline)
    if kind == "districts":
        figures = area_table(layers, plan, layers_dir=layers_dir) if dem_path is not None else None
        return maps.districts_map(layers, dem_path=dem_path, offline=offline, figures=figures)
    if kind == "infrastructure":
        return maps.infrastructure_map(layers, dem_path=dem_path, offline=offline)
    if kind == "proximity":
        return maps.proximity_map(layers, dem_path=dem_path, offline=offline)
    if kind == "suitability":
        result = _suitability_result(layers, _plan(plan), layers_dir=layers_dir)
        return suitability_map(layers, result, dem_path=dem_path, offline=offline)
    if kind == "population":
        return maps.population_map(layers, dem_path=dem_path, offline=offline)
    if kind == "mountain":
        mountain_dem = Path(layers_dir) / MOUNTAIN_DEM
        return maps.mountain_map(layers, dem_path=mountain_dem if mountain_dem.is_file() else None, offline=offline)
    return maps.overview_map(layers, dem_path=dem_path, offline=offline)


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


def population(layers: LayerSet, plan: Plan | str | Path | None = None, *,
               layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> PopulationTables:
    """Where the plan's residents and jobs go: capacity of the land, targets and allocation by phase.

    Runs the allocation of ``alatau-geo build`` on `layers`: capacity per
    100 m cell from the plan's densities (``[population]``) on the buildable
    land, the targets of each phase, today's settlements and the investment
    projects as seeds (``alatau-geo report population``).

    Parameters
    ----------
    layers : LayerSet
        Built layers (districts, city boundary, places, projects, water).
    plan : Plan, path or None
        Its ``[population]`` section and buildable slope limit.
    layers_dir : path
        Where the working-grid DEM is (for slope).

    Returns
    -------
    PopulationTables
        ``report`` (per district and phase: targets, placed, capacity, spare
        or short, status), ``summary``, ``capacity``, ``job_figures`` and the
        grids (``allocation``).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> people = ag.population(ag.read_layers("layers"))  # doctest: +SKIP
    >>> people.report.loc[("gate", 2050), ["residents", "residents_capacity", "status"]]  # doctest: +SKIP
    residents              220000
    residents_capacity     410229
    status                   fits
    """
    plan = _plan(plan)
    return population_tables(pipeline.population_from_layers(layers, plan, layers_dir=Path(layers_dir)), layers)


def mountain_cluster(layers: LayerSet | None = None, plan: Plan | str | Path | None = None, *,
                     layers_dir: str | Path = DEFAULT_LAYERS_DIR, dem_dir: str | Path | None = None) -> MountainReport:
    """The Almaty mountain cluster and Almaty's air corridors (``alatau-geo report mountain``).

    From the mountain layers and the window DEM a build from the tiles wrote
    into `layers_dir`; with `dem_dir`, computed afresh from the SRTM tiles
    there (about 3 s). The terrain classes and the capacity check always use
    the plan's current ``[mountain]`` parameters.

    Parameters
    ----------
    layers : LayerSet, optional
        Built layers with the mountain layers; default: read `layers_dir`.
    plan : Plan, path or None
        Its ``[mountain]`` section.
    layers_dir : path
        Layers folder holding ``mountain_dem.tif``.
    dem_dir : path, optional
        Folder of the SRTM3 tiles: compute everything from them instead.

    Returns
    -------
    MountainReport
        ``stations``, ``classes`` (ha per terrain class), ``lifts`` (lift
        lines with their profiles' figures), ``capacity`` (runs and visitors
        beside 250 km and 40,000 a day), ``corridors``, ``corridor_summary``
        (beside the 3,800 ha green target) and ``limits`` (what cannot be
        said without land cover).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> cluster = ag.mountain_cluster()  # doctest: +SKIP
    >>> cluster.capacity.set_index("quantity").loc["run length the terrain allows", "value"]  # doctest: +SKIP
    679.2
    """
    plan = _plan(plan)
    if dem_dir is not None:
        built = mountain_from_tiles(Path(dem_dir), plan)
        return mountain_report(LayerSet(built.layers), built.dem, plan.mountain)
    layers = layers if layers is not None else read_layers(Path(layers_dir))
    return mountain_report(layers, read_raster(Path(layers_dir) / MOUNTAIN_DEM), plan.mountain)


def _suitability_result(layers: LayerSet, plan: Plan, *, layers_dir: str | Path) -> SuitabilityResult:
    return suitability_of(layers, plan, layers_dir=Path(layers_dir), elevation=elevation(layers_dir))


def suitability(layers: LayerSet, plan: Plan | str | Path | None = None, *,
                layers_dir: str | Path = DEFAULT_LAYERS_DIR, weights: Mapping[str, float] | None = None,
                ) -> SuitabilityReport:
    """The plan's land suitability: class areas per zone, weights, constraints, sensitivity, layers.

    Parameters
    ----------
    layers : LayerSet
        Built layers (zones, placed infrastructure, reference layers).
    plan : Plan, path or None
        Its ``[suitability]`` section (criteria, constraints, weights, classes).
    layers_dir : path
        Where the working-grid DEM and the height-above-drainage rasters are.
        Without the latter (layers never built from the SRTM tiles) the
        criteria and constraints that need it are left out (``result.left_out``).
    weights : mapping of str to float, optional
        Weights that replace the plan's for the criteria named (the others
        keep theirs); the weights are renormalised to sum to 1.

    Returns
    -------
    SuitabilityReport
        ``classes`` (ha per zone and class, index ``zone``), ``weights``
        (index criterion), ``constraints``, ``sensitivity``, ``layers`` and
        the surface (``result``).

    Raises
    ------
    PlanError
        If a weight names no criterion or is negative.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> land = ag.suitability(ag.read_layers("layers"))  # doctest: +SKIP
    >>> land.classes.loc[["gate", "golden", "growing", "green"], ["high_ha", "medium_ha"]]  # doctest: +SKIP
    >>> steeper = ag.suitability(ag.read_layers("layers"), weights={"slope": 0.5})  # doctest: +SKIP
    >>> (steeper.classes["high_ha"] - land.classes["high_ha"]).round()  # doctest: +SKIP
    """
    plan = _plan(plan)
    if weights is not None and plan.suitability is not None:
        section = dataclasses.replace(plan.suitability, weighting="weights",
                                      weights={**plan.suitability.weights, **weights})
        plan = dataclasses.replace(plan, suitability=section)
    return suitability_report(_suitability_result(layers, plan, layers_dir=layers_dir), layers)


def hazards(layers: LayerSet, plan: Plan | str | Path | None = None, *,
            layers_dir: str | Path = DEFAULT_LAYERS_DIR) -> HazardReport:
    """The floodplain of the named rivers and the reservoir's shore bands: hectares per zone and layers.

    Returns
    -------
    HazardReport
        ``by_zone`` (index ``zone``: districts, city, SEZ; ``floodplain_ha``,
        ``reservoir_normal_ha``, ``reservoir_max_ha``) and ``layers``
        (``floodplain``, ``reservoir_bands``, working CRS).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> found = ag.hazards(ag.read_layers("layers"))  # doctest: +SKIP
    >>> found.by_zone.loc["green", "reservoir_max_ha"]  # doctest: +SKIP
    """
    plan = _plan(plan)
    return hazard_report(_suitability_result(layers, plan, layers_dir=layers_dir), layers)


def _workspace(given: str | Path | None) -> Workspace:
    return default_workspace() if given is None else resolve_workspace(str(given))


def indicators(workspace: str | Path | None = None) -> pd.DataFrame:
    """Every scenario indicator of a built workspace (the table ``alatau-geo compare`` sets side by side).

    Parameters
    ----------
    workspace : path or 'default', optional
        A workspace folder (built); default: the default scenario.

    Returns
    -------
    DataFrame
        ``id``, ``group``, ``name``, ``value``, ``unit``, ``definition``,
        ``basis`` (published, target, derived or assumed), one row per indicator.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> table = ag.indicators()  # doctest: +SKIP
    >>> table.set_index("id").loc["residents.gate.2050", "value"]  # doctest: +SKIP
    220000.0
    """
    from alatau_geo.jobs.compare import load_scenario, scenario_label

    chosen = _workspace(workspace)
    return load_scenario(chosen, label=scenario_label(chosen)).indicators


def compare_scenarios(*workspaces: str | Path, out_dir: str | Path | None = None, pdf: bool = True) -> pd.DataFrame:
    """Indicators of built workspaces side by side with their differences from the first (``alatau-geo compare``).

    Parameters
    ----------
    *workspaces : path or 'default'
        At least two built workspaces.
    out_dir : path, optional
        When given, ``comparison.csv``, ``comparison.html`` and (with `pdf`)
        ``comparison.pdf`` are written there.
    pdf : bool

    Returns
    -------
    DataFrame
        One row per indicator: ``id``, ``group``, ``name``, ``unit``,
        ``basis``, a value column per scenario, a difference column per
        scenario after the first.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> wide = ag.compare_scenarios("default", "sez_scenario", out_dir="comparison")  # doctest: +SKIP
    """
    from alatau_geo.jobs.compare import compare_workspaces, write_comparison

    comparison = compare_workspaces([_workspace(w) for w in workspaces])
    if out_dir is not None:
        write_comparison(comparison, out_dir, pdf=pdf)
    return comparison.wide


def uncertainty(workspace: str | Path | None = None, *, runs: int | None = None, seed: int | None = None,
                scheduler: str | None = None, workers: int = 2, processes: bool = True,
                out_dir: str | Path | None = None) -> UncertaintyResult:
    """How far the indicators move when positions move within their tolerance and guesses within their range.

    Runs ``alatau-geo uncertainty`` on Dask: a local cluster of `workers`
    (processes, or threads with ``processes=False``), or the scheduler at
    `scheduler`. The same seed gives the same result on any number of workers.

    Parameters
    ----------
    workspace : path or 'default', optional
        A built workspace; default: the default scenario.
    runs, seed : int, optional
        Default: the plan's ``uncertainty.runs`` and ``uncertainty.seed``.
    scheduler : str, optional
        Address of a running Dask scheduler.
    workers : int
    processes : bool
    out_dir : path, optional
        When given, the tables and district-probability rasters are written there.

    Returns
    -------
    UncertaintyResult
        ``bands`` (median and 5-95 % band per indicator), ``zones``
        (stability of the zones), ``runs`` (one row per run, failures
        included), ``samples``, ``probability`` (district per grid cell).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> result = ag.uncertainty(runs=20, seed=7)  # doctest: +SKIP
    >>> result.bands.set_index("id").loc["travel_min.almaty.median", ["p05", "p95"]]  # doctest: +SKIP
    """
    from alatau_geo.jobs import uncertainty as job

    inputs = job.prepare_inputs(_workspace(workspace))
    runs = runs or inputs.plan.uncertainty.runs
    seed = inputs.plan.uncertainty.seed if seed is None else seed
    with job.dask_client(scheduler, workers=workers, processes=processes) as client:
        results = job.run_on_dask(inputs, runs=runs, seed=seed, client=client)
    result = job.summarise(results, inputs, seed=seed)
    if out_dir is not None:
        job.write_uncertainty(result, out_dir, plan=inputs.plan)
    return result
