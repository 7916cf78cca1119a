"""The API of the planning analyses: people and jobs, suitability and hazards, siting, the mountain cluster."""



from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import networkx as nx

from alatau_geo import maps
from alatau_geo.analysis.mountain_report import MountainReport, mountain_report
from alatau_geo.analysis.population_layers import PopulationTables, population_tables
from alatau_geo.analysis.suitability_report import HazardReport, SuitabilityReport, hazard_report, suitability_report
from alatau_geo.api._shared import DEFAULT_LAYERS_DIR, _plan, _suitability_result, elevation
from alatau_geo.core.io import read_layers, read_raster
from alatau_geo.core.layers import LayerSet
from alatau_geo.jobs import build as pipeline
from alatau_geo.jobs.mountain import MOUNTAIN_DEM, mountain_from_tiles
from alatau_geo.jobs.siting import SitingRun
from alatau_geo.plan.config import Plan


def siting(layers: LayerSet, plan: Plan | str | Path | None = None, *, layers_dir: str | Path = DEFAULT_LAYERS_DIR,
           kinds: Sequence[str] | None = None, phase: int | None = None, districts: Sequence[str] | None = None,
           graph: nx.MultiDiGraph | None = None) -> SitingRun:
    """Demand, sizing and optimal sites of the plan's facilities (``alatau-geo site``), nothing written.

    Residents and jobs are allocated on the 100 m grid and summed into demand
    blocks (``siting.demand_block_m``); each kind is sited on the road
    network by the p-median (least total travel), maximal covering and set
    covering within its limit (``[siting.kinds]``), with candidates on the
    placement grid that pass its placement rules and the catalogue's
    existing objects kept; the catalogue's planned objects are measured by
    the same models beside the optimum.

    Parameters
    ----------
    layers : LayerSet
        Built layers (``ag.read_layers``).
    plan : Plan, path or None
        Its ``[siting]`` section; None for the default plan.
    layers_dir : path
        Where the working-grid DEM is (slope and the placement rules).
    kinds : sequence of str, optional
        Kinds of ``[siting.kinds]``; default those with objects in the catalogue.
    phase : int, optional
        Phase year; default the last (2050).
    districts : sequence of str, optional
        Site within these districts only; default the whole city.
    graph : networkx.MultiDiGraph, optional
        The road network (e.g. from :func:`road_network` with an OSM file).

    Returns
    -------
    SitingRun
        ``.tables()``: the report tables by name (``demand``, ``sizing``,
        ``summary``, ``moves``, ``sites``, ``blocks``, ``rates``);
        ``.layers``: ``siting_recommended``, ``siting_catchments``,
        ``siting_moves``; ``.study``: every result (per kind:
        ``.study.kinds["substation"].recommended.sites``). Show it with
        :func:`siting_map`.

    Raises
    ------
    PlanError
        For an unknown kind, district or phase, or an infeasible set
        covering (the message names the demand blocks no site reaches).

    Examples
    --------
    >>> import alatau_geo as ag
    >>> result = ag.siting(ag.read_layers("layers"), kinds=["substation"], districts=["gate"])  # doctest: +SKIP
    >>> result.tables()["summary"][["model", "placement", "sites", "objective", "coverage"]]  # doctest: +SKIP
    >>> result.layers["siting_recommended"].frame[["site", "load", "load_share"]]  # doctest: +SKIP
    """
    from alatau_geo.jobs.population import suitability_of_folder
    from alatau_geo.jobs.siting import run_siting

    chosen = _plan(plan)
    return run_siting(layers, chosen, elevation=elevation(layers_dir), kinds=kinds, phase=phase,
                      districts=districts, graph=graph, suitability=suitability_of_folder(chosen, Path(layers_dir)))


def siting_map(result: SitingRun, *, layers_dir: str | Path = DEFAULT_LAYERS_DIR, offline: bool = False,
               language: str = "en") -> folium.Map:
    """The siting map of :func:`siting`: recommended against planned sites, catchments coloured by load.

    Examples
    --------
    >>> import alatau_geo as ag
    >>> ag.siting_map(ag.siting(ag.read_layers("layers"), kinds=["substation"]))  # doctest: +SKIP
    """
    from alatau_geo.maps.siting import siting_map as _siting_map

    dem = Path(layers_dir) / pipeline.TERRAIN_RASTER
    shown = LayerSet([*result.reference.values(), *result.layers.values()])
    relief = maps.relief_images(dem) if dem.is_file() else None
    return _siting_map(shown, relief=relief, offline=offline, language=language)


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
