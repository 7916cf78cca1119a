"""Content-hash caching of the build's stages in the workspace cache.

A build runs four stages, each on the results of the one before:
``reference`` (terrain, hydrology, water, gazetteer layers), ``zones``,
``placement`` (infrastructure and projects) and ``analyses``. Each stage's
key is a SHA-256 of everything its result can depend on: the key of the
stage before, the plan sections and table contents it reads, the export
precision, the toolkit's own source code and the versions of the libraries
that compute. When a stage's key is found in the cache, its stored result
(:mod:`alatau_geo.core.stage_store`, exact to the last bit) is used instead
of running it. So after an edit of one district only the zones, the
placement and the analyses are rebuilt, and a cached build gives exactly the
layers an uncached one does.

The keys are conservative: a stage after the reference one is keyed on
every plan section it might read, so a needless rebuild can happen, a
stale result cannot.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alatau_geo.core.layers import LayerSet
from alatau_geo.core.raster import Raster
from alatau_geo.core.stage_store import Uncacheable, encode_layer, read_stage, write_stage
from alatau_geo.plan.config import Plan

logger = logging.getLogger(__name__)

STAGES = ("reference", "zones", "placement", "analyses")
"""The cached stages, in build order."""
KEEP_PER_STAGE = 4
"""Results kept per stage (the newest); older ones are removed when a new one is stored."""
_LIBRARIES = ("numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio", "pyflwdir",
              "numba", "networkx", "osmnx", "tobler")
_UNCACHED_FOLDERS = ("maps", "cli", "vendor")  # their code cannot change a layer


def digest(*parts: Any) -> str:
    """SHA-256 (hex, 32 characters) of plain data; objects enter by their ``repr``.

    Examples
    --------
    >>> digest({"b": 1, "a": (2, 3)}) == digest({"a": [2, 3], "b": 1})
    True
    """
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def file_digest(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_digest() -> str:
    """What the computing code is: the toolkit's source (but maps and CLI) and the library versions."""
    package = Path(__file__).resolve().parents[1]
    sources = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in _UNCACHED_FOLDERS:
            continue
        sources.update(str(relative).encode())
        sources.update(path.read_bytes())
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return digest(sources.hexdigest(), versions)


def table_digests(plan: Plan, names: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each named table the plan reads (its own file, or the one shipped with the package)."""
    digests = {}
    for name in names:
        given = getattr(plan.tables, name)
        path = Path(given) if given else resources.files("alatau_geo.data") / f"{name}.csv"
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def content_digest(layers: LayerSet, raster: Raster | None = None) -> str:
    """SHA-256 of layers and a raster as stored exactly (:mod:`alatau_geo.core.stage_store`).

    Stands for reference layers that were not built from tiles in this run.

    Raises
    ------
    Uncacheable
        If a layer holds a value the store cannot keep exactly.
    """
    hashed = hashlib.sha256()
    for layer in layers.values():
        hashed.update(json.dumps(encode_layer(layer), sort_keys=True, allow_nan=True).encode("utf-8"))
    if raster is not None:
        hashed.update(repr((raster.data.dtype.str, raster.data.shape, tuple(raster.transform), raster.crs.to_wkt()))
                      .encode("utf-8"))
        hashed.update(raster.data.tobytes())
    return hashed.hexdigest()


@dataclass(frozen=True)
class StageKeys:
    """The key of each stage of one build (see the module docstring)."""

    reference: str
    zones: str
    placement: str
    analyses: str


def stage_keys(plan: Plan, *, tiles: Mapping[str, Path] | None, osm_path: Path | None,
               reference_digest: str | None = None) -> StageKeys:
    """The stage keys of a build of `plan`.

    Parameters
    ----------
    plan : Plan
    tiles : mapping of tile name to file, or None
        The SRTM tiles read (their contents enter the reference key).
    osm_path : Path or None
        An OpenStreetMap extract added to the reference layers.
    reference_digest : str, optional
        Stands for the reference layers when they are not built from tiles
        (a build from committed layers: the digest of those files).
    """
    code = code_digest()
    tables = table_digests(plan, [field.name for field in dataclasses.fields(plan.tables)])
    precision = plan.export.coordinate_precision
    if reference_digest is None:
        tile_digests = {name: file_digest(path) for name, path in sorted((tiles or {}).items())}
        reference_digest = digest(tile_digests, repr(plan.study_area), repr(plan.terrain), repr(plan.hydrology),
                                  repr(plan.water_protection), repr(plan.tables), plan.source,
                                  tables)  # every table: the gazetteer layers read several
    reference = digest("reference", code, reference_digest)
    with_osm = digest(reference, str(osm_path), file_digest(osm_path)) if osm_path is not None else reference
    zones = digest("zones", with_osm, repr(plan.zones), repr(plan.analysis), plan.source, precision)
    # Placement may read any section but the zones (in their key), the network and the radii (analyses only).
    rest = {name: repr(getattr(plan, name)) for name in ("study_area", "terrain", "hydrology", "water_protection",
                                                         "tables", "export", "analysis")}
    placement = digest("placement", zones, rest, tables, plan.source)
    analyses = digest("analyses", placement, repr(plan.network), repr(dict(plan.service_radii_m)))
    return StageKeys(reference=reference, zones=zones, placement=placement, analyses=analyses)


@dataclass(frozen=True)
class StageResult:
    """What a stage stores: its layers, optionally a raster and figures."""

    layers: LayerSet
    raster: Raster | None = None
    figures: dict[str, Any] | None = None


@dataclass(frozen=True)
class StageCache:
    """The stage results kept in a folder (``None``: no caching).

    Examples
    --------
    >>> cache = StageCache(None)
    >>> cache.run("zones", "0" * 32, lambda: StageResult(LayerSet())).layers
    LayerSet()
    """

    folder: Path | None

    def path(self, stage: str, key: str) -> Path:
        """The file of one stage result."""
        if self.folder is None:
            raise ValueError("no cache folder")
        return self.folder / "stages" / f"{stage}-{key}.json"

    def load(self, stage: str, key: str) -> StageResult | None:
        """The stored result of `stage` under `key`, or None (not there, or unreadable)."""
        if self.folder is None:
            return None
        path = self.path(stage, key)
        if not path.is_file():
            return None
        try:
            layers, raster, figures = read_stage(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.debug("stage cache %s unreadable, rebuilding: %s", path, error)
            return None
        return StageResult(layers=layers, raster=raster, figures=figures)

    def save(self, stage: str, key: str, result: StageResult) -> None:
        """Store a result; a result that cannot be stored exactly, or a failed write, is only logged."""
        if self.folder is None:
            return
        path = self.path(stage, key)
        try:
            write_stage(path, layers=result.layers, raster=result.raster, figures=result.figures)
        except (Uncacheable, OSError) as error:
            logger.debug("stage %s not cached: %s", stage, error)
            return
        older = sorted(path.parent.glob(f"{stage}-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for stale in older[KEEP_PER_STAGE:]:
            stale.unlink(missing_ok=True)

    def run(self, stage: str, key: str, compute: Callable[[], StageResult]) -> StageResult:
        """The stored result of `stage` under `key`, else ``compute()`` (then stored)."""
        cached = self.load(stage, key)
        if cached is not None:
            logger.debug("stage %s: cached (%s)", stage, key)
            return cached
        result = compute()
        self.save(stage, key, result)
        return result
