"""Display copies of layers: simplified, in WGS84, rounded, with popup markup.

What a map embeds is not the layer itself but a light copy: vertices that
cannot be seen at map scales are dropped, coordinates are rounded, and each
feature carries only its escaped popup values, its title and its names in
every language, joined in the browser with one shared
:class:`~alatau_geo.maps.popups.PopupTemplate` per layer (the full attributes
and geometry are one click away in the layer's GeoJSON download). Features
of layers styled with ``compact_popups`` carry their values only; layers
styled with ``merge_by`` show one merged feature per group of overlapping ones.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from alatau_geo.core.crs import EXPORT_CRS, area_ha
from alatau_geo.core.layers import Layer, frame_digest
from alatau_geo.maps.elements import script_json
from alatau_geo.maps.i18n import feature_names
from alatau_geo.maps.popups import (
    PopupTemplate,
    badge_icon,
    display_name,
    feature_head,
    popup_columns,
    popup_template,
    popup_value_rows,
)
from alatau_geo.maps.profiles import parse_profile, profile_svg
from alatau_geo.maps.style import LayerStyle

__all__ = [
    "DISPLAY_DECIMALS",
    "Display",
    "DisplayLayer",
    "display_key",
    "display_layer",
    "geometry_mappings",
    "merge_for_display",
    "search_text",
    "simplify_for_display",
]

log = logging.getLogger(__name__)

# Decimal places of displayed WGS84 coordinates: 1e-6 degrees is about
# 0.1 m here, far below any simplification tolerance, so rounding never
# shows and shared vertices round to the same value.
DISPLAY_DECIMALS = 6


@dataclass(frozen=True)
class DisplayLayer:
    """A layer ready for a map.

    Made by :func:`display_layer` (or :meth:`of`); a build keeps it as
    :meth:`to_json` writes it, and reads it back without parsing its
    features: a page writes them as the text :attr:`data_json` holds, and
    only the few readers of :attr:`data` (the search box's check, the
    editing map) parse it.

    Attributes
    ----------
    name, title : str
        Layer name and (unescaped) title.
    geometry_type : str
        ``Point``, ``LineString``, ``Polygon`` (``Multi`` prefixed where any feature is).
    data_json : str
        :attr:`data` as :func:`~alatau_geo.maps.elements.script_json` writes it into a page.
    feature_count : int
        Number of features.
    geometry_types : tuple of str
        The geometry types of the features, each once, sorted.
    style_table : tuple of dict
        The distinct Leaflet path options of the layer's features (for points of
        a layer drawn with badges, the ``L.divIcon`` options of the badges);
        each feature's property ``s`` is the index of its own.
    bounds : (float, float, float, float)
        (west, south, east, north) in degrees.
    popup_template : PopupTemplate
        The layer's shared popup markup.
    """

    name: str
    title: str
    geometry_type: str
    data_json: str
    feature_count: int
    geometry_types: tuple[str, ...]
    style_table: tuple[dict[str, Any], ...]
    bounds: tuple[float, float, float, float]
    popup_template: PopupTemplate

    @classmethod
    def of(cls, data: dict[str, Any], *, name: str, title: str, geometry_type: str,  # noqa: PLR0913
           style_table: tuple[dict[str, Any], ...], bounds: tuple[float, float, float, float],
           popup_template: PopupTemplate) -> DisplayLayer:
        """The display copy of the FeatureCollection `data` (see :attr:`data`)."""
        features = data["features"]
        made = cls(name=name, title=title, geometry_type=geometry_type, data_json=script_json(data),
                   feature_count=len(features),
                   geometry_types=tuple(sorted({feature["geometry"]["type"] for feature in features})),
                   style_table=style_table, bounds=bounds, popup_template=popup_template)
        made.__dict__["data"] = data  # known already: not parsed again from data_json
        return made

    @functools.cached_property
    def data(self) -> dict[str, Any]:
        """GeoJSON FeatureCollection in WGS84, parsed from :attr:`data_json` when first read.

        Each feature has the layer's ``id`` as its id and the properties
        ``v`` (escaped values for the popup template, the id last), ``t``
        (title markup, also the tooltip) and, where it has names in two
        languages or more, ``n`` (their markup); features of
        ``compact_popups`` layers carry ``v`` only. Features of searchable
        layers also carry ``names`` (the name in each language) and
        ``search_text`` (every name, former names and the id: plain text,
        which the search box only ever inserts as text).
        """
        return json.loads(self.data_json)

    def to_json(self) -> bytes:
        """The display copy as JSON (UTF-8), which :meth:`from_json` reads back; the features as one string."""
        # Not dataclasses.asdict: it deep-copies every field first.
        fields = {"name": self.name, "title": self.title, "geometry_type": self.geometry_type,
                  "data_json": self.data_json, "feature_count": self.feature_count,
                  "geometry_types": self.geometry_types, "style_table": self.style_table, "bounds": self.bounds,
                  "popup_template": asdict(self.popup_template)}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> DisplayLayer:
        """The display copy :meth:`to_json` wrote.

        Raises
        ------
        ValueError
            If `data` is not such a copy (damaged or cut short).
        """
        try:
            fields = json.loads(data.decode("utf-8"))
            template = fields.pop("popup_template")
            if not isinstance(fields["data_json"], str):
                raise TypeError("data_json is not text")
            return cls(**{**fields, "style_table": tuple(fields["style_table"]), "bounds": tuple(fields["bounds"]),
                          "geometry_types": tuple(fields["geometry_types"]),
                          "popup_template": PopupTemplate(**{key: tuple(value) if isinstance(value, list) else value
                                                             for key, value in template.items()})})
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, KeyError, TypeError) as error:
            raise ValueError(f"not a display layer: {error}") from None

    @property
    def styles(self) -> dict[Any, dict[str, Any]]:
        """Each feature's Leaflet options, by feature id."""
        return {feature["id"]: self.style_table[feature["properties"]["s"]] for feature in self.data["features"]}


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


def geometry_mappings(geometries: np.ndarray) -> list[dict[str, Any]]:
    """Each geometry as :func:`shapely.geometry.mapping` gives it (the same types and coordinates), made in bulk.

    ``mapping`` walks every coordinate in Python; for the thousands of
    population blocks a page shows that is most of the time of its display
    copy. Here the points, lines and polygons are taken out by type
    (:func:`shapely.to_ragged_array`) and only rings and parts are
    sliced in Python. Geometries with Z, empty ones and collections are
    mapped one by one.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> geometry_mappings(np.array([Point(1, 2), box(0, 0, 1, 1)]))[0]
    {'type': 'Point', 'coordinates': (1.0, 2.0)}
    >>> geometry_mappings(np.array([box(0, 0, 1, 1)]))[0] == mapping(box(0, 0, 1, 1))
    True
    """
    found: list[dict[str, Any] | None] = [None] * len(geometries)
    kinds = shapely.get_type_id(geometries)
    plain = ~shapely.has_z(geometries) & ~shapely.is_empty(geometries)
    for kind, make in _MAPPINGS.items():
        (where,) = np.nonzero((kinds == kind) & plain)
        if len(where):
            _, coords, offsets = shapely.to_ragged_array(geometries[where], include_z=False)
            for index, value in zip(where, make(coords.tolist(), [o.tolist() for o in offsets]), strict=True):
                found[index] = value
    return [value if value is not None else mapping(shape) for value, shape in zip(found, geometries, strict=True)]


def _parts(items: list[Any], offsets: list[int]) -> list[tuple[Any, ...]]:
    return [tuple(items[start:end]) for start, end in zip(offsets[:-1], offsets[1:], strict=True)]


def _points(coords: list[list[float]], _offsets: list[list[int]]) -> list[dict[str, Any]]:
    return [{"type": "Point", "coordinates": tuple(xy)} for xy in coords]


def _lines(coords: list[list[float]], offsets: list[list[int]], kind: str = "LineString") -> list[dict[str, Any]]:
    points = [tuple(xy) for xy in coords]
    rings = _parts(points, offsets[0])
    for level in offsets[1:]:
        rings = _parts(rings, level)
    # shapely gives a multipolygon's polygons as a list, every other sequence as a tuple.
    return [{"type": kind, "coordinates": list(value) if kind == "MultiPolygon" else value} for value in rings]


_MAPPINGS: dict[int, Callable[[list[list[float]], list[list[int]]], list[dict[str, Any]]]] = {
    0: _points,
    1: _lines,
    3: lambda coords, offsets: _lines(coords, offsets, "Polygon"),
    4: lambda coords, offsets: [{"type": "MultiPoint", "coordinates": value}
                                for value in _parts([tuple(xy) for xy in coords], offsets[0])],
    5: lambda coords, offsets: _lines(coords, offsets, "MultiLineString"),
    6: lambda coords, offsets: _lines(coords, offsets, "MultiPolygon"),
}
"""How each geometry type (by :func:`shapely.get_type_id`) is mapped from its ragged array."""


def _round(geometry: gpd.GeoSeries, *, decimals: int) -> gpd.GeoSeries:
    rounded = shapely.transform(np.asarray(geometry.values), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=geometry.index, crs=geometry.crs)


class _StyleTable:
    """The distinct Leaflet options of a layer's features, each as JSON gives it back, in the order first met."""

    def __init__(self) -> None:
        self.styles: list[Any] = []
        self._indices: dict[Any, int] = {}

    def index(self, options: dict[str, Any]) -> int:
        """The index of `options` among :attr:`styles`, added when new."""
        # Looked up by the options' items with their types (1 and 1.0 and True are equal keys, not equal JSON),
        # as a set: the same options in any order are one style, as in JSON with sorted keys. Only new ones are
        # written as JSON, once, not each of a layer's thousands of features.
        try:
            key: Any = frozenset((name, type(value), value) for name, value in options.items())
        except TypeError:  # a list among the values (a badge's icon size): its JSON text instead
            key = json.dumps(options, sort_keys=True)
        found = self._indices.get(key)
        if found is None:
            found = self._indices[key] = len(self.styles)
            self.styles.append(json.loads(json.dumps(options, sort_keys=True)))
        return found


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


def search_text(properties: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """What the search box matches a feature by: its names in every language, former names and its id.

    Former names come from a ``former_names`` column (semicolon-separated) where the table has one.

    Examples
    --------
    >>> search_text({"id": "konaev", "former_names": "Kapchagay; Капчагай"},
    ...             {"en": "Konaev", "kk": "Қонаев", "ru": "Конаев"})
    'Konaev | Қонаев | Конаев | Kapchagay | Капчагай | konaev'
    """
    former = properties.get("former_names")
    parts = [*names.values(), *(former.split(";") if isinstance(former, str) else ()), str(properties.get("id", ""))]
    return " | ".join(dict.fromkeys(part.strip() for part in parts if part and part.strip()))


def _profile(record: dict[str, Any], style: LayerStyle) -> str:
    """The feature's elevation profile as an SVG chart, when its style names a profile column."""
    if style.profile_column is None:
        return ""
    step = record.get(style.profile_step_column)
    return profile_svg(parse_profile(record.get(style.profile_column)),
                       step_m=float(step) if isinstance(step, (int, float)) else float("nan"))


Display = Callable[[Layer, LayerStyle], DisplayLayer]
"""Makes the display copy of a layer drawn with a style: :func:`display_layer`, or a memo of it."""


def display_key(layer: Layer, style: LayerStyle, *, decimals: int = DISPLAY_DECIMALS,
                frame: bytes | None = None) -> str:
    """A SHA-256 of everything :func:`display_layer` reads: the layer's name, title, quality, features and style.

    Two layers with the same key have the same display copy, so a build can
    keep the copies of the layers an edit did not change. The frame (its
    CRS, attributes and geometries as WKB) enters by :func:`frame_digest`,
    never read back: equal frames made the same way hash the same, and a
    frame made another way is at worst a miss. `frame`: that digest, when
    the caller has it (a layer drawn on several pages, in several styles).
    """
    hashed = hashlib.sha256(repr((layer.name, layer.title, layer.provenance.quality, style, decimals)).encode())
    hashed.update(frame if frame is not None else frame_digest(layer))
    return hashed.hexdigest()


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
    numeric = [column for column in columns if pd.api.types.is_numeric_dtype(frame[column])
               and not pd.api.types.is_bool_dtype(frame[column])]
    template = popup_template(columns, layer_title=title, quality=layer.provenance.quality, layer=layer.name,
                              numeric=numeric)
    features: list[dict[str, Any]] = []
    table = _StyleTable()
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    shapes = np.asarray(geometry.values, dtype=object)
    values = popup_value_rows(records, template, kinds={column: dtype.kind for column, dtype in frame.dtypes.items()
                                                        if isinstance(dtype, np.dtype)})
    for record, shape, mapped, shown in zip(records, shapes, geometry_mappings(shapes), values, strict=True):
        feature_id = _json_id(record["id"])
        properties: dict[str, Any] = {"v": shown}
        if not style.compact_popups:
            properties["t"], names_block = feature_head(record, fallback=style.feature_label(record, title=title)
                                                        or title)
            if names_block:
                properties["n"] = names_block
            profile = _profile(record, style)
            if profile:
                properties["p"] = profile
        if style.searchable:
            names = feature_names(record, fallback=display_name(record, fallback=f"{title} {feature_id}"))
            properties["names"] = names
            properties["search_text"] = search_text(record, names)
        features.append(
            {"type": "Feature", "id": feature_id, "properties": properties, "geometry": mapped}
        )
        badge = style.badge(record) if shape.geom_type in ("Point", "MultiPoint") else None
        options = badge_icon(badge) if badge else style.leaflet_style(record, geometry_type=shape.geom_type)
        properties["s"] = table.index(options)
    west, south, east, north = (float(v) for v in geometry.total_bounds) if len(geometry) else (0.0,) * 4
    return DisplayLayer.of(
        {"type": "FeatureCollection", "features": features},
        name=layer.name,
        title=title,
        geometry_type=layer.geometry_type,
        style_table=tuple(table.styles),
        bounds=(west, south, east, north),
        popup_template=template,
    )
