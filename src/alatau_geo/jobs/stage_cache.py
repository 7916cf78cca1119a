"""Content-hash caching of the build's stages in the workspace cache.

A build runs these stages, each on the results of those before it:

==============  ==============================================================================
stage           what its key covers (besides the code and the library versions)
==============  ==============================================================================
reference       the SRTM tiles' bytes and file names, or the committed layer files and terrain
                raster a build without tiles keeps; the study area, terrain, hydrology and water
                protection sections, every table's bytes, the plan's path
mountain        the tiles, the ``[mountain]`` section, the mountain places and river names
zones           the reference key, an OSM extract's bytes, the zone rules, ``[analysis]``,
                ``[export]``
placement       the zones key and every section the placement may read
population      the placement key and every section but those of the network and the maps
analyses        the population key and the network and service radii
suitability     the analyses and mountain keys and ``[suitability]``
==============  ==============================================================================

Each key is a SHA-256 of exactly those inputs (plan sections by their
``repr``, which is complete for the plan's frozen dataclasses; tables and
tiles by their bytes), of the key of the stage before, of the toolkit's
source (the map and command-line code aside: they change no layer) and of
the versions of the libraries that compute. When a stage's key is in the
cache, its stored result (:mod:`alatau_geo.core.stage_store`, exact to the
last bit) is used instead of running it, so a cached build writes exactly
the bytes an uncached one does. A damaged entry is reported as a warning,
removed and computed again.

The keys are conservative: a later stage is keyed on every plan section it
might read, so a needless rebuild can happen, a stale result cannot.

The cache also times every stage and step of the build (:class:`StageRun`);
``alatau-geo -v build`` prints them, and the pipeline benchmark reads them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from alatau_geo.core.atomic import atomic_write, remove_stale_temporaries, text_writer
from alatau_geo.core.errors import StageCacheError
from alatau_geo.core.generation import file_digest
from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.core.stage_store import FILES_FOLDER, StoredStage, read_stage, write_stage
from alatau_geo.plan.config import Plan

logger = logging.getLogger(__name__)

__all__ = ["STAGES", "StageCache", "StageKeys", "StageOutput", "StageRun", "code_digest", "digest",
           "package_digest", "plan_part", "stage_keys", "table_digests"]

STAGES = ("reference", "mountain", "zones", "placement", "population", "analyses", "suitability")
"""The cached stages, in build order."""
KEEP_PER_STAGE = 3
"""Entries kept per stage and per record kind (the most recently used); older ones are removed."""
CACHE_FOLDER = "stages"
"""Sub-folder of the workspace cache holding the stage entries and output records."""
_LIBRARIES = ("numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio", "pyflwdir",
              "numba", "networkx", "osmnx", "tobler", "spopt", "folium")
# Code that cannot change a layer: a change there keeps the stage entries.
_PRESENTATION = ("maps", "cli", "api", "vendor")
# Sections no stage of a build reads: ``alatau-geo site`` and ``uncertainty`` record theirs apart.
_NEVER_READ = ("uncertainty", "siting", "maps")


# --------------------------------------------------------------------------- digests


def digest(*parts: Any) -> str:
    """SHA-256 (32 hex digits) of plain data; other objects enter by their ``repr``.

    Examples
    --------
    >>> digest({"b": 1, "a": (2, 3)}) == digest({"a": [2, 3], "b": 1})
    True
    """
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _sources(*, skip: Sequence[str], suffixes: Sequence[str]) -> str:
    package = Path(__file__).resolve().parents[1]
    hashed = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.suffix not in suffixes or relative.parts[0] in skip or "__pycache__" in relative.parts:
            continue
        hashed.update(str(relative).encode())
        hashed.update(path.read_bytes())
    return hashed.hexdigest()


@cache
def code_digest() -> str:
    """What the computing code is: the toolkit's source (maps and command line aside), its version, the libraries."""
    from alatau_geo import __version__

    return digest(_sources(skip=_PRESENTATION, suffixes=(".py",)), __version__, _versions())


@cache
def package_digest() -> str:
    """Every file of the toolkit (maps, their scripts and styles included) and the library versions."""
    from alatau_geo import __version__

    return digest(_sources(skip=(), suffixes=(".py", ".js", ".css", ".png", ".json", ".toml", ".csv", ".html")),
                  __version__, _versions())


def table_digests(plan: Plan) -> dict[str, str]:
    """SHA-256 of the bytes of every table the plan names (its own file, or the one shipped with the package)."""
    digests = {}
    for table in dataclasses.fields(plan.tables):
        given = getattr(plan.tables, table.name)
        path = Path(given) if given else resources.files("alatau_geo.data") / f"{table.name}.csv"
        try:
            digests[table.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as error:
            digests[table.name] = f"unreadable: {error}"  # the stage itself then says what is wrong
    return digests


def plan_part(plan: Plan, *, omit: Sequence[str] = ()) -> dict[str, str]:
    """The ``repr`` of every plan section but those in `omit` (and those no build reads).

    A section added to the plan later is covered without a change here.
    """
    left_out = {*omit, *_NEVER_READ}
    return {f.name: repr(getattr(plan, f.name)) for f in dataclasses.fields(plan) if f.name not in left_out}


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class StageKeys:
    """The key of each stage of one build (see the module docstring); ``mountain`` is None without tiles."""

    reference: str
    mountain: str | None
    zones: str
    placement: str
    population: str
    analyses: str
    suitability: str

    def values(self) -> tuple[str | None, ...]:
        """Every key, in build order."""
        return tuple(getattr(self, name) for name in STAGES)


def stage_keys(plan: Plan, *, reference: str, mountain: str | None = None, osm: str | None = None,
               hazards: str | None = None) -> StageKeys:
    """The keys of the stages after the reference one.

    Parameters
    ----------
    plan : Plan
    reference : str
        The reference stage's key.
    mountain : str, optional
        The mountain stage's key (a build from the tiles).
    osm : str, optional
        Digest of an OSM extract whose layers the zones may use.
    hazards : str, optional
        Digest of the height-above-drainage rasters the suitability reads.
    """
    code, tables = code_digest(), table_digests(plan)
    zones = digest("zones", code, reference, osm, plan_part(plan, omit=[f.name for f in dataclasses.fields(plan)
                                                                       if f.name not in ("zones", "analysis",
                                                                                         "export", "source")]))
    # The zones are in the zones key; the network, radii and people are read only by later stages.
    placement = digest("placement", code, zones, tables,
                       plan_part(plan, omit=("zones", "network", "service_radii_m", "population", "mountain")))
    # The suitability reads the zones and placed objects; the residents are allocated on its classes.
    suitability = digest("suitability", code, placement, mountain, hazards,
                         plan_part(plan, omit=("network", "service_radii_m", "population")))
    population = digest("population", code, suitability, plan_part(plan, omit=("network", "service_radii_m",
                                                                               "mountain")))
    analyses = digest("analyses", code, population, plan_part(plan, omit=("mountain",)))
    return StageKeys(reference=reference, mountain=mountain, zones=zones, placement=placement,
                     population=population, analyses=analyses, suitability=suitability)


# --------------------------------------------------------------------------- the cache


@dataclass(frozen=True)
class StageOutput:
    """What a stage gives: results to store, and what only the run that computed it has.

    Attributes
    ----------
    layers, rasters, arrays, figures
        Stored exactly (:func:`alatau_geo.core.stage_store.write_stage`).
    files : tuple of str
        Output files the stage wrote into its files folder.
    files_dir : Path or None
        Where those files are now (the cache entry, or the output folder).
    value : object
        An in-memory result the stage computed (None when it was read from the cache).
    computed : bool
        Whether this run computed the stage (else it was read from the cache).
    """

    layers: LayerSet = field(default_factory=LayerSet)
    rasters: Mapping[str, Raster] = field(default_factory=dict)
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)
    figures: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    files_dir: Path | None = None
    value: Any = None
    computed: bool = False


@dataclass(frozen=True)
class StageRun:
    """One stage or step of a build: how it ran, its wall and processor time (s), its peak of memory (MB).

    ``status`` is ``computed``, ``cached`` (read from the cache), ``reused``
    (outputs identical to those in place were kept), ``differ`` (they were
    not) or ``ran`` (a step that is not cached). ``peak_mb`` is the peak of
    memory allocated through Python while the stage ran, None unless
    :mod:`tracemalloc` traces. ``beside`` is true for a stage that ran in a
    second process (:mod:`alatau_geo.jobs.forked`) at the same time as the
    stages around it.
    """

    stage: str
    status: str
    seconds: float
    cpu_seconds: float
    peak_mb: float | None = None
    beside: bool = False


class StageCache:
    """Stage entries kept in a folder (``None``: nothing is read or written), and the timing of every stage.

    Parameters
    ----------
    folder : Path or None
        The workspace cache (entries go into its ``stages/`` sub-folder); None
        computes every stage (``--no-cache``).

    Examples
    --------
    >>> cache = StageCache(None)
    >>> cache.run("zones", "0" * 32, lambda files: StageOutput(value=1)).computed
    True
    >>> [run.status for run in cache.runs]
    ['computed']
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) / CACHE_FOLDER if folder is not None else None
        self.runs: list[StageRun] = []
        self._cleaned = False

    @property
    def enabled(self) -> bool:
        """Whether entries are read and written."""
        return self.folder is not None

    def runs_since(self, start: int, *, parent: int) -> list[StageRun]:
        """The runs timed from the `start`-th on, marked ``beside`` when this is not the process `parent`.

        A forked process sends them back to the one that forked it, whose
        profile then tells them from its own stages.
        """
        return [dataclasses.replace(run, beside=os.getpid() != parent) for run in self.runs[start:]]

    @contextmanager
    def timed(self, stage: str, status: str = "ran") -> Iterator[list[str]]:
        """Time a block as one stage; the block may replace the status by appending to the yielded list."""
        tracing = tracemalloc.is_tracing()
        if tracing:
            tracemalloc.reset_peak()
        start, start_cpu = time.perf_counter(), time.process_time()
        said: list[str] = []
        try:
            yield said
        finally:
            peak = tracemalloc.get_traced_memory()[1] / 1e6 if tracing else None
            self.runs.append(StageRun(stage, said[-1] if said else status, time.perf_counter() - start,
                                      time.process_time() - start_cpu, peak))

    def run(self, stage: str, key: str | None, compute: Callable[[Path | None], StageOutput], *,
            out_dir: Path | None = None, timed: bool = True) -> StageOutput:
        """The stored result of `stage` under `key`, else ``compute(files_dir)`` (then stored).

        `compute` writes the stage's output files into the folder it is given;
        without a cache (or a `key`) that is `out_dir` itself. With `timed`
        False the run is not listed in :attr:`runs` (a part of a larger step).
        """
        if not timed:
            return self._run(stage, key, compute, out_dir=out_dir)[0]
        with self.timed(stage) as status:
            output, how = self._run(stage, key, compute, out_dir=out_dir)
            status.append(how)
            return output

    def holds(self, stage: str, key: str | None) -> bool:
        """Whether `stage` under `key` is stored (an entry found damaged when read is computed then)."""
        return self.folder is not None and key is not None and (self.folder / f"{stage}-{key}").is_dir()

    def _run(self, stage: str, key: str | None, compute: Callable[[Path | None], StageOutput], *,
             out_dir: Path | None) -> tuple[StageOutput, str]:
        if self.folder is None or key is None:
            return dataclasses.replace(compute(out_dir), files_dir=out_dir, computed=True), "computed"
        self._clean()
        entry = self.folder / f"{stage}-{key}"
        stored = self._load(stage, entry)
        if stored is not None:
            return StageOutput(layers=stored.layers, rasters=stored.rasters, arrays=stored.arrays,
                               figures=stored.figures, files=tuple(stored.files),
                               files_dir=entry / FILES_FOLDER), "cached"
        return self._compute(stage, entry, compute), "computed"

    def _load(self, stage: str, entry: Path) -> StoredStage | None:
        if not entry.is_dir():
            return None
        try:
            stored = read_stage(entry)
        except StageCacheError as error:
            logger.warning("ignoring a damaged stage cache entry (computing %s again): %s", stage, error)
            shutil.rmtree(entry, ignore_errors=True)
            return None
        _touch(entry)
        return stored

    def _compute(self, stage: str, entry: Path, compute: Callable[[Path | None], StageOutput]) -> StageOutput:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        # Named as core.atomic names its temporaries: a killed build's are removed by the next one, and the
        # files written in it are not flushed to disk one by one (a damaged entry fails its digests when read).
        work = Path(tempfile.mkdtemp(prefix=f".{stage}.pid{os.getpid()}.", suffix=".tmp", dir=self.folder))
        files_dir = work / FILES_FOLDER
        files_dir.mkdir()
        try:
            output = compute(files_dir)
            try:
                write_stage(work, layers=output.layers, rasters=output.rasters, arrays=output.arrays,
                            figures=output.figures, files=output.files)
                _store(work, entry)
            except (StageCacheError, OSError) as error:
                logger.info("stage %s not cached: %s", stage, error)
                # The files are still needed by this build: keep them beside the entries until the next prune.
                entry = work
            self._prune(f"{stage}-*")
            return dataclasses.replace(output, files_dir=entry / FILES_FOLDER, computed=True)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def _prune(self, pattern: str) -> None:
        assert self.folder is not None
        entries = sorted(self.folder.glob(pattern), key=_mtime, reverse=True)
        for old in entries[KEEP_PER_STAGE:]:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)

    def _clean(self) -> None:
        """Remove, once, what builds that were killed left in the cache (their process has ended)."""
        if not self._cleaned and self.folder is not None and self.folder.is_dir():
            for removed in remove_stale_temporaries(self.folder):
                logger.debug("removed %s, left by an interrupted run", removed)
        self._cleaned = True

    # ----------------------------------------------------------------------- output records

    def record(self, kind: str, key: str) -> dict[str, Any] | None:
        """The record of outputs written under `key` (:meth:`save_record`), or None."""
        if self.folder is None:
            return None
        path = self.folder / f"{kind}-{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.warning("ignoring a damaged output record %s: %s", path, error)
            path.unlink(missing_ok=True)
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            logger.warning("ignoring a damaged output record %s", path)
            path.unlink(missing_ok=True)
            return None
        _touch(path)
        return data

    def save_record(self, kind: str, key: str, data: Mapping[str, Any]) -> None:
        """Keep a record of outputs written under `key` (JSON; a failed write is only logged)."""
        if self.folder is None:
            return
        path = self.folder / f"{kind}-{key}.json"
        text = json.dumps({**data, "key": key}, ensure_ascii=False, allow_nan=True)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._clean()
            atomic_write(path, text_writer(text))
        except OSError as error:
            logger.info("output record %s not kept: %s", path, error)
            return
        self._prune(f"{kind}-*.json")


def _store(work: Path, entry: Path) -> None:
    """Rename the finished folder `work` to `entry`, unless another process stored the same key meanwhile.

    Two processes may compute one stage with the same inputs at once (``diff``
    builds its two scenarios side by side, and two scenarios can share a
    stage): the same key gives the same results, so the entry there first is
    kept, untouched while the other process may be reading its files, and
    `work` is dropped.
    """
    try:
        os.rename(work, entry)
    except OSError:
        if not entry.is_dir():
            raise
        shutil.rmtree(work, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache still serves; only its pruning order suffers


def file_digests(paths: Mapping[str, Path]) -> dict[str, str]:
    """SHA-256 of each named file (an input the key covers by content, e.g. a tile)."""
    return {name: file_digest(Path(path)) for name, path in sorted(paths.items())}
