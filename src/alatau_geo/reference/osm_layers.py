"""OpenStreetMap features turned into reference layers: places, transport corridors, rivers.

The converters :func:`places_from_osm`, :func:`corridors_from_osm` and
:func:`rivers_from_osm` take any osmnx features GeoDataFrame (indexed by
``(element, id)``) and select the features they need themselves, so a frame
fetched with broader tags can be passed as it is.

Names follow OSM's multilingual keys: ``name_en`` is ``name:en``, else
``int_name``, else ``name`` (used as it is, not transliterated); ``name_kk``
is ``name:kk``; ``name_ru`` is ``name:ru``, else ``name``. A missing name is
``None``.

OSM data are (c) OpenStreetMap contributors, available under the Open
Database Licence (ODbL); the provenance of every layer says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import osmnx as ox
import pandas as pd
import shapely

from alatau_geo.core.crs import WORKING_CRS, to_working
from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import Layer, Provenance

TagFilter = Mapping[str, bool | str | Sequence[str]]
Member = tuple[tuple[str, int], dict[str, Any]]  # ((element, osmid), tags with geometry)

PLACE_TAGS: TagFilter = MappingProxyType(
    {"place": ("city", "town", "village", "hamlet"), "aeroway": ("aerodrome",)}
)
"""OSM tags of the features that become gazetteer places."""

CORRIDOR_TAGS: TagFilter = MappingProxyType(
    {"highway": ("motorway", "trunk", "primary"), "railway": ("rail",)}
)
"""OSM tags of the ways that become transport corridors."""

RIVER_TAGS: TagFilter = MappingProxyType({"waterway": ("river",)})
"""OSM tags of the ways that become rivers."""

DEFAULT_TAGS: TagFilter = MappingProxyType({**PLACE_TAGS, **CORRIDOR_TAGS, **RIVER_TAGS})
"""Every tag the three layers use: what :func:`alatau_geo.reference.osm.read_osm_xml` and
:func:`~alatau_geo.reference.osm.download_osm` ask for."""

PLACE_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "position_quality", "source")
CORRIDOR_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "ref", "schematic", "source")
RIVER_COLUMNS = ("id", "name_en", "name_kk", "name_ru", "kind", "source")

ATTRIBUTION = "OpenStreetMap contributors (ODbL)"
_LINE_TYPES = frozenset({"LineString", "MultiLineString"})


def places_from_osm(features: gpd.GeoDataFrame, *, origin: str = "features given by the caller") -> Layer:
    """Gazetteer places from osmnx features.

    Parameters
    ----------
    features : GeoDataFrame
        osmnx features indexed by ``(element, id)``, any CRS.
    origin : str
        Where the features came from (a file, "Overpass download ..."),
        recorded in the provenance.

    Returns
    -------
    Layer
        ``places_osm``: one point per feature tagged as in :data:`PLACE_TAGS`,
        columns ``id`` (``osm-<element>-<osmid>``), ``name_en``, ``name_kk``,
        ``name_ru``, ``kind`` (the ``place`` value, or ``airport``),
        ``position_quality`` (``openstreetmap``), ``source``. Areas are
        reduced to a point on their surface.
    """
    selected = _select(features, PLACE_TAGS, what="places")
    records = []
    for (element, osmid), tags in _rows(selected):
        geometry = tags["geometry"]
        if geometry.geom_type != "Point":
            # an airport or a town mapped as an area: a point that is
            # guaranteed to lie on it, unlike a centroid
            geometry = geometry.representative_point()
        records.append(
            {
                "id": _feature_id(element, osmid),
                **_names(tags),
                "kind": "airport" if tags.get("aeroway") == "aerodrome" else tags.get("place"),
                "position_quality": "openstreetmap",
                "source": _source_text([(element, osmid)]),
                "geometry": geometry,
            }
        )
    return _osm_layer("places_osm", "Places (OpenStreetMap)", _frame(records, PLACE_COLUMNS), origin=origin,
                      tags=PLACE_TAGS, method="OSM elements tagged as in the parameters; areas reduced to a point "
                      "on their surface")


def corridors_from_osm(features: gpd.GeoDataFrame, *, origin: str = "features given by the caller") -> Layer:
    """Transport corridors (highways, railways) from osmnx features.

    The ways of one route are merged with :func:`shapely.line_merge`, so a
    road mapped as many ways comes out as one feature. A route is a
    ``(kind, ref)`` pair, or ``(kind, name)`` for a way without ``ref``; a
    way with neither stays a feature of its own.

    Parameters
    ----------
    features : GeoDataFrame
        osmnx features indexed by ``(element, id)``, any CRS.
    origin : str
        Where the features came from, recorded in the provenance.

    Returns
    -------
    Layer
        ``corridors_osm``: columns ``id`` (``osm-<element>-<osmid>`` of the
        route's lowest way id), ``name_en``, ``name_kk``, ``name_ru``,
        ``kind`` (``highway`` or ``railway``), ``ref``, ``schematic``
        (``False``), ``source`` (the OSM ways merged); LineString where the
        ways join end to end, MultiLineString otherwise (e.g. dual
        carriageways).
    """
    selected = _lines(_select(features, CORRIDOR_TAGS, what="corridors"))
    kinds = pd.Series("railway", index=selected.index)
    if "highway" in selected.columns:
        kinds[_matches(selected, {"highway": CORRIDOR_TAGS["highway"]})] = "highway"
    records = []
    for members, geometry in _merged_routes(selected, kinds, by_ref=True, directed=False):
        records.append(
            {
                **_route_fields(members),
                "kind": kinds[members[0][0]],
                "ref": _first_text(members, "ref"),
                "schematic": False,
                "geometry": geometry,
            }
        )
    frame = _frame(records, CORRIDOR_COLUMNS).astype({"schematic": bool})
    return _osm_layer("corridors_osm", "Transport corridors (OpenStreetMap)", frame, origin=origin,
                      tags=CORRIDOR_TAGS, method="OSM ways tagged as in the parameters, merged per (kind, ref or "
                      "name) with shapely.line_merge")


def rivers_from_osm(features: gpd.GeoDataFrame, *, origin: str = "features given by the caller") -> Layer:
    """Rivers from osmnx features, the ways of one river merged per name.

    Parameters
    ----------
    features : GeoDataFrame
        osmnx features indexed by ``(element, id)``, any CRS.
    origin : str
        Where the features came from, recorded in the provenance.

    Returns
    -------
    Layer
        ``rivers_osm``: columns ``id``, ``name_en``, ``name_kk``,
        ``name_ru``, ``kind`` (``river``), ``source``; lines in the direction
        OSM draws them (downstream, by OSM convention) where the merge keeps it.
    """
    selected = _lines(_select(features, RIVER_TAGS, what="rivers"))
    kinds = pd.Series("river", index=selected.index)
    records = [
        {**_route_fields(members), "kind": "river", "geometry": geometry}
        for members, geometry in _merged_routes(selected, kinds, by_ref=False, directed=True)
    ]
    return _osm_layer("rivers_osm", "Rivers (OpenStreetMap)", _frame(records, RIVER_COLUMNS), origin=origin,
                      tags=RIVER_TAGS, method="OSM ways tagged as in the parameters, merged per name with "
                      "shapely.line_merge")


# --------------------------------------------------------------------------
# Helpers


def osmnx_tags(tags: TagFilter) -> dict[str, bool | str | list[str]]:
    """Tags in the form osmnx filters on (it recognises lists, not tuples)."""
    return {key: value if isinstance(value, (bool, str)) else list(value) for key, value in tags.items()}


def _matches(features: gpd.GeoDataFrame, tags: TagFilter) -> pd.Series:
    """Rows with any of `tags`, as osmnx's own tag filter reads them."""
    mask = pd.Series(False, index=features.index)
    for key, value in tags.items():
        if key not in features.columns:
            continue
        if value is True:
            mask |= features[key].notna()
        elif isinstance(value, str):
            mask |= features[key] == value
        elif value is not False:
            mask |= features[key].isin(list(value))
    return mask


def _select(features: gpd.GeoDataFrame, tags: TagFilter, *, what: str) -> gpd.GeoDataFrame:
    """The features with any of `tags`, in the working CRS."""
    if list(features.index.names) != ["element", "id"]:
        raise LayerError(
            f"OSM {what}: expected an osmnx features frame indexed by (element, id), "
            f"got index {list(features.index.names)}"
        )
    selected = features[_matches(features, tags)]
    selected = selected[~(selected.geometry.isna() | selected.geometry.is_empty)]
    return to_working(selected, what=f"OSM {what}")


def _lines(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # closed ways tagged as areas come out of osmnx as polygons: not routes
    return features[features.geometry.geom_type.isin(_LINE_TYPES)]


def _rows(features: gpd.GeoDataFrame) -> Iterator[tuple[tuple[str, int], dict[str, Any]]]:
    """(element, osmid) and the tags (with ``geometry``) of each feature.

    Records rather than itertuples: OSM keys such as ``name:en`` are not
    valid attribute names.
    """
    yield from zip(features.index, features.to_dict("records"), strict=True)


def _text(tags: Mapping[str, Any], *keys: str) -> str | None:
    """The first of `keys` with a non-empty text value."""
    for key in keys:
        value = tags.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _names(tags: Mapping[str, Any]) -> dict[str, str | None]:
    return {
        "name_en": _text(tags, "name:en", "int_name", "name"),
        "name_kk": _text(tags, "name:kk"),
        "name_ru": _text(tags, "name:ru", "name"),
    }


def _feature_id(element: str, osmid: int) -> str:
    return f"osm-{element}-{osmid}"


def _source_text(members: Sequence[tuple[str, int]]) -> str:
    return "OpenStreetMap " + ", ".join(f"{element}/{osmid}" for element, osmid in members)


def _merged_routes(
    features: gpd.GeoDataFrame, kinds: pd.Series, *, by_ref: bool, directed: bool
) -> Iterator[tuple[list[Member], shapely.Geometry]]:
    """Group features into routes and merge each route's lines.

    Yields the members of each route, lowest (element, id) first, and the
    merged geometry. With `directed`, lines join only head to tail, so a
    river keeps its flow direction; roads and railways are drawn either way.
    """
    routes: dict[tuple[str, ...], list[Member]] = {}
    for key, tags in _rows(features):
        ref = _text(tags, "ref") if by_ref else None
        name = _text(tags, "name", "name:en")
        if ref is not None:
            route = (kinds[key], "ref", ref)
        elif name is not None:
            route = (kinds[key], "name", name)
        else:
            route = (kinds[key], "element", *map(str, key))
        routes.setdefault(route, []).append((key, tags))
    for members in routes.values():
        members.sort(key=lambda member: member[0])
        if len(members) == 1:
            yield members, members[0][1]["geometry"]
            continue
        # a plain multi-part line, not a union: a union would also split the
        # lines where they cross (flyovers, braided channels)
        parts = shapely.get_parts([tags["geometry"] for _, tags in members])
        yield members, shapely.line_merge(shapely.MultiLineString(list(parts)), directed=directed)


def _first_text(members: Sequence[Member], key: str) -> str | None:
    return next((value for _, tags in members if (value := _text(tags, key)) is not None), None)


def _route_fields(members: Sequence[Member]) -> dict[str, Any]:
    """Id, names and source of a merged route: the first way that has each."""
    (element, osmid), _ = members[0]
    names = [_names(tags) for _, tags in members]
    return {
        "id": _feature_id(element, osmid),
        **{column: next((n[column] for n in names if n[column] is not None), None) for column in names[0]},
        "source": _source_text([key for key, _ in members]),
    }


def _frame(records: list[dict[str, Any]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    """A GeoDataFrame in the working CRS with exactly `columns` and geometry, empty or not."""
    data = pd.DataFrame.from_records(records, columns=[*columns, "geometry"])
    geometry = gpd.GeoSeries(data.pop("geometry"), crs=WORKING_CRS)
    data = data.astype(object).where(data.notna(), None)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=WORKING_CRS)


def _osm_layer(name: str, title: str, frame: gpd.GeoDataFrame, *, origin: str, tags: TagFilter,
               method: str) -> Layer:
    """The layer of OSM features selected by `tags`, sorted by id; `method` says how they were turned into it."""
    provenance = Provenance(
        source=f"{ATTRIBUTION} via osmnx {ox.__version__}, {origin}",
        # every converter projects its features to the working CRS (_select)
        method=f"{method}; projected to EPSG:32643",
        parameters={"osm_tags": osmnx_tags(tags)},
        quality="derived",
    )
    return Layer(name, frame, provenance, title).sorted()
