"""The suitability map: classes and criteria as image overlays, hazard bands and the land that hangs on the weights.

The suitability grid (UTM 43N) is drawn as paletted PNG images warped to Web
Mercator (:func:`grid_image`, as the slope classes are), so a 100 m or a 10 m
surface weighs the same in the page. The classes are on when the map opens;
each weighted criterion's score (0-1, five steps) is a switchable overlay.
So is the land whose class changes when one weight moves (the sensitivity
test), darker where more of the changes move it. The hazard layers
(``floodplain``, ``reservoir_bands``) are vector layers styled from
:data:`SUITABILITY_STYLES`, with the river, the levels and the hectares in
their popups. The map computes nothing: it draws a built
:class:`~alatau_geo.analysis.suitability_layers.SuitabilityResult`.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Mapping, MutableMapping
from types import MappingProxyType

import folium
import numpy as np
from affine import Affine
from pyproj import CRS
from rasterio.transform import array_bounds
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform

from alatau_geo.analysis.suitability import CLASS_LABELS, NODATA_CLASS, Surface
from alatau_geo.analysis.suitability_layers import SuitabilityResult
from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.core.layers import LayerSet
from alatau_geo.maps.basemaps import image_overlay
from alatau_geo.maps.classification import Category
from alatau_geo.maps.features import Display, display_layer
from alatau_geo.maps.i18n import check_language
from alatau_geo.maps.layer_styles import CONTEXT_STYLES
from alatau_geo.maps.legend import LegendEntry, LegendSection
from alatau_geo.maps.page import Overlays, Page, draw_page
from alatau_geo.maps.png import encode_paletted_png, png_data_url
from alatau_geo.maps.rasters import MAX_IMAGE_SIDE_PX, RasterImage, ReliefImages
from alatau_geo.maps.style import LayerStyle

__all__ = [
    "CLASS_COLOURS",
    "SCORE_STEPS",
    "SUITABILITY_MAP_LAYERS",
    "SUITABILITY_STYLES",
    "grid_image",
    "suitability_map",
]

WEB_MERCATOR = CRS.from_epsg(3857)
GROUP_SUITABILITY = "Land suitability"
GROUP_CRITERIA = "Suitability criteria (score 0-1)"
GROUP_HAZARDS = "Hazards"
CLASS_COLOURS: Mapping[int, str] = MappingProxyType(
    {0: "#d7301f", 1: "#fdae61", 2: "#a6d96a", 3: "#1a9641"}
)
"""Colour of each suitability class code (0 unsuitable ... 3 high)."""
SCORE_STEPS: tuple[tuple[float, str], ...] = (
    (0.2, "#d7191c"), (0.4, "#fdae61"), (0.6, "#ffffbf"), (0.8, "#a6d96a"), (math.inf, "#1a9641"),
)
"""A criterion's score in five steps: (upper limit, colour); a score on a limit belongs to the step above."""
SENSITIVITY_COLOURS = ("#c2a5cf", "#762a83")
"""Land whose class changes under one or two weight changes, and under three or more."""
SENSITIVITY_TITLE = "Class changes with the weights"
# Keys of the image overlays' legend rows (shown while the overlays are on).
_CLASSES_KEY, _CHANGES_KEY, _CRITERIA_KEY = "suitability-classes", "suitability-changes", "suitability-criteria"
SUITABILITY_MAP_LAYERS = (
    "reservoir", "rivers", "corridors", "places", "districts", "city_boundary", "sez", "infrastructure",
    "floodplain", "reservoir_bands",
)
"""The vector layers the suitability map shows, those present."""

_CLASS_CATEGORIES = tuple(Category(label, label.capitalize(), CLASS_COLOURS[code])
                          for code, label in CLASS_LABELS.items())
SUITABILITY_STYLES: Mapping[str, LayerStyle] = MappingProxyType({
    **CONTEXT_STYLES,
    "suitability_classes": LayerStyle(
        group=GROUP_SUITABILITY, color="#4d4d4d", fill_color="#bdbdbd", fill_opacity=0.35, weight=0.5,
        order=20, show=False, simplify_m=45.0, legend_title="Class polygons", category_column="class",
        categories=_CLASS_CATEGORIES, popup_columns=("class", "area_ha"),
    ),
    "floodplain": LayerStyle(
        group=GROUP_HAZARDS, color="#08519c", fill_color="#2171b5", fill_opacity=0.45, weight=0.5,
        order=24, simplify_m=45.0, legend_title="Floodplain", popup_columns=("river", "depth_m", "area_ha"),
        legend_note="Floodplain: land at most the plan's flood depth above the nearest drain of a named river "
        "(height above nearest drainage, SRTM3): an approximation, not a hydraulic model.",
    ),
    "reservoir_bands": LayerStyle(
        group=GROUP_HAZARDS, color="#084594", fill_color="#6baed6", fill_opacity=0.4, weight=0.5,
        dash_array="4 3", order=23, simplify_m=45.0, legend_title="Reservoir band", category_column="label",
        categories=(Category("normal", "up to the normal level", "#4292c6"),
                    Category("maximum", "normal to maximum level", "#9ecae1")),
        popup_columns=("label", "from_m", "level_m", "area_ha"),
    ),
})
"""Styles of the suitability map's layers (the analysis maps' context styles for the rest)."""


def grid_image(indices: np.ndarray, grid_transform: Affine, crs: CRS, palette: list[tuple[int, int, int, int]], *,
               max_side_px: int = MAX_IMAGE_SIDE_PX) -> RasterImage:
    """Palette indices on a projected grid as a Web Mercator PNG for a Leaflet image overlay.

    Parameters
    ----------
    indices : numpy.ndarray of uint8
        Palette index of each cell; 0 should be transparent (no data).
    grid_transform : affine.Affine
        The grid's north-up transform.
    crs : pyproj.CRS
        The grid's CRS.
    palette : list of (r, g, b, a)
        Colour of each index.
    max_side_px : int
        Largest image side; a larger grid is resampled down (nearest cell).

    Returns
    -------
    RasterImage
    """
    rows, cols = indices.shape
    target, width, height = _web_mercator_grid(crs, rows, cols, array_bounds(rows, cols, grid_transform),
                                               max_side_px=max_side_px)
    out = np.zeros((height, width), dtype=np.uint8)
    reproject(source=np.asarray(indices, dtype=np.uint8), destination=out, src_transform=grid_transform, src_crs=crs,
              src_nodata=0, dst_transform=target, dst_crs=WEB_MERCATOR, dst_nodata=0, resampling=Resampling.nearest)
    left, bottom, right, top = array_bounds(height, width, target)
    (lon_w, lon_e), (lat_s, lat_n) = transform(WEB_MERCATOR, EXPORT_CRS, [left, right], [bottom, top])
    return RasterImage(png_data_url(encode_paletted_png(out, palette)), (lon_w, lat_s, lon_e, lat_n), (width, height))


@functools.lru_cache(maxsize=8)
def _web_mercator_grid(crs: CRS, rows: int, cols: int, bounds: tuple[float, float, float, float], *,
                       max_side_px: int) -> tuple[Affine, int, int]:
    """The Web Mercator grid an image of a `rows` x `cols` grid in `crs` within `bounds` is drawn on.

    Its transform and its width and height in pixels, at most `max_side_px`
    a side. Worked out once a grid: a suitability page draws its classes and
    each criterion's scores on the same one.
    """
    west, south, east, north = bounds
    target, width, height = calculate_default_transform(crs, WEB_MERCATOR, cols, rows, west, south, east, north)
    scale = max(width, height) / max_side_px
    if scale > 1:
        target = target @ Affine.scale(scale)
        width, height = max(1, math.ceil(width / scale)), max(1, math.ceil(height / scale))
    return target, width, height


def _rgba(color: str) -> tuple[int, int, int, int]:
    value = color.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 255)


def kept_grid_image(indices: np.ndarray, grid_transform: Affine, crs: CRS, palette: list[tuple[int, int, int, int]],
                    *, images: MutableMapping[str, RasterImage] | None = None) -> RasterImage:
    """:func:`grid_image`, kept in `images` by a digest of everything it reads (indices, grid, CRS, palette).

    After an edit of a district, most criteria's score images are those
    of the build before: they are read back instead of being reprojected
    and encoded again.
    """
    if images is None:
        return grid_image(indices, grid_transform, crs, palette)
    indices = np.ascontiguousarray(indices, dtype=np.uint8)
    hashed = hashlib.sha256(repr((indices.shape, tuple(grid_transform), crs.to_wkt(), palette,
                                  MAX_IMAGE_SIDE_PX)).encode())
    hashed.update(memoryview(indices).cast("B"))
    key = hashed.hexdigest()
    try:
        return images[key]
    except KeyError:
        images[key] = image = grid_image(indices, grid_transform, crs, palette)
        return image


def class_image(surface: Surface, *, images: MutableMapping[str, RasterImage] | None = None) -> RasterImage:
    """The suitability classes in :data:`CLASS_COLOURS`; no data transparent (`images`: :func:`kept_grid_image`)."""
    codes = np.where(surface.classes == NODATA_CLASS, 0, surface.classes.astype(np.int16) + 1).astype(np.uint8)
    palette = [(0, 0, 0, 0)] + [_rgba(CLASS_COLOURS[code]) for code in CLASS_LABELS]
    return kept_grid_image(codes, surface.grid.transform, surface.grid.crs, palette, images=images)


def score_image(scores: np.ndarray, surface: Surface, *,
                images: MutableMapping[str, RasterImage] | None = None) -> RasterImage:
    """A criterion's scores (0-1) in the :data:`SCORE_STEPS`; no data and cells outside the area transparent."""
    limits = np.array([limit for limit, _ in SCORE_STEPS[:-1]], dtype=np.float32)
    with np.errstate(invalid="ignore"):
        steps = np.digitize(scores, limits).astype(np.uint8) + 1
    steps[np.isnan(scores) | (surface.classes == NODATA_CLASS)] = 0
    palette = [(0, 0, 0, 0)] + [_rgba(color) for _, color in SCORE_STEPS]
    return kept_grid_image(steps, surface.grid.transform, surface.grid.crs, palette, images=images)


def changes_image(result: SuitabilityResult, *, images: MutableMapping[str, RasterImage] | None = None) -> RasterImage:
    """Cells whose class changes with the weights: light where 1-2 changes move it, dark where 3 or more do."""
    changes = result.sensitivity.changes
    steps = np.where(changes == NODATA_CLASS, 0, np.minimum(changes, 3)).astype(np.uint8)
    steps[steps == 2] = 1
    steps[steps == 3] = 2
    palette = [(0, 0, 0, 0), (*_rgba(SENSITIVITY_COLOURS[0])[:3], 200), (*_rgba(SENSITIVITY_COLOURS[1])[:3], 230)]
    return kept_grid_image(steps, result.surface.grid.transform, result.surface.grid.crs, palette, images=images)


def _sensitivity_section(result: SuitabilityResult) -> LegendSection:
    step, count = result.params.sensitivity_change_pct, result.sensitivity.perturbations
    entries = (LegendEntry(f"Class changes under 3 or more of {count} weight changes", "swatch",
                           SENSITIVITY_COLOURS[1], layer=_CHANGES_KEY),
               LegendEntry("Class changes under 1 or 2", "swatch", SENSITIVITY_COLOURS[0], layer=_CHANGES_KEY))
    return LegendSection(SENSITIVITY_TITLE, entries,
                         f"Each weight moved by -{step:g} % and +{step:g} % in turn; the rest of the land keeps its "
                         "class under every change.")


def _class_section(surface: Surface) -> LegendSection:
    low, medium, high = surface.thresholds.bins
    entries = (
        LegendEntry(f"High: score {high:g} and above", "swatch", CLASS_COLOURS[3], layer=_CLASSES_KEY),
        LegendEntry(f"Medium: {medium:g} to {high:g}", "swatch", CLASS_COLOURS[2], layer=_CLASSES_KEY),
        LegendEntry(f"Low: {low:g} to {medium:g}", "swatch", CLASS_COLOURS[1], layer=_CLASSES_KEY),
        LegendEntry(f"Unsuitable: a hard constraint, or below {low:g}", "swatch", CLASS_COLOURS[0],
                    layer=_CLASSES_KEY),
    )
    weights = ", ".join(f"{name} {weight:.2f}" for name, weight in surface.weights.items() if weight > 0)
    return LegendSection("Suitability classes", entries, f"Weighted score of the criteria ({weights}).")


def _criteria_section() -> LegendSection:
    entries = []
    lower = 0.0
    for limit, color in SCORE_STEPS:
        label = f"{lower:g} to {limit:g}" if math.isfinite(limit) else f"{lower:g} to 1"
        entries.append(LegendEntry(label, "swatch", color, layer=_CRITERIA_KEY))
        lower = limit
    return LegendSection(GROUP_CRITERIA, tuple(reversed(entries)),
                         "Each criterion's score before weighting: 1 best, 0 worst. One overlay per criterion.")


def _overlays(result: SuitabilityResult, *, images: MutableMapping[str, RasterImage] | None) -> Overlays:
    """The classes, the class changes and each criterion's scores as image overlays, with their legend rows."""
    surface = result.surface
    classes = image_overlay(class_image(surface, images=images), name="Suitability classes", pane="slope", base=False,
                            opacity=0.65, show=True)
    shifting = image_overlay(changes_image(result, images=images), name=SENSITIVITY_TITLE, pane="slope", base=False,
                             opacity=0.8, show=False)
    criteria = []
    for name, scores in surface.criteria.items():
        label = f"{name} (weight {surface.weights[name]:.2f})"
        image = score_image(scores, surface, images=images)
        criteria.append((label, image_overlay(image, name=label, pane="slope", base=False, opacity=0.7, show=False)))
    groups = ((GROUP_SUITABILITY, (("Suitability classes", classes), (SENSITIVITY_TITLE, shifting))),
              *([(GROUP_CRITERIA, tuple(criteria))] if criteria else []))
    sections = (_class_section(surface), _sensitivity_section(result), *([_criteria_section()] if criteria else []))
    behind = {_CLASSES_KEY: [classes], _CHANGES_KEY: [shifting], _CRITERIA_KEY: [overlay for _, overlay in criteria]}
    return Overlays(images=(classes, shifting, *(overlay for _, overlay in criteria)), groups=groups,
                    sections=sections, legend_layers=behind)


def suitability_map(layers: LayerSet, result: SuitabilityResult, *, relief: ReliefImages | None,  # noqa: PLR0913
                    offline: bool, language: str = "en", title: str = "Alatau City: land suitability and hazards",
                    download_template: str = "../layers/{name}.geojson", display: Display = display_layer,
                    images: MutableMapping[str, RasterImage] | None = None) -> folium.Map:
    """The suitability map: classes, the criteria as switchable overlays, hazard bands, sensitivity.

    Parameters
    ----------
    layers : LayerSet
        The built layers; those of :data:`SUITABILITY_MAP_LAYERS` present are shown.
    result : SuitabilityResult
        The plan's suitability: the surface (classes, the weighted criteria's
        scores) and its weight sensitivity.
    relief : ReliefImages or None
        The DEM's images (:func:`alatau_geo.maps.relief_images`); None leaves the relief out.
    offline, language, title, download_template, display
        As in :func:`alatau_geo.maps.overview_map`.
    images : mutable mapping, optional
        Overlay images made before (:func:`kept_grid_image`; a build keeps them in its cache).

    Returns
    -------
    folium.Map
        Render it with :func:`alatau_geo.maps.render_html`.
    """
    check_language(language)
    page = Page(SUITABILITY_MAP_LAYERS, fit_to=("city_boundary", "sez"), styles=SUITABILITY_STYLES)
    return draw_page(layers, page, relief=relief, offline=offline, language=language, title=title,
                     download_template=download_template, overlays=_overlays(result, images=images),
                     display=display)
