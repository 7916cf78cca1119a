"""Labels on the map: places, districts (name and role), rivers, corridors, the reservoir and mountain stations.

A label is a name at an anchor: a place's point, the point inside a district
or the reservoir farthest from its edge (the pole of inaccessibility), the
middle of a river or corridor. Each kind of label has a rank and the zoom
levels it shows at; in the browser (``static/runtime.js``) labels are placed
in rank order and a label that would overlap one placed before it is hidden,
so they never collide, and a label hides with its layer. Names come in every
language (``name_en``, ``name_kk``, ``name_ru``) and follow the page's
language switch; the browser writes them as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import shapely
from folium.template import Template
from pyproj import Transformer
from shapely.ops import polylabel

from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.layers import Layer
from alatau_geo.maps.elements import RenderOnce, script_json
from alatau_geo.maps.i18n import feature_names, translations

__all__ = ["LABELLED_LAYERS", "Label", "MapLabels", "layer_labels"]

_TO_WGS84 = Transformer.from_crs(WORKING_CRS, EXPORT_CRS, always_xy=True)
# Zoom levels: the study area fills the screen at 9, the city at 10-11, a district at 12-13.
_MAX_ZOOM = 22
LABELLED_LAYERS = ("places", "districts", "reservoir", "rivers", "corridors", "mountain_stations")


@dataclass(frozen=True)
class Label:
    """One label.

    Attributes
    ----------
    lon, lat : float
        Anchor, WGS84 degrees.
    names : dict of str to str
        The text by language (``en``, ``kk``, ``ru``).
    kind : str
        Style: ``place``, ``place-major``, ``district``, ``water``, ``river``, ``road`` (a shield),
        ``road-name`` or ``rail``.
    rank : int
        Higher ranks are placed first and win collisions.
    min_zoom : int
        Lowest zoom level the label shows at.
    layer : str
        The layer it labels; the label hides when the layer is switched off.
    detail : dict of str to str or None
        A second line (a district's role), by language.
    detail_zoom : int
        Lowest zoom level the second line shows at.
    """

    lon: float
    lat: float
    names: dict[str, str]
    kind: str
    rank: int
    min_zoom: int
    layer: str
    detail: dict[str, str] | None = None
    detail_zoom: int = _MAX_ZOOM

    def as_json(self, owner: int | None) -> dict[str, Any]:
        """The label as the page runtime reads it; `owner` indexes the map layer it hides with."""
        return {
            "lon": round(self.lon, 6), "lat": round(self.lat, 6), "names": self.names, "kind": self.kind,
            "min_zoom": self.min_zoom, "max_zoom": _MAX_ZOOM, "detail": self.detail,
            "detail_zoom": self.detail_zoom, "owner": owner,
        }


# Places by kind: (style, rank, lowest zoom).
_PLACE_KINDS: Mapping[str, tuple[str, int, int]] = {
    "city": ("place-major", 100, 0),
    "town": ("place-major", 90, 9),
    "airport": ("place", 60, 11),
    "village": ("place", 50, 11),
    "station": ("place", 40, 12),
}


def _wgs84(point: shapely.Point) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(point.x, point.y)
    return float(lon), float(lat)


def _largest(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = list(getattr(geometry, "geoms", [geometry]))
    return max(parts, key=lambda part: part.area if part.area else part.length)


def _inside(geometry: shapely.Geometry) -> shapely.Point:
    """The point of the largest part farthest from its edge (to within 100 m)."""
    part = _largest(geometry)
    return polylabel(part, tolerance=100.0) if part.geom_type == "Polygon" else part.representative_point()


def _along(geometry: shapely.Geometry, fraction: float) -> shapely.Point:
    merged = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" else geometry
    line = _largest(merged)
    return line.interpolate(fraction, normalized=True)


def _record_label(name: str, record: Mapping[str, Any], geometry: shapely.Geometry) -> Label | None:
    names = feature_names(record, fallback="")
    if not names["en"]:
        return None
    if name == "places":
        kind, rank, zoom = _PLACE_KINDS.get(str(record.get("kind")), ("place", 30, 12))
        return Label(*_wgs84(_largest(geometry).representative_point()), names, kind, rank, zoom, name)
    if name == "districts":
        role = record.get("role")
        detail = translations(role) if isinstance(role, str) and role.strip() else None
        return Label(*_wgs84(_inside(geometry)), names, "district", 95, 9, name, detail, 11)
    if name == "reservoir":
        return Label(*_wgs84(_inside(geometry)), names, "water", 80, 8, name)
    if name == "mountain_stations":  # the mountain map opens on them, a few kilometres apart
        major = record.get("kind") == "base_station"
        return Label(*_wgs84(_largest(geometry).representative_point()), names, "place-major" if major else "place",
                     75 if major else 70, 10, name)
    if name == "rivers":
        return Label(*_wgs84(_along(geometry, 0.5)), names, "river", 40, 10, name)
    if name == "corridors":
        ref = record.get("ref")
        if isinstance(ref, str) and ref.strip():  # a road shield: the route number reads in every language
            shield = {language: ref.strip() for language in names}
            return Label(*_wgs84(_along(geometry, 0.35)), shield, "road", 45, 9, name)
        kind = "rail" if record.get("kind") == "railway" else "road-name"
        return Label(*_wgs84(_along(geometry, 0.6)), names, kind, 35, 11, name)
    return None


def layer_labels(layer: Layer) -> list[Label]:
    """The labels of `layer` (empty for layers that are not labelled, see :data:`LABELLED_LAYERS`).

    Parameters
    ----------
    layer : Layer
        Features in EPSG:32643.

    Returns
    -------
    list of Label
        In the layer's id order; features without a name get none.
    """
    if layer.name not in LABELLED_LAYERS:
        return []
    frame = layer.frame.sort_values("id", kind="stable")
    # The records column by column (each page labels the same layers: no copy of the frame, no to_dict).
    columns = [column for column in frame.columns if column != frame.geometry.name]
    records = [dict(zip(columns, values, strict=True))
               for values in zip(*(frame[column].tolist() for column in columns), strict=True)]
    labels = []
    for record, geometry in zip(records, frame.geometry.array, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        label = _record_label(layer.name, record, geometry)
        if label is not None:
            labels.append(label)
    return labels


class MapLabels(RenderOnce):
    """The labels of a map, placed in the browser without collisions (see ``static/runtime.js``).

    Parameters
    ----------
    labels : sequence of Label
    owners : mapping of str to Layer
        The map layer of each labelled layer name; its labels show while it is on.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            agMaps.labels({{ this._parent.get_name() }},
                [{% for owner in this.owners %}{{ owner.get_name() }}, {% endfor %}],
                {{ this.items_json }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: Sequence[Label], *, owners: Mapping[str, folium.map.Layer]) -> None:
        super().__init__()
        self._name = "MapLabels"
        names = sorted({label.layer for label in labels if label.layer in owners})
        self.owners = [owners[name] for name in names]
        ordered = sorted(labels, key=lambda label: (-label.rank, label.names["en"], label.lon, label.lat))
        self.items_json = script_json(
            [label.as_json(names.index(label.layer) if label.layer in names else None) for label in ordered]
        )
