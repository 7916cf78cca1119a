"""The stages of a build, each read from the stage cache when its inputs are unchanged, else computed.

:mod:`alatau_geo.jobs.build` runs them in order: the reference layers (from
the SRTM tiles, :mod:`alatau_geo.jobs.tile_stages`, or the layers already
built), the mountain cluster (from the tiles), then the plan's stages (:func:`plan_stages`): zones, placement,
residents and jobs, analyses, suitability. Each stage is keyed and stored by
:class:`~alatau_geo.jobs.stage_cache.StageCache`; a stage that writes files
beside the layers (the terrain raster, the population grids, the
suitability and HAND rasters) writes them into the folder the cache gives
it, and the build copies them into its output folder. The computations are
those of an uncached build, called in the same order on the same data, so
the layers are the same to the bit.

Each stage imports the code that computes it only when it runs, so a
build whose stages all come from the cache loads no analysis code.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alatau_geo.analysis.layer_names import FACILITY_LAYERS, HAZARD_LAYERS
from alatau_geo.core.io import read_raster
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.manifest import manifest_entries
from alatau_geo.core.progress import no_progress
from alatau_geo.core.raster import Raster
from alatau_geo.jobs.exported import ExportedLayers
from alatau_geo.jobs.forked import run_beside_handing_over
from alatau_geo.jobs.stage_cache import StageCache, StageKeys, StageOutput, StageRun, stage_keys
from alatau_geo.plan.config import Plan
from alatau_geo.plan.districts import ZONE_LAYERS

if TYPE_CHECKING:
    from alatau_geo.analysis.city_population import CityPopulation

logger = logging.getLogger(__name__)

__all__ = ["Early", "PlanStages", "ZonedStages", "committed_stage", "plan_stages", "zoned_stages",
           "zones_and_placement"]


_HAZARDS_KEY = "hazards_key"  # the suitability stage's figure naming the key of its hazards
Early = Callable[[LayerSet, StageOutput | None], None]
"""What :func:`plan_stages` hands over before the residents and the analyses are in: the other layers and the
suitability stage."""
Ahead = Callable[[LayerSet, dict[str, str]], dict[str, Any]]
"""What :func:`plan_stages` has worked out before the analyses are in, given the other layers and the keys of the
plan stages they come from (a build prepares them for export: :func:`alatau_geo.jobs.reuse.prepared_layers`)."""


@dataclass(frozen=True)
class PlanStages:
    """The layers of a build after the plan's stages, the stages that wrote files, and notes for the summary.

    Attributes
    ----------
    layers : LayerSet
        The reference layers and every layer the plan constructs, in the
        order an uncached build gives them.
    population, suitability : StageOutput
        The stages that wrote files (population grids; score and class rasters).
    notes : tuple of str
        The residents-and-jobs and the suitability lines of the summary.
    suited : bool
        Whether the plan has a ``[suitability]`` section (then the HAND rasters go beside the layers).
    sources : dict of str to str
        The key of the stage each plan layer comes from.
    ahead : dict
        What the ``ahead`` of :func:`plan_stages` gave (empty without it).
    """

    layers: LayerSet
    population: StageOutput
    suitability: StageOutput
    notes: tuple[str, ...]
    suited: bool
    sources: dict[str, str]
    ahead: dict[str, Any]


def committed_stage(plan: Plan, *, source_dir: Path, key: str, cache: StageCache, elevation: Raster) -> StageOutput:
    """The reference stage of a build without tiles: the layers already built, the gazetteer rebuilt.

    `elevation` is the working-grid DEM of `source_dir` (in the key); the
    stage keeps its slope in degrees as the raster ``slope``.
    """
    from alatau_geo.jobs.build import committed_reference
    from alatau_geo.reference import terrain

    def compute(_files_dir: Path | None) -> StageOutput:
        return StageOutput(layers=committed_reference(plan, layers_dir=source_dir),
                           rasters={"slope": terrain.slope(elevation)}, value=True)

    return cache.run("reference", key, compute)


@dataclass(frozen=True)
class Ground:
    """The working-grid DEM in metres and its slope in degrees, as the reference stage keeps them.

    The placement, the suitability and the residents read the slope; it
    depends on the terrain alone, so it is worked out with the reference
    stage and read back with it, not again after each edit of the plan.
    """

    elevation: Raster
    slope: Raster

    @classmethod
    def of(cls, reference: StageOutput, elevation: Raster) -> Ground:
        """The ground of a reference stage's output (:func:`tiles_stage` or :func:`committed_stage`)."""
        return cls(elevation, reference.rasters["slope"])


@dataclass(frozen=True)
class ZonedStages:
    """The zones and placement stages, the reference as exported and the zoned layers, each made when first asked.

    Attributes
    ----------
    reference : callable
        The reference layers as exported (what the zones are drawn on).
    zones, placed : callable
        The zones stage; the placement stage (given ``facilities``, a
        callable, it calls it with the infrastructure layers as soon as they
        are placed, when the stage is computed).
    zoned : callable
        The exported reference layers and the zones.
    export : ExportedLayers
        Exports a layer, each once a build (the reference, the zones and the
        placed objects are read as exported by several stages), with the
        geometries exported by earlier builds.
    """

    reference: Callable[[], LayerSet]
    zones: Callable[[], StageOutput]
    placed: Callable[..., StageOutput]
    zoned: Callable[[], LayerSet]
    export: ExportedLayers


def zoned_stages(reference: LayerSet, plan: Plan, *, ground: Ground, keys: StageKeys,
                 cache: StageCache) -> ZonedStages:
    """The zones and the placed objects of `plan` on `reference`, each from `cache` when its key is there.

    The steps of :func:`alatau_geo.jobs.build.plan_layers`, each when
    first asked for (a build forks the process that generates the street
    network before the zones are drawn). The layers are exported with the
    geometries `cache` kept from earlier builds (``exported``,
    :func:`~alatau_geo.jobs.memo.exported_memo`), which the later stages use too.
    """
    from alatau_geo.jobs.build import exported_reference, place_catalogues, plan_zones
    from alatau_geo.jobs.memo import exported_memo

    memo = exported_memo(cache)
    memo.files.prune()
    export = ExportedLayers(precision=plan.export.coordinate_precision, memo=memo)
    exported = cache_once(lambda: exported_reference(reference, plan, export=export))

    def zones_stage(_files_dir: Path | None) -> StageOutput:
        from alatau_geo.jobs.memo import zone_memo

        known = zone_memo(cache)  # the zones before an edited one are read back
        layers = LayerSet(plan_zones(exported(), plan, known=known))
        known.prune()
        return StageOutput(layers=layers, value=True)

    @functools.cache
    def zones() -> StageOutput:
        return cache.run("zones", keys.zones, zones_stage)

    @cache_once
    def zoned() -> LayerSet:
        return LayerSet([*exported().values(), *zones().layers.values()])

    stage: list[StageOutput] = []  # the placement, once worked out or read

    def placed(*, facilities: Callable[[LayerSet], None] | None = None) -> StageOutput:
        if not stage:
            stage.append(cache.run("placement", keys.placement, lambda _: StageOutput(
                layers=LayerSet(place_catalogues(zoned(), plan, elevation=ground.elevation, slope=ground.slope,
                                                 on_infrastructure=facilities).values()),
                value=True)))
        return stage[0]

    return ZonedStages(reference=exported, zones=zones, placed=placed, zoned=zoned, export=export)


def plan_stages(reference: LayerSet, plan: Plan, *, ground: Ground, keys: StageKeys,  # noqa: PLR0913
                cache: StageCache, out_dir: Path, hazards: Callable[[], Any],
                on_step: Callable[[str], None] = no_progress, early: Early | None = None,
                ahead: Ahead | None = None) -> PlanStages:
    """The plan's stages on `reference`: zones, placement, suitability, residents and jobs, analyses.

    The zones and placed objects of :func:`alatau_geo.jobs.build.plan_layers`,
    then :func:`alatau_geo.jobs.suitability.with_suitability`, then the
    residents allocated on its classes, then the analyses; each stage taken
    from `cache` when its key is there. A stage that runs builds on the
    exported form of what comes before, made only when first needed.

    Parameters
    ----------
    reference : LayerSet
        The reference layers (mountain and OSM layers included).
    plan : Plan
    ground : Ground
        The working-grid DEM and its slope.
    keys : StageKeys
    cache : StageCache
    out_dir : Path
        The build's output folder (files of stages computed without a cache go there).
    hazards : callable
        Gives the :class:`~alatau_geo.analysis.hazard_layers.HazardRasters` (read
        or computed only when the suitability runs).
    on_step : callable
        Called with a label as the zones, the suitability and the people start.
    early : callable, optional
        Called with the layers so far, when the analyses are still being
        worked out beside (a build draws the map pages of those layers
        meanwhile): once the objects are placed (and None), while the
        suitability is worked out; then with the suitability's layers too,
        and the suitability stage, while the residents are allocated. Not
        called when the analyses are read from `cache`.
    ahead : callable, optional
        Called once the residents are in (likewise only when the analyses
        are worked out beside) with every layer but the analyses' and the
        keys of the plan stages they come from; what it gives is the
        result's ``ahead`` (a build prepares them for export while it waits
        for the analyses).
    """
    from alatau_geo.jobs.build import PLAN_LAYERS, population_note

    elevation = ground.elevation
    on_step("zones and placement")
    zoned = zoned_stages(reference, plan, ground=ground, keys=keys, cache=cache)
    exported = zoned.export.layers

    def zoned_of(zones: LayerSet) -> LayerSet:
        """The reference and `zones`, both as exported."""
        return LayerSet([*zoned.reference().values(), *zones.values()])

    @cache_once
    def exported_zoned() -> LayerSet:
        return zoned_of(exported(zoned.zones().layers))

    @cache_once
    def planned() -> LayerSet:
        return LayerSet([*exported_zoned().values(), *exported(zoned.placed().layers).values()])

    def unsuited(placed: StageOutput) -> LayerSet:
        """What the suitability reads: the reference layers, the zones and the placed objects."""
        zones = zoned.zones().layers
        return LayerSet([*(layer for name, layer in reference.items() if name not in PLAN_LAYERS),
                         *(zones[name] for name in ZONE_LAYERS if name in zones), *placed.layers.values()])

    def suitability_stage(unsuited: LayerSet, files_dir: Path | None) -> StageOutput:
        from alatau_geo.analysis.suitability_layers import suitability_layers
        from alatau_geo.jobs import suitability

        assert files_dir is not None
        if plan.suitability is None:
            return StageOutput(figures={"note": suitability.suitability_note(None)}, value=True)
        flood = suitability.cached_hazards(cache)
        result = suitability.suitability_of_layers(unsuited, plan, hazards(), slope=ground.slope,
                                                   cells=suitability.cached_cells(cache), export=zoned.export,
                                                   flood=flood)
        files = suitability.write_suitability_rasters(result, folder=files_dir)
        return StageOutput(layers=LayerSet(suitability_layers(result)), files=tuple(files), value=result,
                           rasters={"classes": result.surface.grid.raster(result.surface.classes)},
                           figures={"note": suitability.suitability_note(result), _HAZARDS_KEY: flood.key})

    def people_stage(classes: Raster | None, files_dir: Path | None) -> StageOutput:
        from alatau_geo.analysis.population_layers import population_layers
        from alatau_geo.jobs.population import cached_spread, population_of, write_population_grids

        assert files_dir is not None
        population = population_of(planned(), plan, elevation=elevation, suitability=classes,
                                   spread=cached_spread(cache), slope=ground.slope)
        grids = write_population_grids(population, files_dir)
        return StageOutput(layers=LayerSet(population_layers(population, planned())), value=population,
                           figures={"note": population_note(population)}, files=tuple(p.name for p in grids))

    made: dict[str, Any] = {}

    def placed_suited_and_people(give: Callable[[LayerSet], None], *, early: Early | None = None,
                                 ahead: Ahead | None = None) -> tuple[StageOutput, StageOutput, StageOutput]:
        give(exported(zoned.zones().layers))  # to the analyses, which loaded their code meanwhile
        placed = _placed_handing_over(zoned, give)  # the facilities to the analyses, as soon as they are placed
        if early is not None:
            early(unsuited(placed), None)
        on_step("hazards and land suitability")
        # The residents are allocated on the suitability's classes.
        suited = cache.run("suitability", keys.suitability, functools.partial(suitability_stage, unsuited(placed)),
                           out_dir=out_dir)
        if early is not None:  # in the order of the layers of an uncached build, the residents' and analyses' left out
            early(LayerSet([*unsuited(placed).values(), *suited.layers.values()]), suited)
        on_step("residents, jobs and the analyses")
        allocate = functools.partial(people_stage, suited.rasters.get("classes"))
        people = cache.run("population", keys.population, allocate, out_dir=out_dir)
        before = LayerSet([*unsuited(placed).values(), *people.layers.values(), *suited.layers.values()])
        if ahead is not None:
            made.update(ahead(before, _sources(((keys.zones, zoned.zones()), (keys.placement, placed),
                                                (keys.population, people), (keys.suitability, suited)))))
        return placed, suited, people

    # The analyses' service areas, travel times and coverage need only the
    # zones and the placed objects: when the analyses are to be computed, a
    # process forked before the zones are drawn loads the analyses' code,
    # generates the street network on the zones while the objects are
    # placed, then works the analyses out while the suitability and the
    # residents are (jobs.forked), and the analyses stage adds the people.
    if cache.holds("analyses", keys.analyses):
        (placed, suited, people), reached = placed_suited_and_people(lambda _: None), None
    else:
        # The placement samples the terrain with scipy.ndimage, and so do the analyses: loaded once, before the
        # fork, the child has it too (a plan reads without it, so a build that keeps everything never loads it).
        # So is the reference as exported, which the zones are drawn on and the street network generated with.
        importlib.import_module("scipy.ndimage")
        zoned.reference()
        here = os.getpid()  # the timing tells the analyses' process from this one
        (placed, suited, people), (reached, run) = run_beside_handing_over(
            functools.partial(placed_suited_and_people, early=early, ahead=ahead),
            lambda take: _reached_areas(lambda: zoned_of(take()), plan, here, cache, take))
        cache.runs.append(run)
    classes = suited.rasters.get("classes")

    def analyses_stage(_files_dir: Path | None) -> StageOutput:
        from alatau_geo.analysis.served import served_layers  # not analysis.outputs: it loads networkx
        from alatau_geo.jobs.population import cached_spread, population_of

        # Residents and jobs read from the cache are layers and grids only: allocate them again (same result).
        population: CityPopulation = people.value if people.computed else population_of(
            planned(), plan, elevation=elevation, suitability=classes, spread=cached_spread(cache), slope=ground.slope)
        found = reached if reached is not None else _reached_areas(
            exported_zoned, plan, os.getpid(), cache, lambda: exported(placed.layers))[0]
        return StageOutput(layers=LayerSet(served_layers(found, plan, population=population)), value=True)

    analysed = cache.run("analyses", keys.analyses, analyses_stage)
    layers = LayerSet([*unsuited(placed).values(), *people.layers.values(), *analysed.layers.values()])
    stages = ((keys.zones, zoned.zones()), (keys.placement, placed), (keys.population, people),
              (keys.analyses, analysed), (keys.suitability, suited))
    return PlanStages(layers=LayerSet([*layers.values(), *suited.layers.values()]), population=people,
                      suitability=suited, notes=(people.figures["note"], suited.figures["note"]),
                      suited=plan.suitability is not None, sources=_sources(stages), ahead=made)


def zones_and_placement(plan: Plan, *, layers_dir: Path, cache: StageCache) -> LayerSet:
    """The zones and placed objects of `plan` on the layers already built in `layers_dir` (``alatau-geo diff``).

    :func:`~alatau_geo.jobs.build.plan_layers` on
    :func:`~alatau_geo.jobs.build.committed_reference`, each stage read from
    `cache` when its inputs are unchanged (a build of the same workspace
    without tiles stores the same stages).

    Raises
    ------
    InputDataError
        As :func:`~alatau_geo.jobs.build.committed_reference`.
    """
    from alatau_geo.jobs.build import TERRAIN_RASTER, check_committed, committed_key

    check_committed(plan, layers_dir=layers_dir, names=[name for name, _ in manifest_entries(layers_dir)])
    elevation = read_raster(layers_dir / TERRAIN_RASTER)
    reference_key = committed_key(plan, layers_dir)
    reference = committed_stage(plan, source_dir=layers_dir, key=reference_key, cache=cache, elevation=elevation)
    zoned = zoned_stages(reference.layers, plan, ground=Ground.of(reference, elevation), cache=cache,
                         keys=stage_keys(plan, reference=reference_key))
    zones = zoned.zones().layers
    return LayerSet([*(zones[name] for name in ZONE_LAYERS if name in zones), *zoned.placed().layers.values()])


def _sources(stages: tuple[tuple[str, StageOutput], ...]) -> dict[str, str]:
    """The key of the stage each layer of `stages` (key and output) comes from.

    The hazard layers among the suitability's come from the ``hazards``
    stage within it (:func:`alatau_geo.jobs.suitability.cached_hazards`):
    they read the DEM and ``suitability.hazards``, not the districts, and
    keep their key across edits of the zones (the export then takes them
    as they were).
    """
    return {name: (output.figures.get(_HAZARDS_KEY) or key) if name in HAZARD_LAYERS else key
            for key, output in stages for name in output.layers}


def _placed_handing_over(zoned: ZonedStages, give: Callable[[LayerSet], None]) -> StageOutput:
    """The placement stage; the facility layers go to `give` as soon as they are placed, as exported.

    The analyses (which generated the street network meanwhile) read no
    other placed object: they start on the service areas while the
    projects are placed. When the placement is read from the cache, they
    are given once it is read.
    """
    handed: list[LayerSet] = []

    def facilities(layers: LayerSet) -> None:
        give(zoned.export.layers(layers))
        handed.append(layers)

    placed = zoned.placed(facilities=facilities)
    if not handed:
        give(zoned.export.layers(LayerSet(layer for name, layer in placed.layers.items() if name in FACILITY_LAYERS)))
    return placed


def _reached_areas(zoned: Callable[[], LayerSet], plan: Plan, parent: int, cache: StageCache,
                   placed: Callable[[], LayerSet]) -> tuple[Any, StageRun]:
    """:func:`~alatau_geo.analysis.outputs.reached_areas` and its timing.

    The analyses' code is loaded first; the street network is generated
    from the layers `zoned` gives (reference and zones, as exported; it
    waits for the zones when they are drawn beside this); then `placed`
    gives the placed objects (likewise). The service areas the edit left unchanged are
    read from the memo in `cache` (:func:`~alatau_geo.jobs.memo.geometry_memo`).
    The timing says whether it ran in a process other than `parent` (forked
    beside the placement, the suitability and the residents; its memory is
    not traced there).
    """
    import geopandas as gpd
    import shapely

    from alatau_geo.analysis.outputs import plan_network, reached_areas
    from alatau_geo.core.crs import WORKING_CRS, area_ha
    from alatau_geo.jobs.memo import geometry_memo

    start, start_cpu = time.perf_counter(), time.process_time()
    # PROJ makes the transformation that measures the areas once a process (10-20 ms): here, while the zones
    # this waits for are drawn, not after.
    area_ha(gpd.GeoSeries([shapely.Point(500_000.0, 4_800_000.0)], crs=WORKING_CRS))
    layers = zoned()
    graph = plan_network(layers, plan)
    known = geometry_memo(cache, "service-areas")
    # One thread: beside the placement, the suitability, the residents and the map pages, a second one only
    # competes with them for the two cores (measured: the edit-and-rebuild takes longer with two).
    reached = reached_areas(LayerSet([*layers.values(), *placed().values()]), plan, graph=graph, known_areas=known,
                            threads=1)
    known.prune()
    return reached, StageRun("analyses: service areas, travel times, coverage", "computed",
                             time.perf_counter() - start, time.process_time() - start_cpu, None,
                             beside=os.getpid() != parent)


def cache_once(function: Callable[[], LayerSet]) -> Callable[[], LayerSet]:
    """`function`, called at most once (later calls give its first result)."""
    return functools.cache(function)
