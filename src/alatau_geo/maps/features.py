"""Display copies of layers: simplified, in WGS84, rounded, with popup markup.

What a map embeds is not the layer itself but a light copy: vertices that
cannot be seen at map scales are dropped, coordinates are rounded, and each
feature carries only its escaped popup and tooltip (the full attributes
and geometry are one click away in the layer's GeoJSON download). Layers
styled with ``compact_popups`` carry only each feature's escaped values and
one shared :class:`~alatau_geo.maps.popups.PopupTemplate`; layers styled
with ``merge_by`` show one merged feature per group of overlapping ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from alatau_geo.core.crs import EXPORT_CRS, area_ha
from alatau_geo.core.layers import Layer
from alatau_geo.maps.popups import (
    PopupTemplate,
    badge_icon,
    display_name,
    popup_columns,
    popup_html,
    popup_template,
    popup_values,
    tooltip_html,
)
from alatau_geo.maps.profiles import parse_profile, profile_svg
from alatau_geo.maps.style import LayerStyle

__all__ = ["DISPLAY_DECIMALS", "DisplayLayer", "display_layer", "merge_for_display", "simplify_for_display"]

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
        search box only ever inserts as text). With `popup_template`, the
        features carry the property ``v`` (escaped values) instead of the popup
        and tooltip.
    styles : dict
        Leaflet path options by feature id; for points of a layer drawn with
        badges, the ``L.divIcon`` options of the feature's badge instead.
    bounds : (float, float, float, float)
        (west, south, east, north) in degrees.
    popup_template : PopupTemplate or None
        The shared popup markup of a layer styled with ``compact_popups``.
    """

    name: str
    title: str
    geometry_type: str
    data: dict[str, Any]
    styles: dict[Any, dict[str, Any]]
    bounds: tuple[float, float, float, float]
    popup_template: PopupTemplate | None = None

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


def _key_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def merge_for_display(
    frame: gpd.GeoDataFrame, *, by: Sequence[str], lists: Sequence[tuple[str, str]] = ()
) -> gpd.GeoDataFrame:
    """One feature per combination of the `by` values: the union of the group's geometries.

    A browser paints every overlapping polygon it is given: the 30-minute
    service areas of eight neighbouring substations are eight fills over
    much the same ground, which makes panning slow. Merged, each ground is
    painted once per group.

    Parameters
    ----------
    frame : GeoDataFrame
        In a projected CRS.
    by : sequence of str
        Columns whose values define a group; kept on the merged feature.
    lists : sequence of (str, str)
        (source, target): the distinct non-empty values of column `source`
        in the group, joined with ``"; "`` into column `target`; sources
        `frame` lacks are left out.

    Returns
    -------
    GeoDataFrame
        ``id`` (the group's values joined with ``-``), the `by` and target
        columns, and ``area_ha`` of the union (equal-area) when `frame` has
        an ``area_ha`` column. Groups in order of first appearance.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"kind": ["ss", "ss"], "minutes": [10.0, 10.0], "facility_id": ["a", "b"]},
    ...                          geometry=[box(0, 0, 2, 2), box(1, 1, 3, 3)], crs="EPSG:32643")
    >>> merged = merge_for_display(areas, by=["kind", "minutes"], lists=[("facility_id", "facility_ids")])
    >>> merged[["id", "facility_ids"]].values.tolist(), merged.geometry.area.tolist()
    ([['ss-10', 'a; b']], [7.0])
    """
    lists = [(source, target) for source, target in lists if source in frame.columns]
    rows = []
    for key, group in frame.groupby(list(by), sort=False, dropna=False):
        values = key if isinstance(key, tuple) else (key,)
        record: dict[str, Any] = {
            "id": "-".join(_key_text(value) for value in values),
            **dict(zip(by, values, strict=False)),
        }
        for source, target in lists:
            texts = (str(value).strip() for value in group[source] if isinstance(value, str) or pd.notna(value))
            record[target] = "; ".join(dict.fromkeys(text for text in texts if text))
        record["geometry"] = shapely.union_all(np.asarray(group.geometry.values))
        rows.append(record)
    columns = ["id", *by, *(target for _, target in lists), "geometry"]
    merged = gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=frame.crs)
    if "area_ha" in frame.columns:
        merged.insert(len(columns) - 1, "area_ha", area_ha(merged).round(1))
    return merged


def _round(geometry: gpd.GeoSeries, *, decimals: int) -> gpd.GeoSeries:
    rounded = shapely.transform(np.asarray(geometry.values), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=geometry.index, crs=geometry.crs)


def _json_id(value: Any) -> Any:
    # GeoJSON ids are strings or numbers; numpy scalars are not JSON.
    return value.item() if hasattr(value, "item") else value


def _in_drawing_order(frame: gpd.GeoDataFrame, style: LayerStyle) -> gpd.GeoDataFrame:
    """Features of categories listed later in the style come later, so they are drawn on top.

    Gas pipelines that follow a road stay visible over it. Graduated layers
    are ordered by class: higher classes on top, or lower ones with
    ``low_on_top`` (a 10-minute service area over the 30-minute one around
    it). Within a category or class, and for layers with neither, the order
    is kept (a stable sort).
    """
    classes = style.classes
    if classes is not None and classes.column in frame.columns:
        index = classes.classify(frame[classes.column])
        rank = -index if classes.low_on_top else index
        order = np.where(index < 0, -len(classes.colors) - 1, rank)  # features without a value at the bottom
        return frame.iloc[np.argsort(order, kind="stable")]
    if not (style.category_column and style.categories and style.category_column in frame.columns):
        return frame
    rank = {category.value: index for index, category in enumerate(style.categories)}
    order = np.array([rank.get(value, -1) for value in frame[style.category_column]], dtype=int)
    return frame.iloc[np.argsort(order, kind="stable")]


def _profile(record: dict[str, Any], style: LayerStyle) -> str:
    """The feature's elevation profile as an SVG chart, when its style names a profile column."""
    if style.profile_column is None:
        return ""
    step = record.get(style.profile_step_column)
    return profile_svg(parse_profile(record.get(style.profile_column)),
                       step_m=float(step) if isinstance(step, (int, float)) else float("nan"))


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
    frame = layer.sorted().frame
    if style.merge_by and all(column in frame.columns for column in style.merge_by):
        frame = merge_for_display(frame, by=style.merge_by, lists=style.merge_lists)
    frame = _in_drawing_order(frame, style)
    keep = frame.geometry.notna() & ~frame.geometry.is_empty
    if not keep.all():
        log.info("layer %s: %d features without geometry are not drawn", layer.name, int((~keep).sum()))
        frame = frame.loc[keep]
    geometry = _round(
        simplify_for_display(frame.geometry, tolerance_m=style.simplify_m).to_crs(EXPORT_CRS),
        decimals=decimals,
    )
    title = layer.title or layer.name
    if style.popup_columns is None:
        columns = popup_columns(frame.columns)
    else:
        columns = [column for column in style.popup_columns if column in frame.columns]
    template = (
        popup_template(columns, layer_title=title, quality=layer.provenance.quality)
        if style.compact_popups
        else None
    )
    features: list[dict[str, Any]] = []
    styles: dict[Any, dict[str, Any]] = {}
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    for record, shape in zip(records, geometry.values, strict=True):
        feature_id = _json_id(record["id"])
        if template is not None:
            properties: dict[str, Any] = {"v": popup_values(record, columns)}
        else:
            unnamed = style.feature_label(record, title=title)
            properties = {
                "popup_html": popup_html(
                    record, layer_title=title, columns=columns, quality=layer.provenance.quality, unnamed=unnamed
                ) + _profile(record, style),
                "tooltip_html": tooltip_html(record, layer_title=unnamed or title),
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
        popup_template=template,
    )
