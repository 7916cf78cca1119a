"""The plan's residents and jobs on the city's 100 m grid, from the built layers.

:func:`allocate_city` runs the population analysis
(:func:`~alatau_geo.analysis.population.plan_population`) on the layers a
build makes: the zone of every cell from the districts and the city boundary
(:func:`city_grid`), the suitability class of every cell
(:func:`suitability_classes`), today's residents at the settlements and the
investment projects' jobs as seeds (:func:`settlement_seeds`,
:func:`project_seeds`), and the ``[population]`` section of the plan.

The suitability seam
--------------------
:func:`suitability_classes` is the one place that says how suitable each cell
is. A build passes the class raster of the suitability analysis (the plan's
``[suitability]`` section; ``suitability_class.tif`` beside the layers): each
cell takes the class of the suitability cell its centre lies in, and a cell
with no class there (outside the analysed city and SEZ, or a criterion
without data) is unsuitable. A plan without ``[suitability]`` falls back to
the buildable rule of the area report: a cell is buildable (class 3, "high")
when its slope is at most ``analysis.max_buildable_slope_deg`` and its centre
lies outside the reservoir and the water protection zones; every other cell
is unsuitable (class 0).

Grids are numpy arrays on one north-up grid in the working CRS (UTM 43N,
metres); cells are assigned to polygons by their centres.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import rasterio.transform
from affine import Affine

from alatau_geo.analysis import population_grid
from alatau_geo.analysis.capacity import classes_from_buildable
from alatau_geo.analysis.job_figures import job_figures, project_jobs
from alatau_geo.analysis.population import PopulationPlan, plan_population
from alatau_geo.analysis.population_targets import targets_table
from alatau_geo.analysis.suitability import CLASS_LABELS
from alatau_geo.core.crs import WORKING_CRS
from alatau_geo.core.errors import LayerError, PlanError
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.plan.config import Plan
from alatau_geo.plan.population_params import PopulationParams
from alatau_geo.reference.terrain import sample

CELL_M = 100.0
"""Cell size of the population grid, metres."""
PAD_CELLS = 10
"""The grid's rows and columns are a multiple of this, so blocks of 2, 5 or 10 cells hold every city cell."""
BLOCKED_LAYERS = ("reservoir", "water_protection_zone")
"""Layers whose land holds nobody (by cell centre)."""


@dataclass(frozen=True)
class CityGrid:
    """The city's cells: grid, zone of every cell, zone ids.

    Attributes
    ----------
    transform : Affine
        North-up, cells aligned to whole multiples of `cell_m` (UTM 43N).
    shape : (int, int)
        Rows, columns.
    zones : numpy.ndarray of int32
        Index into `zone_ids` of every cell, -1 outside the city.
    zone_ids : tuple of str
        The district ids in layer order, then ``city_rest`` (city land outside them).
    cell_m : float
        Cell size, metres.
    """

    transform: Affine
    shape: tuple[int, int]
    zones: np.ndarray
    zone_ids: tuple[str, ...]
    cell_m: float

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """X and y of every cell centre, as 2-D arrays of the grid's shape."""
        rows, cols = np.indices(self.shape)
        return (self.transform.c + (cols + 0.5) * self.transform.a,
                self.transform.f + (rows + 0.5) * self.transform.e)

    def raster(self, values: np.ndarray) -> Raster:
        """`values` as a float32 raster, NaN outside the city."""
        data = np.where(self.zones >= 0, np.asarray(values, dtype=np.float32), np.nan).astype(np.float32)
        return Raster(data, self.transform, WORKING_CRS)


SUITABILITY_BASIS = ("suitability: the classes of the plan's [suitability] section (suitability_class.tif), each "
                     "100 m cell the class at its centre")
BUILDABLE_BASIS = ("suitability: buildable rule (slope at most the plan's limit, outside the reservoir and the water "
                   "protection zones) as the high class, the plan having no [suitability] section")


@dataclass(frozen=True)
class CityPopulation:
    """Residents and jobs of the plan on the city grid (see :func:`allocate_city`).

    Attributes
    ----------
    grid : CityGrid
    classes : numpy.ndarray of int8
        Suitability class of every cell (0-3, :func:`suitability_classes`).
    result : PopulationPlan
        Capacity, targets, allocation per phase and the summary per zone and year.
    resident_seeds, job_seeds : numpy.ndarray of int64
        Today's residents and the projects' jobs the allocation started from.
    job_figures : DataFrame
        Every jobs figure used, with its basis (:func:`~alatau_geo.analysis.job_figures.job_figures`).
    params : PopulationParams
        The plan's ``[population]`` section the figures come from.
    classes_basis : str
        Where the classes come from (:data:`SUITABILITY_BASIS` or :data:`BUILDABLE_BASIS`).
    """

    grid: CityGrid
    classes: np.ndarray
    result: PopulationPlan
    resident_seeds: np.ndarray
    job_seeds: np.ndarray
    job_figures: pd.DataFrame
    params: PopulationParams
    classes_basis: str = ""

    @property
    def years(self) -> tuple[int, ...]:
        """Phase years, ascending; the last is the target year."""
        return tuple(sorted(self.result.residents))

    def residents(self, year: int | None = None) -> np.ndarray:
        """Whole residents per cell in `year` (default: the target year)."""
        return self.result.residents[self._year(year)].grid

    def jobs(self, year: int | None = None) -> np.ndarray:
        """Whole jobs per cell in `year` (default: the target year)."""
        return self.result.jobs[self._year(year)].grid

    def _year(self, year: int | None) -> int:
        if year is None:
            return self.years[-1]
        if year not in self.result.residents:
            raise PlanError(f"'population.phases': no phase year {year} (years: "
                            f"{', '.join(map(str, self.years))})")
        return year


def city_grid(layers: LayerSet, *, cell_m: float = CELL_M) -> CityGrid:
    """The grid over the city boundary and the zone of every cell.

    Raises
    ------
    LayerError
        If the layers hold no ``districts`` or ``city_boundary``.
    """
    for name in ("districts", "city_boundary"):
        if name not in layers:
            raise LayerError(f"no {name!r} layer: build the zones before the population analysis")
    city = layers["city_boundary"].frame
    transform, (rows, cols) = population_grid.grid_over(tuple(city.total_bounds), cell_m=cell_m)
    shape = (-(-rows // PAD_CELLS) * PAD_CELLS, -(-cols // PAD_CELLS) * PAD_CELLS)
    zones, ids = population_grid.zone_grid(layers["districts"].frame, transform=transform, shape=shape, city=city)
    return CityGrid(transform=transform, shape=shape, zones=zones, zone_ids=ids, cell_m=cell_m)


def _inside(layers: LayerSet, names: tuple[str, ...], grid: CityGrid) -> np.ndarray:
    geometries = [g for name in names if name in layers for g in layers[name].frame.geometry
                  if g is not None and not g.is_empty]
    if not geometries:
        return np.zeros(grid.shape, dtype=bool)
    return rasterio.features.geometry_mask(geometries, out_shape=grid.shape, transform=grid.transform, invert=True)


def buildable_cells(layers: LayerSet, slope: Raster, grid: CityGrid, *, max_slope_deg: float) -> np.ndarray:
    """Buildable city cells: slope at most `max_slope_deg`, outside water and water protection zones.

    The slope (degrees, working grid) is interpolated bilinearly at each cell
    centre; a cell without a slope value is not buildable.

    Returns
    -------
    numpy.ndarray of bool
    """
    xs, ys = grid.centres()
    steepness = sample(slope, xs.ravel(), ys.ravel()).reshape(grid.shape)
    gentle = np.nan_to_num(steepness, nan=90.0) <= max_slope_deg
    return (grid.zones >= 0) & gentle & ~_inside(layers, BLOCKED_LAYERS, grid)


def suitability_classes(layers: LayerSet, slope: Raster, grid: CityGrid, *, plan: Plan,
                        suitability: Raster | None = None) -> np.ndarray:
    """Suitability class of every cell: 0 unsuitable, 1 low, 2 medium, 3 high.

    From the suitability analysis's class raster where there is one (each
    cell takes the class at its centre; no class there is 0); else the
    buildable rule (:func:`buildable_cells`): buildable land is class 3, the
    rest 0 (:func:`~alatau_geo.analysis.capacity.classes_from_buildable`).

    Parameters
    ----------
    layers : LayerSet
        Built layers (``reservoir``, ``water_protection_zone`` where present).
    slope : Raster
        Slope in degrees on the working grid (the buildable rule only).
    grid : CityGrid
    plan : Plan
        ``analysis.max_buildable_slope_deg`` (the buildable rule only).
    suitability : Raster, optional
        Class codes 0-3 in the working CRS (:data:`~alatau_geo.analysis.suitability.NODATA_CLASS`
        or NaN where there is none), as ``suitability_class.tif`` holds them.

    Returns
    -------
    numpy.ndarray of int8, the grid's shape
    """
    if suitability is None:
        return classes_from_buildable(buildable_cells(layers, slope, grid,
                                                      max_slope_deg=plan.analysis.max_buildable_slope_deg))
    xs, ys = grid.centres()
    rows, cols = rasterio.transform.rowcol(suitability.transform, xs.ravel(), ys.ravel())
    rows, cols = np.asarray(rows), np.asarray(cols)
    height, width = suitability.shape
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    codes = np.zeros(rows.size, dtype=float)
    codes[inside] = suitability.data[rows[inside], cols[inside]]
    classes = np.where(np.isin(codes, list(CLASS_LABELS)), codes, 0).astype(np.int8).reshape(grid.shape)
    return np.where(grid.zones >= 0, classes, 0).astype(np.int8)


def settlement_seeds(layers: LayerSet, params: PopulationParams, grid: CityGrid, *,
                     spread: population_grid.Spread = population_grid.spread_on_cells) -> np.ndarray:
    """Today's residents (``population.current``) spread over discs around their places.

    Each place of ``population.current`` is found by id in the ``places``
    layer; its residents cover a disc at ``seed_residents_per_ha`` and are
    spread over the city cells it overlaps (people outside the city are left out).

    Raises
    ------
    PlanError
        If a place of ``population.current`` is not in the ``places`` layer.
    """
    if not params.current:
        return np.zeros(grid.shape, dtype=np.int64)
    places = layers["places"].frame
    missing = sorted(set(params.current) - set(places["id"]))
    if missing:
        raise PlanError(f"'population.current.{missing[0]}': no place with this id in the places table; "
                        "fix the id or add the place")
    today = places[places["id"].isin(list(params.current))].copy()
    today["residents"] = today["id"].map({place: value for place, (value, _) in params.current.items()})
    discs = population_grid.settlement_discs(today, "residents", per_ha=params.seed_residents_per_ha)
    return population_grid.seeds_from_polygons(discs, "residents", zones=grid.zones, transform=grid.transform,
                                               spread=spread)


def project_seeds(layers: LayerSet, params: PopulationParams, grid: CityGrid, *,
                  spread: population_grid.Spread = population_grid.spread_on_cells) -> np.ndarray:
    """The investment projects' jobs (published, else the portfolio average) spread around their points.

    Each project covers a disc at ``seed_jobs_per_ha``; jobs outside the city
    are left out. No ``projects`` layer gives no seeds.
    """
    if "projects" not in layers or layers["projects"].frame.empty:
        return np.zeros(grid.shape, dtype=np.int64)
    projects = project_jobs(layers["projects"].frame, params=params)
    projects = projects.set_geometry(projects.geometry.representative_point())
    discs = population_grid.settlement_discs(projects, "jobs", per_ha=params.seed_jobs_per_ha)
    return population_grid.seeds_from_polygons(discs, "jobs", zones=grid.zones, transform=grid.transform,
                                               spread=spread)


def allocate_city(layers: LayerSet, plan: Plan, *, slope: Raster, suitability: Raster | None = None,
                  spread: population_grid.Spread = population_grid.spread_on_cells) -> CityPopulation:
    """Capacity, targets and the phased allocation of residents and jobs on the city grid.

    Parameters
    ----------
    layers : LayerSet
        Built layers: ``districts``, ``city_boundary``, ``places``, and
        ``reservoir``, ``water_protection_zone``, ``projects`` where present.
    plan : Plan
        Its ``population`` section and the buildable slope limit.
    slope : Raster
        Slope in degrees on the working grid.
    suitability : Raster, optional
        The suitability analysis's class codes (:func:`suitability_classes`);
        without it the buildable rule stands for them.
    spread : callable, optional
        Spreads the settlements' residents and the projects' jobs over the
        cells (:func:`~alatau_geo.analysis.population_grid.spread_on_cells`,
        or a build's memo of it).

    Returns
    -------
    CityPopulation

    Raises
    ------
    PlanError
        If a zone has no density or target in the plan, or a seed place is unknown.
    LayerError
        If the zones are not built.
    """
    params = plan.population
    grid = city_grid(layers)
    classes = suitability_classes(layers, slope, grid, plan=plan, suitability=suitability)
    residents = settlement_seeds(layers, params, grid, spread=spread)
    jobs = project_seeds(layers, params, grid, spread=spread)
    result = plan_population(grid.zones, classes, cell_m=grid.cell_m, zone_ids=grid.zone_ids, params=params,
                             resident_seeds=residents, job_seeds=jobs)
    figures = job_figures(params, targets_table(params, grid.zone_ids))
    return CityPopulation(grid=grid, classes=classes, result=result, resident_seeds=residents, job_seeds=jobs,
                          job_figures=figures, params=params,
                          classes_basis=BUILDABLE_BASIS if suitability is None else SUITABILITY_BASIS)


def people_blocks(population: CityPopulation, *, year: int | None = None, block: int = 5) -> gpd.GeoDataFrame:
    """Residents and jobs in blocks of `block` x `block` cells, as points for the network analyses.

    Parameters
    ----------
    population : CityPopulation
    year : int, optional
        Phase year; default the target year.
    block : int
        Cells per block side (5: 500 m blocks on the 100 m grid).

    Returns
    -------
    GeoDataFrame
        One point per block holding anyone (its centre): ``id``
        (``cell_<row>_<col>`` of the block grid), ``zone``, ``residents``,
        ``jobs`` (whole numbers), ``*_basis`` (``allocated``), ``kind``,
        ``in_demand``; working CRS.
    """
    grid = population.grid
    grids = {"residents": population.residents(year), "jobs": population.jobs(year)}
    return population_grid.cells_frame(grids, grid.zones, zone_ids=grid.zone_ids, transform=grid.transform,
                                       block=block)


def people_within(polygons: gpd.GeoSeries | gpd.GeoDataFrame, population: CityPopulation, *,
                  year: int | None = None) -> pd.DataFrame:
    """Residents and jobs of the cells whose centre lies inside each polygon.

    Parameters
    ----------
    polygons : GeoSeries or GeoDataFrame
        In the working CRS; index kept.
    population : CityPopulation
    year : int, optional
        Phase year; default the target year.

    Returns
    -------
    DataFrame
        Index of `polygons`; ``residents`` and ``jobs`` (int64).
    """
    grid = population.grid
    residents, jobs = population.residents(year), population.jobs(year)
    rows = []
    for geometry in polygons.geometry:
        if geometry is None or geometry.is_empty:
            rows.append((0, 0))
            continue
        inside = rasterio.features.geometry_mask([geometry], out_shape=grid.shape, transform=grid.transform,
                                                 invert=True)
        rows.append((int(residents[inside].sum()), int(jobs[inside].sum())))
    return pd.DataFrame(rows, columns=["residents", "jobs"], index=polygons.index, dtype="int64")
