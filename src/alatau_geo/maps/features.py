"""Display copies of layers: simplified, in WGS84, rounded, with popup markup.

What a map embeds is not the layer itself but a light copy: vertices that
cannot be seen at map scales are dropped, coordinates are rounded, and each
feature carries only its escaped popup and tooltip (the full attributes
and geometry are one click away in the layer's GeoJSON download).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from alatau_geo.crs import EXPORT_CRS
from alatau_geo.layers import Layer
from alatau_geo.maps.popups import (
    badge_icon,
    display_name,
    popup_columns,
    popup_html,
    tooltip_html,
)
from alatau_geo.maps.style import LayerStyle

__all__ = ["DISPLAY_DECIMALS", "DisplayLayer", "display_layer", "simplify_for_display"]

log = logging.getLogger(__name__)

# Decimal places of displayed WGS84 coordinates: 1e-6 degrees is about
# 0.1 m here, far below any simplification tolerance, so rounding never
# shows and shared vertices round to the same value.
DISPLAY_DECIMALS = 6


@dataclass(frozen=True)
class DisplayLayer:
    """A layer ready for a map.

    Attributes
    ----------
    name, title : str
        Layer name and (unescaped) title.
    geometry_type : str
        ``Point``, ``LineString``, ``Polygon`` (``Multi`` prefixed where any feature is).
    data : dict
        GeoJSON FeatureCollection in WGS84; each feature has the layer's ``id``
        as its id and the properties ``popup_html`` and ``tooltip_html`` (escaped
        markup) and, for searchable layers, ``search_text`` (plain text, which the
        search box only ever inserts as text).
    styles : dict
        Leaflet path options by feature id; for points of a layer drawn with
        badges, the ``L.divIcon`` options of the feature's badge instead.
    bounds : (float, float, float, float)
        (west, south, east, north) in degrees.
    """

    name: str
    title: str
    geometry_type: str
    data: dict[str, Any]
    styles: dict[Any, dict[str, Any]]
    bounds: tuple[float, float, float, float]

    @property
    def feature_count(self) -> int:
        """Number of features."""
        return len(self.data["features"])


def simplify_for_display(geometry: gpd.GeoSeries, *, tolerance_m: float) -> gpd.GeoSeries:
    """Drop vertices a map reader cannot see, keeping topology.

    Polygons that form a coverage (no overlaps, matching shared edges, such
    as districts) are simplified together with :func:`shapely.coverage_simplify`
    so neighbours keep one shared edge and no slivers or gaps open. Anything
    else is simplified one geometry at a time with Douglas-Peucker,
    ``preserve_topology=True`` (rings stay valid, holes stay inside).

    Parameters
    ----------
    geometry : GeoSeries
        In a projected CRS in metres.
    tolerance_m : float
        Largest allowed displacement, metres; 0 returns the input unchanged.

    Returns
    -------
    GeoSeries
        Same index and CRS.
    """
    if tolerance_m <= 0 or geometry.empty:
        return geometry
    values = np.asarray(geometry.values)
    polygonal = bool(np.all(np.isin(shapely.get_type_id(values), (3, 6))))  # Polygon, MultiPolygon
    if polygonal and len(values) > 1 and bool(shapely.coverage_is_valid(values)):
        simplified = shapely.coverage_simplify(values, tolerance_m)
    else:
        simplified = shapely.simplify(values, tolerance_m, preserve_topology=True)
    return gpd.GeoSeries(simplified, index=geometry.index, crs=geometry.crs)


def _round(geometry: gpd.GeoSeries, *, decimals: int) -> gpd.GeoSeries:
    rounded = shapely.transform(np.asarray(geometry.values), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=geometry.index, crs=geometry.crs)


def _json_id(value: Any) -> Any:
    # GeoJSON ids are strings or numbers; numpy scalars are not JSON.
    return value.item() if hasattr(value, "item") else value


def _in_drawing_order(frame: gpd.GeoDataFrame, style: LayerStyle) -> gpd.GeoDataFrame:
    """Features of categories listed later in the style come later, so they are drawn on top.

    Gas pipelines that follow a road stay visible over it. Within a category,
    and for layers without categories, the order is kept (a stable sort).
    """
    if not (style.category_column and style.categories and style.category_column in frame.columns):
        return frame
    rank = {category.value: index for index, category in enumerate(style.categories)}
    order = np.array([rank.get(value, -1) for value in frame[style.category_column]], dtype=int)
    return frame.iloc[np.argsort(order, kind="stable")]


def display_layer(layer: Layer, style: LayerStyle, *, decimals: int = DISPLAY_DECIMALS) -> DisplayLayer:
    """The display copy of `layer`.

    Parameters
    ----------
    layer : Layer
        Features in EPSG:32643.
    style : LayerStyle
        Gives the simplification tolerance, whether the layer is searchable and
        the per-feature Leaflet style.
    decimals : int
        Decimal places of the WGS84 coordinates.

    Returns
    -------
    DisplayLayer
    """
    frame = _in_drawing_order(layer.sorted().frame, style)
    keep = frame.geometry.notna() & ~frame.geometry.is_empty
    if not keep.all():
        log.info("layer %s: %d features without geometry are not drawn", layer.name, int((~keep).sum()))
        frame = frame.loc[keep]
    geometry = _round(
        simplify_for_display(frame.geometry, tolerance_m=style.simplify_m).to_crs(EXPORT_CRS),
        decimals=decimals,
    )
    title = layer.title or layer.name
    columns = popup_columns(frame.columns)
    features: list[dict[str, Any]] = []
    styles: dict[Any, dict[str, Any]] = {}
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    for record, shape in zip(records, geometry.values, strict=True):
        feature_id = _json_id(record["id"])
        properties = {
            "popup_html": popup_html(
                record, layer_title=title, columns=columns, quality=layer.provenance.quality
            ),
            "tooltip_html": tooltip_html(record, layer_title=title),
        }
        if style.searchable:
            properties["search_text"] = display_name(record, fallback=f"{title} {feature_id}")
        features.append(
            {"type": "Feature", "id": feature_id, "properties": properties, "geometry": mapping(shape)}
        )
        badge = style.badge(record) if shape.geom_type in ("Point", "MultiPoint") else None
        styles[feature_id] = (
            badge_icon(badge) if badge else style.leaflet_style(record, geometry_type=shape.geom_type)
        )
    west, south, east, north = (float(v) for v in geometry.total_bounds) if len(geometry) else (0.0,) * 4
    return DisplayLayer(
        name=layer.name,
        title=title,
        geometry_type=layer.geometry_type,
        data={"type": "FeatureCollection", "features": features},
        styles=styles,
        bounds=(west, south, east, north),
    )
