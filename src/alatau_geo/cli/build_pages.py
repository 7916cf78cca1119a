"""The map pages of ``build`` and ``map``: drawn beside a build's stages, or on their own.

A build forks the process that draws its pages as it starts
(:func:`alatau_geo.cli.build.build_workspace`): :func:`build_handing_over`
hands it the layers, :func:`pages_when_handed` draws them there. While the
analyses are still worked out it is handed every other layer and draws the
pages that show none of the analyses' (:func:`pages_before_the_analyses`);
then the rest (:func:`pages_beside`). ``map`` draws them all at once
(:func:`write_map_pages`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alatau_geo.cli.common import progress
from alatau_geo.core.errors import LayerError
from alatau_geo.core.generation import generation_files
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.config import Plan

if TYPE_CHECKING:
    from alatau_geo.analysis.suitability_layers import SuitabilityResult
    from alatau_geo.jobs.build import BuildOutcome
    from alatau_geo.jobs.reuse import WrittenMap
    from alatau_geo.jobs.stage_cache import StageCache, StageRun
    from alatau_geo.maps import ReliefImages

    Pages = tuple[list[WrittenMap], list[StageRun]]
    Relief = Callable[[Path], ReliefImages]

__all__ = ["EARLY_PAGES", "PAGES_NICENESS", "PLACED_PAGES", "Drawn", "Handed", "build_handing_over",
           "pages_before_the_analyses", "pages_beside", "pages_when_handed", "record_pages", "write_map_pages"]

PLACED_PAGES = "maps: the pages of the zones and placed objects"
"""The step that draws, while the suitability is worked out, the pages that show no later layer."""
EARLY_PAGES = "maps: the pages without the residents and analyses"
"""The step that draws, while the residents and the analyses are worked out, the pages that show neither."""
PAGES_NICENESS = 5
"""How much lower the priority of the process drawing a build's pages is than the build's (``nice``; see
:func:`pages_when_handed`)."""


@dataclass(frozen=True)
class Handed:
    """Layers a build hands the process that renders its pages.

    Attributes
    ----------
    layers : LayerSet
        The layers not handed over before.
    order : tuple of str
        The name of every layer the build has so far, in its order.
    suitability : SuitabilityResult or None
        The suitability the build computed (handed over once, with the first layers that come with it).
    complete : bool
        Whether these are all the layers (else the analyses' are still to come).
    """

    layers: LayerSet
    order: tuple[str, ...]
    suitability: SuitabilityResult | None
    complete: bool

    def joined(self, before: LayerSet) -> LayerSet:
        """These layers and those handed over `before`, in the build's order."""
        known = {**before, **self.layers}
        return LayerSet(known[name] for name in self.order)


@dataclass(frozen=True)
class Drawn:
    """Pages drawn before all the layers were in, by name, and the :func:`_page_options` of the last step.

    The other pages are drawn with the same options: the area table in
    them reads neither the residents' layers nor the analyses'.
    """

    pages: dict[str, str]
    options: dict[str, Any]


def build_handing_over(build: Callable[..., BuildOutcome],
                       give: Callable[[Handed | None], None]) -> BuildOutcome:
    """`build` handing its layers and suitability over with `give`; a last None if it kept the layers in place.

    A build may hand over its layers in steps while the rest are worked
    out (the zones and placed objects, then the suitability's), then all
    of them once they are in place.
    """
    handed: list[Handed] = []

    def ready(layers: LayerSet, suitability: SuitabilityResult | None, complete: bool) -> None:
        before = set(handed[-1].order) if handed else set()
        given = any(step.suitability is not None for step in handed)
        handed.append(Handed(LayerSet(layer for name, layer in layers.items() if name not in before),
                              tuple(layers), None if given else suitability, complete))
        give(handed[-1])  # pickled here, sent from a thread

    result = build(ready=ready)
    if not handed or not handed[-1].complete:  # the layers in place were kept: pickling them over is not worth it
        give(None)
    return result


def pages_when_handed(job: Callable[..., Pages], early: Callable[..., tuple[Drawn, list[StageRun]]],
                      take: Callable[[], Handed | None]) -> Pages | None:
    """`job` on the layers and suitability `take` waits for, the map code loading meanwhile; None if handed none.

    Forked as a build starts, the process loads the page code (folium and
    its templates, a third of a second: :func:`_load_page_code`) while the
    build works out the layers, not after. It loads in a thread, so that a build that kept
    the layers in place (and hands over nothing) does not wait for it.
    Handed layers, it draws at a lower priority (:data:`PAGES_NICENESS`):
    the build's own work and the analyses' come first.
    Handed some of the layers first, it draws with `early` the pages it
    can, then waits for more (the objects placed: the overview; the
    suitability in: its page and the districts'; all the layers: the rest).
    """
    loading = threading.Thread(target=_load_page_code, daemon=True)
    loading.start()
    handed = take()
    if handed is None:
        return None
    loading.join()  # handed layers are new layers: their pages are drawn, with that code (one import at a time)
    _yield_to_the_build()
    layers, suitability = handed.layers, handed.suitability
    drawn: Drawn | None = None
    runs: list[StageRun] = []
    while not handed.complete:
        drawn, timed = early(layers, suitability, drawn=drawn)
        runs += timed
        handed = take()
        if handed is None:  # the layers in place were kept after all: the pages are checked there
            return None
        layers = handed.joined(layers)
        suitability = handed.suitability if handed.suitability is not None else suitability
    pages, timed = job(layers, suitability, drawn=drawn)
    return pages, [*runs, *timed]


def _load_page_code() -> None:
    """Import the page code, and work out the digests of the code that name the memos the pages read.

    The process is forked before the build works them out (over every file
    of the toolkit and the libraries' versions, a twentieth of a second).
    """
    from alatau_geo.jobs.stage_cache import code_digest, package_digest

    importlib.import_module("alatau_geo.jobs.pages")
    code_digest()
    package_digest()


def _yield_to_the_build() -> None:
    """Lower this process's priority (``nice``) by :data:`PAGES_NICENESS`, where the system allows it.

    While the pages are drawn, the build works out the residents and
    prepares its layers for export, and a third process the analyses,
    which the export and the last pages both wait for: on two cores the
    pages take what the other two leave. Edit-and-rebuilds paired as the
    benchmark runs them: medians 8 % and 4 % shorter at 10 than at 0
    (8 pairs each), 5 and 10 alike, 19 (pages starved) longer than 5.
    """
    try:
        os.nice(PAGES_NICENESS)
    except (AttributeError, OSError):  # no os.nice (Windows), or refused: the pages share the cores evenly
        return


def pages_beside(layers: LayerSet, suitability: SuitabilityResult | None, *,  # noqa: PLR0913
                 args: argparse.Namespace, plan: Plan, layers_dir: Path, maps_dir: Path, out_dir: Path,
                 dem_path: Path, cache: StageCache, parent: int, drawn: Drawn | None = None) -> Pages:
    """The build's map pages (:func:`write_map_pages`), and the cache's timing of them.

    Run beside the export, in a forked process where there are two cores:
    the timing goes back to the build's own cache (marked ``beside`` when
    it ran in a process other than `parent`), and no progress is shown (the
    export's is). `drawn`: pages of these layers already drawn.
    """
    start = len(cache.runs)
    quiet = argparse.Namespace(**{**vars(args), "quiet": True})
    # In the forked process the pages take one core: the export has the other (a third process only competes).
    workers = 1 if os.getpid() != parent else None
    pages = write_map_pages(layers, quiet, plan=plan, layers_dir=layers_dir, maps_dir=maps_dir,
                            out_dir=out_dir, dem_path=dem_path, cache=cache, suitability=suitability, workers=workers,
                            drawn=drawn)
    return pages, cache.runs_since(start, parent=parent)


def pages_before_the_analyses(layers: LayerSet, suitability: SuitabilityResult | None, *,  # noqa: PLR0913
                              args: argparse.Namespace, plan: Plan, layers_dir: Path, out_dir: Path,
                              dem_path: Path, cache: StageCache, parent: int,
                              drawn: Drawn | None = None) -> tuple[Drawn, list[StageRun]]:
    """The pages of `layers` (a build's so far) that show none of the layers still to come; their timing.

    They are the pages :func:`pages_beside` draws from all the layers,
    drawn while the rest are worked out beside; nothing is written. Before
    the suitability is in (none of its layers among `layers`), those of
    :data:`~alatau_geo.jobs.pages.SUITABILITY_PAGES` wait too; the
    residents' and the analyses' pages wait for their layers. `drawn`: the
    pages drawn from fewer of the layers before (kept, and their memos shared).
    """
    from alatau_geo.analysis.layer_names import SUITABILITY_LAYERS
    from alatau_geo.jobs.pages import ANALYSIS_PAGES, PEOPLE_PAGES, SUITABILITY_PAGES, cached_relief, map_jobs

    start = len(cache.runs)
    suited = plan.suitability is None or any(name in layers for name in SUITABILITY_LAYERS)
    waiting = {*PEOPLE_PAGES, *ANALYSIS_PAGES, *(() if suited else SUITABILITY_PAGES)}
    label = EARLY_PAGES if suited else PLACED_PAGES
    with cache.timed(label, "computed"):
        options = _page_options(layers, plan=plan, offline=args.offline, dem_path=dem_path, cache=cache,
                                suitability=suitability, relief=cached_relief(cache),
                                memos=drawn.options if drawn is not None else None)
        jobs = map_jobs(layers, maps_dir=out_dir, layers_dir=layers_dir, **options)
        pages = dict(drawn.pages) if drawn is not None else {}
        pages.update({name: job() for name, job in jobs.items() if name not in waiting and name not in pages})
    return Drawn(pages, options), cache.runs_since(start, parent=parent)



def record_pages(pages: list[WrittenMap], args: argparse.Namespace, *, plan: Plan,  # noqa: PLR0913
                  layers_folder: Path, layers_dir: Path, maps_dir: Path, cache: StageCache) -> None:
    """Record the build's pages under the key of the layers now complete in `layers_folder`.

    Pages rendered beside the export could not name the layers' generation
    (the manifest is written last); without the record the next build
    would render them again.
    """
    from alatau_geo.jobs import reuse

    if pages and cache.enabled:
        key = reuse.maps_key(plan, layers_folder=layers_folder, layers_dir=layers_dir, maps_dir=maps_dir,
                             offline=args.offline, check_files=False)  # the build has just written them
        reuse.record_maps(cache, key, pages)


def write_map_pages(layers: LayerSet | Path, args: argparse.Namespace, *, plan: Plan,  # noqa: PLR0913
                    layers_dir: Path, maps_dir: Path, out_dir: Path, dem_path: Path,
                    cache: StageCache, suitability: SuitabilityResult | None = None,
                    workers: int | None = None, drawn: Drawn | None = None) -> list[WrittenMap]:
    """Write the maps of `layers` (or of the layers in the folder `layers`) into `out_dir`.

    `out_dir` is a staging folder beside `maps_dir`; `layers_dir` is where
    the layers will be when the maps are opened (the
    pages link to its GeoJSON files); `dem_path` is the terrain raster to
    read now, and its folder the layers as they are now. When the pages in
    `maps_dir` were written from these very layers with the same plan,
    options and code, they are kept as they are (:mod:`alatau_geo.jobs.reuse`),
    and a folder's layers are not even read. `suitability` is the plan's
    suitability when the caller has it (a build that just computed it);
    else it is worked out from the layers and the HAND rasters beside
    `dem_path`, by the process that draws the pages that show it.
    `workers` as in :func:`alatau_geo.jobs.pages.write_maps`;
    `drawn`: pages of these layers drawn before, kept as they are.
    Given a folder (``map``), a forked process renders the relief of
    `dem_path` and reads part of the layers while this one reads the rest
    (:func:`_layers_and_relief`).
    """
    from alatau_geo.jobs import reuse

    with cache.timed("maps", "reused") as status:
        key = reuse.maps_key(plan, layers_folder=dem_path.parent, layers_dir=layers_dir, maps_dir=maps_dir,
                             offline=args.offline) if cache.enabled else None
        pages = reuse.reuse_maps(cache, key, maps_dir=maps_dir, out_dir=out_dir)
        if pages is not None:
            return pages
        status.append("computed")
        read, relief = _layers_and_relief(layers, dem_path=dem_path, cache=cache, workers=workers)
        pages = _render_pages(read, args, plan=plan, layers_dir=layers_dir, out_dir=out_dir, dem_path=dem_path,
                              cache=cache, suitability=suitability, workers=workers, drawn=drawn, relief=relief)
        reuse.record_maps(cache, key, pages)
        return pages


def _layers_and_relief(layers: LayerSet | Path, *, dem_path: Path, cache: StageCache,
                       workers: int | None) -> tuple[LayerSet, Relief]:
    """`layers` (or those the folder `layers` holds), and what renders a DEM's relief images.

    From a folder, a forked process renders the relief of `dem_path` (or
    reads it from `cache`), then reads the second part of the layers
    (:func:`_parts`) unless this process, done with the first, took it
    first: each input alone takes about a second for the default plan. The
    layers are checked to be of one generation, as a single read checks them.

    Raises
    ------
    LayerError
        If the layers cannot be read, or a build replaced them meanwhile.
    """
    from alatau_geo.core.io import read_layers
    from alatau_geo.core.manifest import manifest_entries
    from alatau_geo.jobs.forked import run_forked
    from alatau_geo.jobs.pages import cached_relief

    keep = cached_relief(cache)
    if not isinstance(layers, Path):
        return layers, keep
    entries = manifest_entries(layers)
    before = generation_files(layers)
    first, second = _parts(entries)
    jobs = {"first": partial(read_layers, layers, exclude=second), "relief": partial(keep, dem_path),
            "second": partial(read_layers, layers, exclude=first)}
    if not dem_path.is_file():
        del jobs["relief"]
    done = run_forked(jobs, here_first=("first",), workers=workers)
    if generation_files(layers) != before:
        raise LayerError(f"{layers}: the layers were replaced while they were read (a build ran meanwhile); "
                         "run the command again")
    read = {**done["first"], **done["second"]}
    shaded = done.get("relief")
    ordered = LayerSet(read[name] for name, _ in entries)
    return ordered, keep if shaded is None else (lambda path: shaded if path == dem_path else keep(path))


def _parts(entries: list[tuple[str, Path]]) -> tuple[list[str], list[str]]:
    """The layers' names in two parts of about the same bytes (each file goes to the lighter part, largest first)."""
    parts: tuple[list[str], list[str]] = ([], [])
    sizes = [0, 0]
    for size, name in sorted(((path.stat().st_size if path.is_file() else 0, name) for name, path in entries),
                             reverse=True):
        lighter = sizes.index(min(sizes))
        parts[lighter].append(name)
        sizes[lighter] += size
    return parts


def _render_pages(layers: LayerSet, args: argparse.Namespace, *, plan: Plan, layers_dir: Path,  # noqa: PLR0913
                  out_dir: Path, dem_path: Path, cache: StageCache, suitability: SuitabilityResult | None,
                  workers: int | None, drawn: Drawn | None, relief: Relief) -> list[WrittenMap]:
    from alatau_geo.jobs.pages import MAX_MAPS, write_maps

    options = drawn.options if drawn is not None else _page_options(
        layers, plan=plan, offline=args.offline, dem_path=dem_path, cache=cache, suitability=suitability,
        relief=relief)
    with progress(MAX_MAPS, quiet=args.quiet) as step:
        return write_maps(layers, maps_dir=out_dir, layers_dir=layers_dir, on_step=step, workers=workers,
                          rendered=drawn.pages if drawn is not None else None, **options)


def _page_options(layers: LayerSet, *, plan: Plan, offline: bool, dem_path: Path, cache: StageCache,  # noqa: PLR0913
                  suitability: SuitabilityResult | None, relief: Relief,
                  memos: dict[str, Any] | None = None) -> dict[str, Any]:
    """The options of :func:`~alatau_geo.jobs.pages.map_jobs` for the pages of `layers` (the area table among them).

    The suitability, unless given, and the area table are worked out when
    first needed, by the process that draws the pages that show them
    (:data:`~alatau_geo.jobs.pages.SUITABILITY_PAGES`): ``map`` draws the
    other pages beside meanwhile. The HAND rasters, when the suitability is
    worked out, are read beside `dem_path`, and the slope and each
    criterion's cells from `cache` when the build kept them there
    (:func:`~alatau_geo.jobs.suitability.suitability_of`). `relief` renders a DEM's relief
    images (:func:`~alatau_geo.jobs.pages.cached_relief`, or the images
    :func:`_layers_and_relief` had rendered beside). `memos`: the options
    of the same build's pages drawn before, whose display copies, pages and
    images (kept on disk and in memory) these share.
    """
    from alatau_geo.analysis import areas
    from alatau_geo.core.io import read_raster
    from alatau_geo.jobs.pages import Later, cached_display, cached_images, cached_pages, now
    from alatau_geo.jobs.suitability import suitability_of

    has_dem = dem_path.is_file()
    figures = suited = None
    if "districts" in layers and has_dem and plan.suitability is not None:
        # The HAND rasters lie beside the terrain raster (the staging folder during a build); the DEM is read
        # only when the suitability is worked out here.
        suited = suitability if suitability is not None else Later(
            lambda: suitability_of(layers, plan, layers_dir=dem_path.parent, elevation=read_raster(dem_path),
                                   cache=cache))
        figures = Later(lambda: areas.zone_area_table(layers, now(suited)))
    return {"dem_path": dem_path if has_dem else None, "offline": offline, "language": plan.maps.language,
            "figures": figures, "suitability": suited, "relief": relief,
            **({name: memos[name] for name in ("display", "kept", "images")} if memos is not None else
               {"display": cached_display(cache), "kept": cached_pages(cache), "images": cached_images(cache)})}
