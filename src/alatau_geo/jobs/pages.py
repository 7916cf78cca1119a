"""The maps job: build the interactive HTML maps from the layers and write them.

Map composition lives in :mod:`alatau_geo.maps` (which writes nothing); this
module picks the maps, renders them and writes each file atomically.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import pickle
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import folium
import pandas as pd

from alatau_geo import maps
from alatau_geo.analysis.layer_names import ANALYSIS_LAYERS, MOUNTAIN_LAYERS, POPULATION_LAYERS, SUITABILITY_LAYERS
from alatau_geo.analysis.suitability_layers import SuitabilityResult
from alatau_geo.core.generation import file_digest
from alatau_geo.core.io import write_text
from alatau_geo.core.layers import Layer, LayerSet, frame_digest
from alatau_geo.core.progress import no_progress
from alatau_geo.jobs.build import MOUNTAIN_DEM
from alatau_geo.jobs.forked import run_forked
from alatau_geo.jobs.memo import ByObject, FileMemo, memo_folder
from alatau_geo.jobs.reuse import WrittenMap
from alatau_geo.jobs.stage_cache import StageCache, digest, package_digest
from alatau_geo.maps.features import Display, DisplayLayer, display_key, display_layer
from alatau_geo.maps.rasters import RasterImage, ReliefImages
from alatau_geo.maps.style import LayerStyle
from alatau_geo.maps.suitability import suitability_map
from alatau_geo.plan.config import Plan

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_MAPS = 8
"""How many pages :func:`write_maps` writes at most (and so calls ``on_step``)."""
KEEP_DISPLAY_COPIES = 250
"""Display copies :func:`cached_display` keeps (a build of the default plan draws about 90)."""
KEEP_IMAGES = 60
"""Overlay images :func:`cached_images` keeps (a build of the default plan makes seven)."""
KEEP_PAGES = 12
"""Pages :func:`cached_pages` keeps (a build keeps one: the mountain page)."""
THEMATIC_LAYERS = (*POPULATION_LAYERS, *MOUNTAIN_LAYERS)
"""Layers with a map of their own, left off the overview."""
ANALYSIS_PAGES = ("proximity",)
"""The pages that show analysis layers (:data:`~alatau_geo.analysis.layer_names.ANALYSIS_LAYERS`); every
other page is the same drawn without them (each picks the layers it shows, and none picks these)."""
PEOPLE_PAGES = ("population",)
"""The pages that show the residents' layers (:data:`~alatau_geo.analysis.layer_names.POPULATION_LAYERS`);
likewise, every other page is the same drawn without them."""
SUITABILITY_PAGES = ("districts", "suitability")
"""The pages that read the suitability (the districts' area table reads it too)."""


class Later(Generic[T]):
    """A value worked out when first asked for (:attr:`value`), by the process that asks.

    ``map`` works the suitability out this way, in the process that draws
    the pages that show it (:data:`SUITABILITY_PAGES`), while a forked
    child draws the others.

    Examples
    --------
    >>> made = []
    >>> later = Later(lambda: made.append(1) or 42)
    >>> later.known, len(made)
    (False, 0)
    >>> later.value, later.value, len(made), later.known
    (42, 42, 1, True)
    """

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make

    @functools.cached_property
    def value(self) -> T:
        """The value, worked out on the first call."""
        return self._make()

    @property
    def known(self) -> bool:
        """Whether :attr:`value` was worked out already."""
        return "value" in self.__dict__


def now(value: T | Later[T]) -> T:
    """`value`, or the value of a :class:`Later`."""
    return value.value if isinstance(value, Later) else value


def write_maps(layers: LayerSet, *, maps_dir: Path, on_step: Callable[[str], None] = no_progress,
               rendered: Mapping[str, str] | None = None, workers: int | None = None,
               **options: Any) -> list[WrittenMap]:
    """Write the HTML maps of :func:`map_jobs` into `maps_dir`.

    Parameters
    ----------
    layers : LayerSet
    maps_dir : Path
        Folder for the HTML files.
    on_step : callable, optional
        Called with a label as each map is started (progress display).
    rendered : mapping of str to str, optional
        Pages already rendered from these layers, by name, taken as they
        are (a build draws the pages that show neither the residents' nor
        the analyses' layers, all but :data:`PEOPLE_PAGES` and
        :data:`ANALYSIS_PAGES`, while those are worked out).
    workers : int, optional
        Processes that render the pages: 1, or 2 (this one and a forked
        child, :func:`alatau_geo.jobs.forked.run_forked`); default 2 where
        two cores are free. The pages are the same either way.
    **options
        The keyword arguments of :func:`map_jobs`.
    """
    jobs = map_jobs(layers, maps_dir=maps_dir, **options)
    jobs.update({name: partial(str, page) for name, page in (rendered or {}).items() if name in jobs})
    suited = options.get("suitability")
    # A suitability still to be worked out is worked out once, here, for the pages that read it.
    first = SUITABILITY_PAGES if isinstance(suited, Later) and not suited.known else ()
    return _write_pages(jobs, maps_dir=maps_dir, on_step=on_step, workers=workers, here_first=first)


def map_jobs(layers: LayerSet, *, maps_dir: Path, layers_dir: Path, dem_path: Path | None,  # noqa: PLR0913
             offline: bool, language: str = "en", figures: pd.DataFrame | Later[pd.DataFrame | None] | None = None,
             suitability: SuitabilityResult | Later[SuitabilityResult] | None = None,
             relief: Callable[[Path], ReliefImages] = maps.relief_images, display: Display = display_layer,
             kept: MutableMapping[str, str] | None = None,
             images: MutableMapping[str, RasterImage] | None = None) -> dict[str, Callable[[], str]]:
    """The HTML maps of `layers`, each as a job that renders its page, by name.

    ``overview.html``; ``districts.html`` when there is a ``districts`` layer;
    ``infrastructure.html`` when there is an ``infrastructure`` layer;
    ``proximity.html`` when there are analysis layers (service areas,
    coverage, coverage gaps, travel-time surface); with a DEM,
    ``terrain.html``; ``population.html`` when there are population layers
    (residents and jobs by phase); ``mountain.html`` when there are
    mountain-cluster layers (relief from ``mountain_dem.tif`` beside `dem_path`, else beside the layers);
    and, given a suitability surface, ``suitability.html``. Each relief image
    is rendered once and shared by the pages; every page is self-contained.

    Parameters
    ----------
    layers : LayerSet
    maps_dir : Path
        Folder the HTML files go to (the pages link to the layers from there).
    layers_dir : Path
        Folder of the exported GeoJSON files; each map links to them for download.
    dem_path : Path or None
        Working-grid DEM GeoTIFF for the hillshade and slope overlays.
    offline : bool
        Offer no online base map: the pages load nothing at all.
    language : {'en', 'kk', 'ru'}
        The language the pages open in (the plan's ``maps.language``).
    figures : DataFrame or Later, optional
        The area table, shown in the districts' popups (a :class:`Later`:
        worked out when the districts' page is drawn).
    suitability : SuitabilityResult or Later, optional
        The plan's suitability (classes, criteria, sensitivity) for the
        suitability map (a :class:`Later`: worked out when it is drawn).
    relief : callable, optional
        Renders a DEM file's relief images (:func:`cached_relief` keeps them in the cache).
    display : callable, optional
        Makes each layer's display copy (:func:`cached_display` keeps them in the cache).
    kept : mutable mapping, optional
        Pages rendered before, by :func:`page_key` (:func:`cached_pages`
        keeps them in the cache). The mountain page is drawn from the
        mountain cluster's layers alone, so it is keyed by them: after an
        edit of the plan it is read back instead of drawn again.
    images : mutable mapping, optional
        The suitability page's overlay images made before
        (:func:`~alatau_geo.maps.suitability.kept_grid_image`; :func:`cached_images`
        keeps them in the cache): a criterion's scores the edit left as they
        were are not drawn again.

    Returns
    -------
    dict of str to callable
        Each page's job, in the order the pages are written; only the
        pages of :data:`ANALYSIS_PAGES` read the analysis layers.
    """
    template = _relative(layers_dir, maps_dir) + "/{name}.geojson"
    page_keys: dict[str, Callable[[], str]] = {}  # the pages kept in `kept`, and their keys
    shaded = relief(dem_path) if dem_path is not None else None
    common = {"relief": shaded, "offline": offline, "language": language, "download_template": template,
              "display": display}
    # The overview shows the plan itself; analyses, people, suitability and the mountains have their own maps.
    planned = LayerSet(layer for name, layer in layers.items()
                       if name not in (*ANALYSIS_LAYERS, *THEMATIC_LAYERS, *SUITABILITY_LAYERS))
    builders: dict[str, Callable[[], folium.Map]] = {"overview": lambda: maps.overview_map(planned, **common)}
    if "districts" in layers:
        builders["districts"] = lambda: maps.districts_map(layers, figures=now(figures), **common)
    if "infrastructure" in layers:
        builders["infrastructure"] = lambda: maps.infrastructure_map(layers, **common)
    if any(name in layers for name in ANALYSIS_LAYERS):
        builders["proximity"] = lambda: maps.proximity_map(layers, **common)
    if shaded is not None:
        builders["terrain"] = lambda: maps.terrain_map(layers, **common)
    if any(name in layers for name in POPULATION_LAYERS):
        builders["population"] = lambda: maps.population_map(layers, **common)
    if any(name in layers for name in maps.thematic.MOUNTAIN_ANALYSIS_LAYERS):
        # Beside the terrain raster (the staging folder during a build), else beside the layers.
        folders = [dem_path.parent, layers_dir] if dem_path is not None else [layers_dir]
        found = [folder / MOUNTAIN_DEM for folder in folders if (folder / MOUNTAIN_DEM).is_file()]
        # Rendered by the process that draws the page (or reads it back by its key).
        mountain = Later(lambda: relief(found[0]) if found else None)
        # The page shows only these layers: given no others, it is a function of what its key holds.
        cluster = LayerSet(layers[name] for name in maps.thematic.MOUNTAIN_MAP_LAYERS if name in layers)
        builders["mountain"] = lambda: maps.mountain_map(cluster, **{**common, "relief": mountain.value})
        page_keys["mountain"] = lambda: page_key("mountain", cluster, relief=mountain.value, offline=offline,
                                                 language=language, download_template=template)
    if suitability is not None:
        builders["suitability"] = lambda: suitability_map(layers, now(suitability), images=images, **common)
    return {name: partial(_rendered, build) if kept is None or name not in page_keys
            else partial(_kept_page, kept, page_keys[name], build) for name, build in builders.items()}


def page_key(name: str, layers: LayerSet, *, relief: ReliefImages | None, **options: object) -> str:
    """A SHA-256 of what a page drawn from `layers` alone reads: its name, the layers, the relief and `options`.

    The layers are hashed as pickled (frames, titles and provenance): equal
    layers made the same way hash the same, and others are at worst a miss.
    """
    hashed = hashlib.sha256(repr((name, package_digest(), sorted(options.items()))).encode())
    for image in (relief.hillshade, relief.slope_classes) if relief is not None else ():
        hashed.update(repr((image.bounds, image.size_px)).encode())
        hashed.update(image.url.encode())
    for layer_name, layer in layers.items():
        hashed.update(layer_name.encode())
        hashed.update(pickle.dumps(layer, protocol=5))
    return hashed.hexdigest()


def cached_relief(cache: StageCache) -> Callable[[Path], ReliefImages]:
    """:func:`alatau_geo.maps.relief_images`, its images kept in `cache` by the DEM file's bytes.

    The relief of an unchanged DEM is then rendered once, not by every build.
    """

    def relief(path: Path) -> ReliefImages:
        key = digest("relief", package_digest(), file_digest(path))
        stored = cache.record("relief", key)
        if stored is not None:
            try:
                return ReliefImages(**{part: RasterImage(url=image["url"], bounds=tuple(image["bounds"]),
                                                         size_px=tuple(image["size_px"]))
                                       for part, image in stored["images"].items()})
            except (KeyError, TypeError) as error:
                logger.warning("ignoring a damaged relief record (rendering again): %s", error)
        images = maps.relief_images(path)
        cache.save_record("relief", key, {"images": {
            part: {"url": image.url, "bounds": list(image.bounds), "size_px": list(image.size_px)}
            for part, image in (("hillshade", images.hillshade), ("slope_classes", images.slope_classes))}})
        return images

    return relief


class DisplayMemo(FileMemo[DisplayLayer]):
    """Display copies of layers by :func:`~alatau_geo.maps.features.display_key`, kept as JSON files."""

    suffix = ".json"

    def encode(self, value: DisplayLayer) -> bytes:
        """The copy as JSON."""
        return value.to_json()

    def decode(self, data: bytes) -> DisplayLayer:
        """The copy a JSON file holds."""
        return DisplayLayer.from_json(data)


def cached_display(cache: StageCache) -> Display:
    """:func:`~alatau_geo.maps.features.display_layer`, each copy kept in `cache` by exactly what it reads.

    After an edit of a district most layers are as before (the rivers, the
    reservoir's bands, the mountain cluster): their copies are read back
    instead of being simplified, projected and given their popups again.
    A layer drawn on several pages is worked out once. Without a cache
    (``--no-cache``) the copies are kept for this run only.
    """
    memo = DisplayMemo(memo_folder(cache, "display"))
    memo.prune(keep=KEEP_DISPLAY_COPIES)
    made: dict[str, DisplayLayer] = {}
    frames = ByObject(frame_digest)  # every page draws the reference layers, some in several styles

    def display(layer: Layer, style: LayerStyle) -> DisplayLayer:
        key = display_key(layer, style, frame=frames(layer))
        if key not in made:
            made[key] = memo.made(key, lambda: display_layer(layer, style))
        return made[key]

    return display


class PageMemo(FileMemo[str]):
    """Rendered pages by :func:`page_key`, kept as HTML files."""

    suffix = ".html"

    def encode(self, value: str) -> bytes:
        """The page as UTF-8."""
        return value.encode("utf-8")

    def decode(self, data: bytes) -> str:
        """The page a file holds."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(str(error)) from None


def cached_pages(cache: StageCache) -> PageMemo:
    """The memo of pages drawn from a few layers alone (:func:`write_maps`); kept for this run only without a cache."""
    memo = PageMemo(memo_folder(cache, "pages"))
    memo.prune(keep=KEEP_PAGES)
    return memo


class ImageMemo(FileMemo[RasterImage]):
    """Overlay images by their :func:`~alatau_geo.maps.suitability.kept_grid_image` key, kept as JSON files."""

    suffix = ".json"

    def encode(self, value: RasterImage) -> bytes:
        """The image's data URL, bounds and size as JSON."""
        return json.dumps({"url": value.url, "bounds": list(value.bounds), "size_px": list(value.size_px)}).encode()

    def decode(self, data: bytes) -> RasterImage:
        """The image a JSON file holds."""
        try:
            found = json.loads(data)
            return RasterImage(url=str(found["url"]), bounds=tuple(float(v) for v in found["bounds"]),
                               size_px=tuple(int(v) for v in found["size_px"]))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"not an image: {error}") from None


def cached_images(cache: StageCache) -> ImageMemo:
    """The memo of overlay images (:func:`write_maps`); kept for this run only without a cache."""
    memo = ImageMemo(memo_folder(cache, "images"))
    memo.prune(keep=KEEP_IMAGES)
    return memo


def write_edit_map(layers: LayerSet, *, plan: Plan, maps_dir: Path, dem_path: Path | None, offline: bool,
                   plan_sha256: str | None) -> WrittenMap:
    """Write the editing map, ``edit.html``, into `maps_dir`.

    Parameters
    ----------
    layers : LayerSet
        The workspace's built layers.
    plan : Plan
        The plan that built them: its zones' rule parameters are offered for
        change, its ``maps.language`` is the page's first language.
    maps_dir : Path
    dem_path : Path or None
        Working-grid DEM GeoTIFF for the relief.
    offline : bool
        Offer no online base map.
    plan_sha256 : str or None
        The plan hash recorded by the layers' manifest; the edit file carries it.
    """
    relief = maps.relief_images(dem_path) if dem_path is not None else None
    page = maps.edit_map(layers, relief=relief, offline=offline, language=plan.maps.language,
                         zones=maps.zone_parameters(plan.zones, layers), plan_sha256=plan_sha256)
    (written,) = _write_pages({"edit": partial(maps.render_html, page)}, maps_dir=maps_dir, on_step=no_progress)
    return written


def _write_pages(jobs: dict[str, Callable[[], str]], *, maps_dir: Path, on_step: Callable[[str], None],
                 workers: int | None = None, here_first: Sequence[str] = ()) -> list[WrittenMap]:
    # Every page is rendered (each job gives its HTML) before any is written:
    # a page that fails to render leaves all the maps of the previous run as they were.
    pages = run_forked(jobs, workers=workers, on_done=lambda name: on_step(f"{name} map"), here_first=here_first)
    written = []
    for name, html in pages.items():
        path = write_text(html, maps_dir / f"{name}.html")
        written.append(WrittenMap(name=name, path=path, size_bytes=path.stat().st_size))
        logger.debug("wrote %s (%d bytes)", path, path.stat().st_size)
    return written


def _rendered(build: Callable[[], folium.Map]) -> str:
    return maps.render_html(build())


def _kept_page(kept: MutableMapping[str, str], key: Callable[[], str], build: Callable[[], folium.Map]) -> str:
    known = key()
    try:
        return kept[known]
    except KeyError:
        kept[known] = page = _rendered(build)
        return page


def _relative(target: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()
