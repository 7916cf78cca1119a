"""Outputs a build need not write again: layers and maps byte-identical to those already in place.

A build writes a new generation of its output folders
(:mod:`alatau_geo.core.staging`). When every stage came from the cache and
the plan, options and code are those that wrote the folder in place, the
new generation would hold the same bytes: the files are then linked from
the old folder into the staging folder instead of being exported or
rendered again, and the generation is swapped in as usual (locked, with a
journal). What decides it is a record the cache keeps of each export and
each set of maps (:meth:`~alatau_geo.jobs.stage_cache.StageCache.save_record`):
the key of everything that made them, and the SHA-256 of every file
written. Every file in place is hashed and checked against the record
before it is reused, so a file edited or damaged since is written afresh.

This module imports no map or analysis code: a build that reuses
everything starts and ends quickly.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from alatau_geo.analysis.layer_names import HAZARD_LAYERS
from alatau_geo.core.changes import LayerChange, compare_layers, layer_measure
from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.core.errors import LayerError
from alatau_geo.core.export_geometry import ExportedGeometries, PreparedLayer, prepare_layer
from alatau_geo.core.generation import check_folder, file_digest, generation_files, generation_id
from alatau_geo.core.geojson import collection_text, load_json, read_layer
from alatau_geo.core.gpkg import FirstTables, write_first_tables
from alatau_geo.core.io import ExportResult, copy_file, export_layers
from alatau_geo.core.layers import Layer, LayerSet
from alatau_geo.core.manifest import MANIFEST_NAME
from alatau_geo.core.stage_store import geometries_from_arrays, geometry_arrays
from alatau_geo.jobs.memo import exported_memo
from alatau_geo.jobs.stage_cache import StageCache, StageOutput, digest, package_digest, plan_part
from alatau_geo.plan.config import Plan

logger = logging.getLogger(__name__)

__all__ = ["CopiedFiles", "StageFiles", "WrittenMap", "export_key", "export_or_reuse", "maps_key", "record_export",
           "record_maps", "reuse_export", "reuse_maps"]

_LAYERS, _MAPS, _GENERATION = "layers", "maps", "generation"
_TEXT = "layer.geojson"
_FIRST_TABLES = "first_tables.gpkg"
GPKG_NAME = "alatau_geo.gpkg"
"""The GeoPackage a build writes beside the GeoJSON files."""


@dataclass(frozen=True)
class WrittenMap:
    """One written map page."""

    name: str
    path: Path
    size_bytes: int


def export_key(keys: Sequence[str | None], *, built_by: Mapping[str, Any] | None, precision: int,
               extra_files: Sequence[str], gpkg_name: str) -> str:
    """The key of an export: the stage keys, the manifest's ``built_by`` record and the export settings."""
    return digest("export", package_digest(), list(keys), dict(built_by or {}), precision, sorted(extra_files),
                  gpkg_name)


def _same_files(folder: Path, files: Mapping[str, str]) -> bool:
    try:
        return all(file_digest(folder / name) == sha for name, sha in files.items())
    except OSError:
        return False


def _link(source: Path, target: Path) -> None:
    # A hard link costs nothing; the old folder is removed after the swap, its files live on here.
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def reuse_export(cache: StageCache, key: str, *, layers_dir: Path, out_dir: Path,
                 gpkg_name: str) -> tuple[ExportResult, list[LayerChange]] | None:
    """Link the layers in `layers_dir` into `out_dir` when they are what the export under `key` wrote.

    Returns
    -------
    (ExportResult, list of LayerChange) or None
        The files now in `out_dir` and every layer as unchanged (features
        and measures from the record); None when the record is missing or a
        file differs (the caller then exports).
    """
    record = cache.record(_LAYERS, key)
    if record is None:
        return None
    files = dict(record["files"])
    if not _same_files(layers_dir, {**files, MANIFEST_NAME: record["manifest"]}):
        logger.debug("the layers in %s are not those of the recorded export: exporting", layers_dir)
        return None
    for name in [*files, MANIFEST_NAME]:
        _link(layers_dir / name, out_dir / name)
    changes = [LayerChange(name, "unchanged", count, count, measure, value, value)
               for name, measure, value, count in record["changes"]]
    geojson = tuple(out_dir / name for name in sorted(files) if name.endswith(".geojson"))
    return ExportResult(directory=out_dir, geojson=geojson, gpkg=out_dir / gpkg_name,
                        manifest=out_dir / MANIFEST_NAME), changes


def record_export(cache: StageCache, key: str, export: ExportResult, changes: Sequence[LayerChange], *,
                  sources: Mapping[str, str | None]) -> None:
    """Keep the records of an export just written.

    Under `key`, its files and each layer's features and measure (for
    :func:`reuse_export`); under its generation id, the stage key each
    layer came from too (for :func:`compare_to_previous`).
    """
    if not cache.enabled:
        return
    files = generation_files(export.directory) or {}
    rows = [[c.name, c.measure, c.after, c.features_after] for c in changes if c.status != "removed"]
    cache.save_record(_LAYERS, key, {"manifest": file_digest(export.manifest), "files": files, "changes": rows})
    layers = {c.name: {"key": sources.get(c.name), "measure": c.measure, "value": c.after,
                       "features": c.features_after, "file": f"{c.name}.geojson"}
              for c in changes if c.status != "removed"}
    cache.save_record(_GENERATION, generation_id(files), {"layers": layers})


def maps_key(plan: Plan, *, layers_folder: Path, layers_dir: Path, maps_dir: Path, offline: bool,
             check_files: bool = True) -> str | None:
    """The key of a build's maps, or None when the layers folder records no generation (nothing is reused then).

    Parameters
    ----------
    plan : Plan
        Its suitability and language shape the pages.
    layers_folder : Path
        The layers the pages are made from, now (a build's staging folder).
    layers_dir, maps_dir : Path
        Where the layers and the pages will be (the pages link to the layers).
    offline : bool
    check_files : bool, default True
        Check every file of `layers_folder` against its manifest first;
        False when the caller has just written them all and the manifest
        itself (a build recording its pages, which read some 20 MB back for
        it, at the very end of the build).

    Raises
    ------
    LayerError
        If a file of `layers_folder` is not the one its manifest records.
    """
    files = generation_files(layers_folder)
    if files is None:
        return None
    generation = check_folder(layers_folder) if check_files else generation_id(files)
    where = os.path.relpath(layers_dir.resolve(), maps_dir.resolve())
    return digest("maps", package_digest(), generation, files, offline, where,
                  plan_part(plan), plan.maps.language)


def reuse_maps(cache: StageCache, key: str | None, *, maps_dir: Path, out_dir: Path) -> list[WrittenMap] | None:
    """Link the pages in `maps_dir` into `out_dir` when they are those written under `key`; else None."""
    record = cache.record(_MAPS, key) if key is not None else None
    if record is None:
        return None
    pages = dict(record["pages"])
    if not _same_files(maps_dir, {f"{name}.html": sha for name, sha in pages.items()}):
        return None
    written = []
    for name in pages:
        _link(maps_dir / f"{name}.html", out_dir / f"{name}.html")
        written.append(WrittenMap(name=name, path=out_dir / f"{name}.html",
                                  size_bytes=(out_dir / f"{name}.html").stat().st_size))
    return written


def record_maps(cache: StageCache, key: str | None, pages: Sequence[WrittenMap]) -> None:
    """Keep the record of the pages just written under `key`."""
    if key is not None and cache.enabled:
        cache.save_record(_MAPS, key, {"pages": {page.name: file_digest(page.path) for page in pages}})


@dataclass(frozen=True)
class StageFiles:
    """Files of a stage that go beside the layers."""

    output: StageOutput
    names: list[str]

    def place(self, out_dir: Path) -> list[str]:
        """Copy the files into `out_dir` (unless they were written there); their names."""
        if self.output.files_dir is not None and self.output.files_dir.resolve() != out_dir.resolve():
            for name in self.names:
                copy_file(self.output.files_dir / name, out_dir / name)
        return self.names


@dataclass(frozen=True)
class CopiedFiles:
    """Files of an earlier build that go beside the layers as they are (each from its folder)."""

    sources: dict[str, Path]

    def place(self, out_dir: Path) -> list[str]:
        """Copy the files into `out_dir`; their names."""
        for name, folder in self.sources.items():
            if folder.resolve() != out_dir.resolve():
                copy_file(folder / name, out_dir / name)
        return list(self.sources)


def export_or_reuse(layers: LayerSet, plan: Plan, *, cache: StageCache,  # noqa: PLR0913
                    keys: Iterable[str | None], layers_dir: Path, out_dir: Path,
                    built_by: Mapping[str, Any] | None, outputs: Sequence[StageFiles | CopiedFiles],
                    sources: Mapping[str, str | None], previous: Callable[[], LayerSet | None],
                    ready: Callable[[], None] | None = None,
                    prepared: Mapping[str, tuple[PreparedLayer, str]] | None = None,
                    ) -> tuple[ExportResult, list[LayerChange]]:
    """Export `layers` and the stages' files into `out_dir`, or link the layers in place when they are the same.

    Parameters
    ----------
    layers : LayerSet
    plan : Plan
        Its export precision.
    cache : StageCache
    keys : iterable of str
        The build's stage keys.
    layers_dir : Path
        The layers in place (compared with, or reused).
    out_dir : Path
        The folder written (a staging folder).
    built_by : mapping or None
        The manifest's ``built_by`` record.
    outputs : sequence
        The files that go beside the layers.
    sources : mapping of str to str or None
        The key of the stage each layer comes from (:func:`compare_to_previous`).
    previous : callable
        Gives the previous layers to compare with, when the cache holds no
        record of them (read only when exporting).
    ready : callable, optional
        Called once the stages' files are in `out_dir`, before the layers
        are compared and exported (a build then hands its layers to the
        process that renders the map pages, which reads those files); not
        called when the layers in place are kept.
    prepared : mapping, optional
        Layers already prepared for export, with their GeoJSON text
        (:func:`prepared_layers` of some of `layers`, with the same `sources`
        and `cache`): they are not prepared again.

    Returns
    -------
    (ExportResult, list of LayerChange)
        The export and the changes.
    """
    precision = plan.export.coordinate_precision
    extra = [name for placed in outputs for name in (placed.names if isinstance(placed, StageFiles)
                                                     else list(placed.sources))]
    key = export_key(list(keys), built_by=built_by, precision=precision, extra_files=extra, gpkg_name=GPKG_NAME)
    if cache.enabled:
        with cache.timed("layers in place", "reused") as status:
            kept = reuse_export(cache, key, layers_dir=layers_dir, out_dir=out_dir, gpkg_name=GPKG_NAME)
            if kept is not None:
                return kept
            status.append("differ")
    with cache.timed("files beside the layers (rasters)"):
        extra = [name for placed in outputs for name in placed.place(out_dir)]
    if ready is not None:
        ready()
    return _export(layers, plan, cache=cache, key=key, layers_dir=layers_dir, out_dir=out_dir, built_by=built_by,
                   extra=extra, sources=sources, previous=previous, prepared=prepared or {})


def _export(layers: LayerSet, plan: Plan, *, cache: StageCache, key: str, layers_dir: Path,  # noqa: PLR0913
            out_dir: Path, built_by: Mapping[str, Any] | None, extra: list[str], sources: Mapping[str, str | None],
            previous: Callable[[], LayerSet | None], prepared: Mapping[str, tuple[PreparedLayer, str]],
            ) -> tuple[ExportResult, list[LayerChange]]:
    """The export of :func:`export_or_reuse` once the files beside the layers (`extra`) are in `out_dir`."""
    precision = plan.export.coordinate_precision
    with cache.timed("layers in WGS84 and as GeoJSON text"):
        missing = LayerSet(layer for name, layer in layers.items() if name not in prepared)
        made = prepared_layers(missing, cache=cache, sources=sources, precision=precision)
        known = {name: prepared[name] if name in prepared else made[name] for name in layers}
    compare = partial(compare_to_previous, layers, cache=cache, layers_dir=layers_dir, sources=sources,
                      texts={name: text for name, (_, text) in known.items()}, previous=previous,
                      precision=precision)

    def write() -> ExportResult:
        first = _first_tables(layers, known, cache=cache, sources=sources, precision=precision)
        return export_layers(layers, out_dir, precision=precision, built_by=built_by, extra_files=tuple(extra),
                             gpkg_name=GPKG_NAME, prepared=known, gpkg_first=first)

    with cache.timed("export (GeoJSON, GeoPackage, manifest) and comparison with the previous layers"):
        export, changes = _written_and_compared(write, compare, beside=out_dir.resolve() != layers_dir.resolve())
        record_export(cache, key, export, changes, sources=sources)
    return export, changes


def _written_and_compared(write: Callable[[], ExportResult], compare: Callable[[], list[LayerChange]], *,
                          beside: bool) -> tuple[ExportResult, list[LayerChange]]:
    """``write()`` and ``compare()``; with `beside`, the comparison in a thread while this one writes.

    GDAL writes the GeoPackage, and GEOS measures the changed layers, with
    the GIL released: beside the export, the comparison costs little time.
    Without `beside` (the export replaces the very files compared with), the
    comparison comes first.
    """
    if not beside:
        changes = compare()
        return write(), changes
    with ThreadPoolExecutor(max_workers=1) as pool:
        comparing = pool.submit(compare)
        export = write()
        return export, comparing.result()


def prepared_layers(layers: LayerSet, *, cache: StageCache, sources: Mapping[str, str | None],
                    precision: int) -> dict[str, tuple[PreparedLayer, str]]:
    """Every layer prepared for export at `precision`, with its GeoJSON text.

    A layer of a stage with a key is read from `cache` (``export-<layer>``
    entries: the WGS84 geometries as WKB, the text as a file) when the
    stage's key is the same as when they were made, else made and kept:
    after an edit, the layers that did not change are neither projected,
    rounded nor written out as text again. The others (and all of them
    without a cache) are made here, their features that were exported
    before read from the cache's memo (:func:`~alatau_geo.jobs.memo.exported_memo`).
    """
    found = {}
    memo = exported_memo(cache)
    for name, layer in layers.items():
        source = sources.get(name)
        if source is None or not cache.enabled:
            item = prepare_layer(layer, precision=precision, memo=memo)
            found[name] = (item, collection_text(item, precision=precision, memo=memo))
            continue
        key = digest("exported", package_digest(), source, name, precision)
        output = cache.run(f"export-{name}", key, partial(_prepare, layer, precision, memo), timed=False)
        if output.computed:
            found[name] = output.value
            continue
        ordered = layer.sorted()
        geometries = gpd.GeoSeries(geometries_from_arrays(output.arrays), index=ordered.frame.index, crs=EXPORT_CRS,
                                   name=ordered.frame.geometry.name)
        text = (output.files_dir / _TEXT).read_bytes().decode("utf-8")
        found[name] = (PreparedLayer(ordered, ordered.frame.set_geometry(geometries)), text)
    return found


def prepared_ahead(layers: LayerSet, plan_sources: Mapping[str, str], *, cache: StageCache,
                   sources: Mapping[str, str | None], precision: int) -> dict[str, tuple[PreparedLayer, str]]:
    """:func:`prepared_layers` of `layers` before the export, timed as a step of its own.

    `plan_sources` holds the keys of the plan stages some of them come
    from, `sources` those of the others (a build calls it while the
    analyses are worked out beside; see ``export_or_reuse``'s ``prepared``).
    """
    with cache.timed("layers in WGS84 and as GeoJSON text, while the analyses are worked out"):
        return prepared_layers(layers, cache=cache, sources={**sources, **plan_sources}, precision=precision)


def _first_tables(layers: LayerSet, prepared: Mapping[str, tuple[PreparedLayer, str]], *, cache: StageCache,
                  sources: Mapping[str, str | None], precision: int) -> FirstTables:
    """The layers whose GeoPackage tables come first (those the zones do not shape), and a file of them if kept.

    The reference layers (from the tiles, the mountain cluster,
    OpenStreetMap) and the hazard layers (from the DEM and the plan's
    ``suitability.hazards``) do not change when the zones are edited. Their
    tables come first in the GeoPackage, and a GeoPackage of them alone is
    kept under the keys of the stages they come from (``gpkg-first``
    entries, written when missing): the export starts from a copy of it
    (:func:`~alatau_geo.core.gpkg.write_gpkg_file`, same bytes), and after
    an edit GDAL writes only the tables of the other layers. Without a cache
    the tables are in the same order, all written.
    """
    from alatau_geo.jobs.build import PLAN_LAYERS

    leading = sorted(name for name in layers if (name not in PLAN_LAYERS or name in HAZARD_LAYERS)
                     and sources.get(name) is not None)
    if not cache.enabled or not leading:
        return FirstTables(tuple(leading))
    key = digest("gpkg-first", package_digest(), precision, [(name, sources[name]) for name in leading])

    def write(files_dir: Path | None) -> StageOutput:
        assert files_dir is not None
        write_first_tables(files_dir / _FIRST_TABLES, [prepared[name][0] for name in leading])
        return StageOutput(files=(_FIRST_TABLES,))

    output = cache.run("gpkg-first", key, write, timed=False)
    assert output.files_dir is not None
    return FirstTables(tuple(leading), output.files_dir / _FIRST_TABLES)


def _prepare(layer: Layer, precision: int, memo: ExportedGeometries, files_dir: Path | None) -> StageOutput:
    """One layer prepared for export and its GeoJSON text, as the export would make them."""
    assert files_dir is not None
    item = prepare_layer(layer, precision=precision, memo=memo)
    text = collection_text(item, precision=precision, memo=memo)
    (files_dir / _TEXT).write_bytes(text.encode("utf-8"))
    values = np.asarray(item.frame.geometry.values, dtype=object)
    return StageOutput(arrays=geometry_arrays(values), files=(_TEXT,), value=(item, text))


def compare_to_previous(layers: LayerSet, *, cache: StageCache, layers_dir: Path,  # noqa: PLR0913
                        sources: Mapping[str, str | None], texts: Mapping[str, str],
                        previous: Callable[[], LayerSet | None], precision: int) -> list[LayerChange]:
    """What changed against the layers in `layers_dir`, as :func:`~alatau_geo.core.changes.compare_layers` says.

    The features of a layer are the same as those in place when the
    features part of its GeoJSON text in `texts` (everything after the
    header line, which holds the title and provenance) is byte for byte that
    of its file: the text is a function of exactly what
    :func:`~alatau_geo.core.changes.same_content` compares (geometries on
    the export's grid, attributes as exported), so the old layer is neither
    parsed nor prepared again. The cache's record of the generation in place
    (:func:`record_export`) adds the stage key each layer came from (a layer
    from the same key now is not even read) and each layer's measure (a
    changed layer's old area is not worked out again). A folder without a
    checked generation record is compared layer by layer, as
    :func:`~alatau_geo.core.changes.compare_layers` does.
    """
    generation = _checked_generation(layers_dir)
    if generation is None:
        return compare_layers(previous(), layers, precision=precision)
    record = cache.record(_GENERATION, generation) if cache.enabled else None
    known, counts = (record or {}).get("layers", {}), _feature_counts(layers_dir)
    changes = []
    for name, layer in layers.items():
        old = known.get(name)
        if name not in counts:
            measure, value = layer_measure(layer)
            changes.append(LayerChange(name, "new", None, len(layer.frame), measure, None, value))
        elif old is not None and sources.get(name) is not None and old["key"] == sources[name]:
            changes.append(LayerChange(name, "unchanged", old["features"], old["features"], old["measure"],
                                       old["value"], old["value"]))
        else:
            changes.append(_compared(layer, text=texts[name], path=layers_dir / f"{name}.geojson", old=old,
                                     count=counts[name]))
    changes += [LayerChange(name, "removed", count, None, "count", None, None)
                for name, count in counts.items() if name not in layers]
    return changes


def _compared(layer: Layer, *, text: str, path: Path, old: Mapping[str, Any] | None, count: int) -> LayerChange:
    """`layer` (exported as `text`) against its file in place, `path`, which held `count` features."""
    data = path.read_bytes()
    if _features_part(data) == _features_part(text.encode("utf-8")):
        measure, value = (old["measure"], old["value"]) if old is not None else layer_measure(layer)
        return LayerChange(layer.name, "unchanged", count, count, measure, value, value)
    measure, value = layer_measure(layer)
    before = old["value"] if old is not None else layer_measure(read_layer(path))[1]
    return LayerChange(layer.name, "changed", count, len(layer.frame), measure, before, value)


def _features_part(text: bytes) -> bytes:
    # The header line holds the title and provenance; the features follow, one per line.
    return text[text.find(b"\n") + 1:]


def _checked_generation(layers_dir: Path) -> str | None:
    """The generation id of the layers in place, every file checked against their manifest; None if there is none."""
    if not (layers_dir / MANIFEST_NAME).is_file():
        return None
    try:
        return check_folder(layers_dir)
    except LayerError as error:
        logger.debug("comparing every layer: %s", error)
        return None


def _feature_counts(layers_dir: Path) -> dict[str, int]:
    """Each layer the manifest in `layers_dir` lists, and how many features it held."""
    data = load_json(layers_dir / MANIFEST_NAME)
    entries = data.get("layers") if isinstance(data, dict) else None
    return {entry["name"]: int(entry.get("feature_count", 0)) for entry in entries or ()
            if isinstance(entry, dict) and isinstance(entry.get("name"), str)}
