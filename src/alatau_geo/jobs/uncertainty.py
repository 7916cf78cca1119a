"""The uncertainty job: rebuild a plan N times with moved positions and drawn parameters, on Dask.

Each run (:func:`run_sample`) draws from generators seeded by ``(seed,
run)`` (:func:`alatau_geo.analysis.uncertainty.sample_generators`), moves
every place, corridor waypoint and given infrastructure or project position
within its tolerance (``tolerance_m`` column, else the plan's default for
its ``position_quality``), draws the plan entries of
``[uncertainty.ranges]``, rebuilds the zones and placed objects on the
workspace's reference layers (:func:`alatau_geo.jobs.build.plan_layers`),
and recomputes the indicators and the district of every cell of a coarse
grid. River-name points are not moved: the rivers come from the terrain,
and renaming them needs the tiles. A run that fails returns its error in
one line; the others go on.

The runs are independent tasks on a Dask cluster (:mod:`dask.distributed`):
a ``LocalCluster`` by default, or an existing scheduler's address; the
same code runs either way. The plan as it is runs first, unperturbed, as
the reference of the bands. Results are ordered by run number, so they do
not depend on the number of workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from affine import Affine

from alatau_geo.analysis import uncertainty
from alatau_geo.analysis.indicators import IndicatorOptions, indicator_table
from alatau_geo.analysis.population_grid import grid_over, zone_grid
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import InputDataError
from alatau_geo.core.geojson import write_geojson
from alatau_geo.core.io import read_layers, read_raster, write_raster, write_text
from alatau_geo.core.layers import Layer, LayerSet, Provenance
from alatau_geo.core.raster import Raster
from alatau_geo.jobs.build import PLAN_LAYERS, TERRAIN_RASTER, committed_reference, plan_layers
from alatau_geo.plan.catalogues import load_catalogues, packaged_catalogue
from alatau_geo.plan.config import Plan
from alatau_geo.plan.districts import ZONE_LAYERS
from alatau_geo.plan.population_params import PopulationParams
from alatau_geo.plan.uncertainty_params import apply_values, population_overrides
from alatau_geo.plan.workspace import Workspace, built_plan
from alatau_geo.reference import gazetteer, water
from alatau_geo.reference.tolerances import read_tolerances, tolerances_for

if TYPE_CHECKING:
    from dask.distributed import Client

logger = logging.getLogger(__name__)

PLANNED_RUN = -1
"""Run number of the plan as it is (nothing moved, nothing drawn)."""
GRID_MARGIN_M = 5000.0
"""The district-probability grid covers the city's extent and this margin, metres (room for moved districts)."""
_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"places": ("id",), "corridors": ("id", "seq"), "infrastructure": ("id",), "projects": ("id",)})


@dataclass(frozen=True)
class UncertaintyInputs:
    """What every run needs, prepared once from a built workspace (sent to each Dask worker once)."""

    plan: Plan
    reference: LayerSet
    elevation: Raster
    tables: Mapping[str, pd.DataFrame]
    tolerances: Mapping[str, np.ndarray]
    sources: Mapping[str, str]
    grid: tuple[Affine, tuple[int, int]]
    district_ids: tuple[str, ...]


@dataclass(frozen=True)
class SampleResult:
    """One run: its indicator values, zones and district grid, or its error.

    Attributes
    ----------
    run : int
        Run number (:data:`PLANNED_RUN` for the plan as it is).
    error : str or None
        The failure in one line; None when the run succeeded.
    indicators : DataFrame or None
        The indicator table.
    zones : DataFrame or None
        ``layer``, ``id``, ``published_ha``, ``area_ha``, ``solved_parameter``, ``solved_value_m``.
    districts : numpy.ndarray or None
        Index into the district ids per grid cell, -1 in none.
    parameters : dict
        The drawn plan entries.
    seconds : float
        Wall-clock time of the run.
    cpu_seconds : float
        Processor time of the thread that ran it (beside `seconds`, how much
        of the time the run waited for a busy processor).
    """

    run: int
    error: str | None
    indicators: pd.DataFrame | None
    zones: pd.DataFrame | None
    districts: np.ndarray | None
    parameters: dict[str, float]
    seconds: float
    cpu_seconds: float = 0.0


def _table_path(plan: Plan, name: str) -> Path:
    given = getattr(plan.tables, name)
    if given is not None:
        return given
    if name in ("infrastructure", "projects"):
        return packaged_catalogue(name)
    return gazetteer.packaged_table(f"{name}.csv")


def prepare_inputs(workspace: Workspace) -> UncertaintyInputs:
    """Read a built workspace once: plan, reference layers, terrain, tables, tolerances, the probability grid.

    Raises
    ------
    LayerError, StaleLayersError
        If its layers are not built, or not from its plan as it is now (see
        :func:`alatau_geo.plan.workspace.built_plan`).
    """
    plan = built_plan(workspace)
    committed = read_layers(workspace.layers_dir)
    reference = committed_reference(plan, layers_dir=workspace.layers_dir, committed=committed)
    gazetteer_tables = gazetteer.load_tables(plan.tables)
    tables = {"places": gazetteer_tables.places, "corridors": gazetteer_tables.corridors, **load_catalogues(plan)}
    defaults = plan.uncertainty.default_tolerance_m
    tolerances = {}
    for name, keys in _KEYS.items():
        given = read_tolerances(_table_path(plan, name), keys=keys)
        tolerances[name] = tolerances_for(tables[name], given, keys=keys, defaults=defaults)
    west, south, east, north = committed["city_boundary"].frame.total_bounds
    grid = grid_over((west - GRID_MARGIN_M, south - GRID_MARGIN_M, east + GRID_MARGIN_M, north + GRID_MARGIN_M),
                     cell_m=plan.uncertainty.grid_cell_m)
    sources = {**gazetteer_tables.sources, **{k: str(v.attrs.get("source", k)) for k, v in tables.items()
                                               if k in ("infrastructure", "projects")}}
    elevation = read_raster(workspace.layers_dir / TERRAIN_RASTER)
    return UncertaintyInputs(plan=plan, reference=reference, elevation=elevation, tables=tables, tolerances=tolerances,
                             sources=sources, grid=grid,
                             district_ids=tuple(str(i) for i in committed["districts"].frame["id"]))


def _reference(inputs: UncertaintyInputs, plan: Plan, tables: Mapping[str, pd.DataFrame]) -> LayerSet:
    """The reference layers with the (moved) places and corridors, and water bands of the (drawn) widths."""
    rebuilt = {
        "places": gazetteer.places_layer(tables["places"], source=inputs.sources["places"], elevation=inputs.elevation),
        "corridors": gazetteer.corridors_layer(tables["corridors"], source=inputs.sources["corridors"]),
    }
    reference = inputs.reference
    if plan.water_protection != inputs.plan.water_protection:
        zone, strip = water.protection_from_water_layers(reference["reservoir"], reference["rivers"],
                                                         plan.water_protection,
                                                         clip=reference["study_area"].frame.geometry.iloc[0])
        rebuilt.update({zone.name: zone, strip.name: strip})
    return LayerSet({**dict(reference.items()), **rebuilt}.values())


def _zones(layers: LayerSet) -> pd.DataFrame:
    parts = []
    for name in ZONE_LAYERS:
        if name in layers:
            frame = layers[name].frame
            parts.append(pd.DataFrame({
                "layer": name, "id": frame["id"].astype(str), "published_ha": frame["published_ha"].astype(float),
                "area_ha": frame["area_ha"].astype(float), "solved_parameter": frame["solved_parameter"],
                "solved_value_m": frame["solved_value_m"].astype(float)}))
    return pd.concat(parts, ignore_index=True)


def _district_grid(layers: LayerSet, inputs: UncertaintyInputs) -> np.ndarray:
    transform, shape = inputs.grid
    districts = layers["districts"].frame
    zones, ids = zone_grid(districts, transform=transform, shape=shape)
    lookup = np.array([inputs.district_ids.index(i) if i in inputs.district_ids else -1 for i in ids] + [-1])
    return lookup[np.where(zones >= 0, zones, len(ids))].astype(np.int16)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else 'no message'}"


def run_sample(inputs: UncertaintyInputs, run: int, *, seed: int, perturb: bool = True) -> SampleResult:
    """One run: move, draw, rebuild, recompute. Never raises: a failure is returned in one line.

    Parameters
    ----------
    inputs : UncertaintyInputs
    run : int
        Run number (the draws depend only on `seed` and `run`).
    seed : int
    perturb : bool
        False runs the plan as it is (the reference of the bands).

    Returns
    -------
    SampleResult
    """
    started, cpu = time.perf_counter(), time.thread_time()
    parameters: dict[str, float] = {}
    try:
        tables = dict(inputs.tables)
        if perturb:
            draws = uncertainty.sample_generators(seed, run)
            parameters = uncertainty.draw_values(inputs.plan.uncertainty.ranges, draws["parameters"])
            for name in _KEYS:
                tables[name] = uncertainty.moved_table(tables[name], inputs.tolerances[name], draws[name])
        plan = apply_values(inputs.plan, parameters)
        population = PopulationParams.from_mapping(population_overrides(parameters), source=plan.source)
        reference = _reference(inputs, plan, tables)
        built = plan_layers(reference, plan, elevation=inputs.elevation,
                            catalogues={name: tables[name] for name in ("infrastructure", "projects")})
        layers = LayerSet([*(layer for layer in reference.values() if layer.name not in PLAN_LAYERS), *built.values()])
        table = indicator_table(layers, plan, elevation=inputs.elevation,
                                options=IndicatorOptions(population=population))
        return SampleResult(run=run, error=None, indicators=table, zones=_zones(layers),
                            districts=_district_grid(layers, inputs), parameters=parameters,
                            seconds=time.perf_counter() - started, cpu_seconds=time.thread_time() - cpu)
    except Exception as error:  # a failed run is recorded, never fatal: the others go on
        logger.debug("run %d failed", run, exc_info=True)
        return SampleResult(run=run, error=_one_line(error), indicators=None, zones=None, districts=None,
                            parameters=parameters, seconds=time.perf_counter() - started,
                            cpu_seconds=time.thread_time() - cpu)


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, workers: int = 2, processes: bool = True) -> Iterator[Client]:
    """A Dask client: on an existing scheduler's address, or on a new ``LocalCluster`` closed on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Its workers are
        configured by whoever runs them; turning off their statistical
        profiler (``distributed.worker.profile.enabled: false``) makes the
        runs much faster.
    workers : int
        Workers of the local cluster (one thread each).
    processes : bool
        Local workers as processes (the default) or threads of this process.

    Raises
    ------
    InputDataError
        If the scheduler cannot be reached.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise InputDataError(f"cannot reach the Dask scheduler at {scheduler} ({_one_line(error)}); "
                                 "start it (dask scheduler) or leave out --scheduler") from None
        with client:
            yield client
        return
    # The local cluster talks TCP on the loopback interface only (thread workers too, so what they
    # receive is serialised as for any cluster) and serves no dashboard. Its workers do not run
    # Dask's statistical profiler: sampling the deep stacks of a run every 10 ms made each run
    # two to three times slower (benchmarks/bench_uncertainty.py).
    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes, protocol="tcp://",
                         host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


def run_on_dask(inputs: UncertaintyInputs, *, runs: int, seed: int, client: Client,
                on_result: Callable[[SampleResult], None] | None = None) -> list[SampleResult]:
    """The plan as it is, then `runs` runs, as tasks on a Dask client; results in run order.

    A task lost with its worker is recorded as a failed run, like a run that fails.
    """
    from dask.distributed import as_completed

    shared = client.scatter(inputs, broadcast=True)
    futures = [client.submit(run_sample, shared, PLANNED_RUN, seed=seed, perturb=False, pure=False)]
    futures += client.map(run_sample, [shared] * runs, list(range(runs)), seed=seed, pure=False)
    numbers = {future.key: number for future, number in zip(futures, [PLANNED_RUN, *range(runs)], strict=True)}
    results = []
    for future in as_completed(futures):
        try:
            result = future.result()
        except Exception as error:  # the worker died or the task was lost
            run = numbers[future.key]
            drawn = {} if run == PLANNED_RUN else uncertainty.draw_values(
                inputs.plan.uncertainty.ranges, uncertainty.sample_generators(seed, run)["parameters"])
            result = SampleResult(run=run, error=_one_line(error), indicators=None, zones=None, districts=None,
                                  parameters=drawn, seconds=0.0)
        if on_result is not None:
            on_result(result)
        results.append(result)
    return sorted(results, key=lambda r: r.run)


def run_sequentially(inputs: UncertaintyInputs, *, runs: int, seed: int) -> list[SampleResult]:
    """The same runs one after the other in this process (the benchmark's baseline)."""
    return [run_sample(inputs, PLANNED_RUN, seed=seed, perturb=False),
            *(run_sample(inputs, run, seed=seed) for run in range(runs))]


@dataclass(frozen=True)
class UncertaintyResult:
    """What the runs add up to.

    Attributes
    ----------
    bands : DataFrame
        :func:`~alatau_geo.analysis.uncertainty.indicator_bands`.
    zones : DataFrame
        :func:`~alatau_geo.analysis.uncertainty.zone_stability`.
    runs : DataFrame
        One row per run: ``run``, ``ok``, ``error``, ``seconds``, and the drawn entries.
    samples : DataFrame
        One row per successful run, one column per indicator.
    probability : numpy.ndarray
        (districts, rows, cols), 0-1.
    transform : Affine
    district_ids : tuple of str
    seed : int
    """

    bands: pd.DataFrame
    zones: pd.DataFrame
    runs: pd.DataFrame
    samples: pd.DataFrame
    probability: np.ndarray
    transform: Affine
    district_ids: tuple[str, ...]
    seed: int

    @property
    def failures(self) -> pd.DataFrame:
        """The runs that failed, with their error."""
        return self.runs[~self.runs["ok"]]


def summarise(results: list[SampleResult], inputs: UncertaintyInputs, *, seed: int) -> UncertaintyResult:
    """Bands, zone stability, the runs table and the district probability from the results.

    Raises
    ------
    InputDataError
        If the plan as it is fails (then every run would).
    """
    planned = next(r for r in results if r.run == PLANNED_RUN)
    if planned.error is not None:
        raise InputDataError(f"the plan as it is cannot be rebuilt: {planned.error}")
    done = [r for r in results if r.run != PLANNED_RUN and r.error is None]
    samples = pd.DataFrame([r.indicators.set_index("id")["value"] for r in done],
                           index=pd.Index([r.run for r in done], name="run"))
    n = len(inputs.district_ids)
    zone_runs = [r.zones.assign(run=r.run) for r in done]
    for frame, result in zip(zone_runs, done, strict=True):
        kept = dict(zip(inputs.district_ids, uncertainty.cells_kept(planned.districts, result.districts, n),
                        strict=True))
        frame["cells_kept"] = np.where(frame["layer"] == "districts", frame["id"].map(kept), np.nan)
    zones = pd.concat(zone_runs, ignore_index=True) if zone_runs else planned.zones.assign(run=0, cells_kept=np.nan)[:0]
    table = pd.DataFrame([{"run": r.run, "ok": r.error is None, "error": r.error or "", "seconds": round(r.seconds, 2),
                           **r.parameters} for r in results if r.run != PLANNED_RUN])
    probability = uncertainty.district_probability([r.districts for r in done], n) if done \
        else np.zeros((n, *inputs.grid[1]), dtype=np.float32)
    return UncertaintyResult(
        bands=uncertainty.indicator_bands(planned.indicators, samples), zones=uncertainty.zone_stability(
            planned.zones, zones), runs=table, samples=samples, probability=probability, transform=inputs.grid[0],
        district_ids=inputs.district_ids, seed=seed)


def write_uncertainty(result: UncertaintyResult, out_dir: str | Path, *, plan: Plan) -> list[Path]:
    """Write the tables (CSV) and the district probability (a GeoTIFF per district, one GeoJSON) into `out_dir`.

    Returns
    -------
    list of Path
    """
    out = Path(out_dir)
    written = [
        write_text(result.bands.to_csv(index=False, lineterminator="\n"), out / "uncertainty_indicators.csv"),
        write_text(result.zones.to_csv(index=False, lineterminator="\n"), out / "uncertainty_zones.csv"),
        write_text(result.runs.to_csv(index=False, lineterminator="\n"), out / "uncertainty_runs.csv"),
        write_text(result.samples.to_csv(lineterminator="\n"), out / "uncertainty_samples.csv"),
    ]
    for k, district in enumerate(result.district_ids):
        raster = Raster(data=result.probability[k], transform=result.transform, crs=WORKING_CRS)
        written.append(write_raster(raster, out / f"district_probability_{district}.tif"))
    cells = uncertainty.probability_cells(result.probability, result.district_ids, transform=result.transform)
    runs = int(result.runs["ok"].sum()) if len(result.runs) else 0
    layer = Layer("district_probability", cells, Provenance(
        source=f"{runs} uncertainty runs of {plan.source} (seed {result.seed})",
        method="share of the runs in which the cell centre lies in each district; every approximate position moved "
               "within its tolerance and the [uncertainty.ranges] entries drawn in each run",
        parameters={"grid_cell_m": plan.uncertainty.grid_cell_m, "seed": result.seed, "runs": runs},
        quality="derived"), title="Probability of lying in each district")
    written.append(write_geojson(layer, out / "district_probability.geojson",
                                 precision=plan.export.coordinate_precision))
    return written


def with_overrides(inputs: UncertaintyInputs, *, tolerances: Mapping[str, np.ndarray] | None = None,
                   plan: Plan | None = None) -> UncertaintyInputs:
    """A copy of `inputs` with other tolerances or another plan (for checks and what-ifs)."""
    return dataclasses.replace(inputs, tolerances=dict(tolerances) if tolerances is not None else inputs.tolerances,
                               plan=plan or inputs.plan)
