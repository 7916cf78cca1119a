"""The style of every layer the toolkit draws, as data, and the lookup of a layer's style.

Styling is table-driven. :data:`STYLES` maps a layer name to a
:class:`~alatau_geo.maps.style.LayerStyle`; a layer without an entry gets a
generic grey style for its geometry type from :func:`style_for`, so a new
layer appears on the maps before anyone styles it, and styling it is one
entry here. :data:`CONTEXT_STYLES` replaces some entries on the analysis
maps. The layer switcher and the legend list layers by group, in
:data:`GROUP_ORDER`.

Colours are CSS hex strings; widths and radii are CSS pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

from alatau_geo.maps.classification import Category, Split, ValueClasses
from alatau_geo.maps.style import LayerStyle, badges, discs, zone_outline
from alatau_geo.maps.thematic_styles import THEMATIC_STYLES

__all__ = [
    "CONTEXT_STYLES",
    "GROUP_BOUNDARIES",
    "GROUP_COVERAGE",
    "GROUP_INFRASTRUCTURE",
    "GROUP_ORDER",
    "GROUP_OTHER",
    "GROUP_PLAN",
    "GROUP_SERVICE_AREAS",
    "GROUP_SETTLEMENTS",
    "GROUP_TERRAIN",
    "GROUP_TRAVEL_TIME",
    "GROUP_WATER",
    "KIND_COLORS",
    "STYLES",
    "TRAVEL_TIME_BREAKS_MIN",
    "in_group_order",
    "style_for",
]

_T = TypeVar("_T")

# Layer-control groups, in the order the control lists them.
GROUP_BOUNDARIES = "Boundaries"
GROUP_PLAN = "Plan"
GROUP_INFRASTRUCTURE = "Infrastructure and projects"
GROUP_WATER = "Water"
GROUP_SETTLEMENTS = "Settlements and transport"
GROUP_TERRAIN = "Terrain"
GROUP_SERVICE_AREAS = "Service areas (road network)"
GROUP_COVERAGE = "Coverage and gaps (straight-line radius)"
GROUP_TRAVEL_TIME = "Travel time (road network)"
GROUP_OTHER = "Other layers"
GROUP_ORDER: tuple[str, ...] = (
    GROUP_TERRAIN,
    GROUP_BOUNDARIES,
    GROUP_PLAN,
    GROUP_INFRASTRUCTURE,
    GROUP_SERVICE_AREAS,
    GROUP_COVERAGE,
    GROUP_TRAVEL_TIME,
    GROUP_WATER,
    GROUP_SETTLEMENTS,
    GROUP_OTHER,
)


def in_group_order(by_group: Mapping[str, _T]) -> list[tuple[str, _T]]:
    """The items of `by_group` in :data:`GROUP_ORDER`, then groups not listed there in their own order.

    >>> in_group_order({"Other layers": 1, "Water": 2, "Terrain": 3})
    [('Terrain', 3), ('Water', 2), ('Other layers', 1)]
    """
    known = [(group, by_group[group]) for group in GROUP_ORDER if group in by_group]
    return known + [(group, items) for group, items in by_group.items() if group not in GROUP_ORDER]


# Facility kinds: one colour each, shared by the badges, coverage and gaps.
KIND_COLORS: Mapping[str, str] = MappingProxyType(
    {"substation": "#d94801", "water_intake": "#0570b0", "wastewater_plant": "#6a3d9a"}
)
_FACILITY_KINDS = Split(
    "kind",
    labels=(
        ("substation", "Substation"),
        ("water_intake", "Water intake"),
        ("wastewater_plant", "Wastewater treatment plant"),
    ),
    shown=("substation",),
)
_KIND_CATEGORIES = tuple(Category(value, label, KIND_COLORS[value]) for value, label in _FACILITY_KINDS.labels)
# Travel time in minutes: a value on a break is in the class below (10.0 is "5–10 min").
TRAVEL_TIME_BREAKS_MIN: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)

STYLES: Mapping[str, LayerStyle] = MappingProxyType({
    "study_area": LayerStyle(GROUP_BOUNDARIES, "#3c3c3c", dash_array="10 6", order=0, simplify_m=50.0,
                             on_terrain_map=True, legend_title="Study area", interactive=False),
    # The city and the SEZ: outlines in a pane beneath the districts, so a click
    # inside a district opens the district; a click elsewhere inside them opens theirs.
    "city_boundary": zone_outline(GROUP_BOUNDARIES, "#7a0177", weight=3.0, order=5, on_terrain_map=True,
                                  legend_title="City boundary"),
    # Four districts in four clearly separate hues: violet, gold, raspberry, green.
    "districts": LayerStyle(
        GROUP_PLAN, "#4b3f72", fill_color="#bcbddc", fill_opacity=0.38, order=10, category_column="id",
        categories=(Category("gate", "Gate: finance, business, trade", "#6a3d9a"),
                    Category("golden", "Golden: science, education, medicine, food", "#e6ab02"),
                    Category("growing", "Growing: export industry, logistics", "#c2185b"),
                    Category("green", "Green: tourism, resorts, parks", "#33a02c")),
        legend_title="Districts", searchable=True, search_noun="districts",
        legend_note="The SEZ and the city are outlines: click inside a district for its figures.",
    ),
    "sez": zone_outline(GROUP_PLAN, "#8c510a", dash_array="7 4", order=4, legend_title="Special economic zone (SEZ)"),
    "water_protection_zone": LayerStyle(GROUP_WATER, "#4292c6", fill_color="#c6dbef", fill_opacity=0.35, weight=1.0,
                                        dash_array="4 4", order=20, simplify_m=20.0,
                                        legend_title="Water protection zones"),
    "water_protection_strip": LayerStyle(GROUP_WATER, "#08519c", fill_color="#6baed6", fill_opacity=0.45,
                                         weight=1.0, order=21, legend_title="Water protection strips"),
    "reservoir": LayerStyle(GROUP_WATER, "#2171b5", fill_color="#4a90c8", fill_opacity=0.7, weight=1.0, order=25,
                            simplify_m=20.0, on_terrain_map=True, legend_title="Reservoir"),
    "streams": LayerStyle(GROUP_WATER, "#1f78b4", weight=1.8, order=30, simplify_m=15.0, on_terrain_map=True,
                          legend_title="Streams"),
    "rivers": LayerStyle(GROUP_WATER, "#08519c", weight=3.0, order=31, simplify_m=15.0, on_terrain_map=True,
                         legend_title="Rivers", searchable=True, search_noun="rivers"),
    # The existing road and railway: drawn above the planned (schematic) engineering
    # lines, the highway wide and red. Their alignment is approximate (waypoints),
    # which the legend and popup say; it is not dashed, since they exist.
    "corridors": LayerStyle(
        GROUP_SETTLEMENTS, "#666666", weight=4.5, order=47, simplify_m=15.0, category_column="kind",
        categories=(Category("highway", "Highway", "#c0392b"), Category("railway", "Railway", "#252525")),
        flag_column="schematic", flag_label="Alignment approximate (waypoints)", flag_dash="none",
        legend_title="Transport corridors", searchable=True, search_noun="objects",
    ),
    # Engineering objects: badges by kind (SS, WI, WW), a dashed rim where an
    # existing object is reconstructed; clustered where they crowd each other.
    "infrastructure_lines": LayerStyle(
        GROUP_INFRASTRUCTURE, "#525252", weight=2.5, order=44, legend_title="Engineering lines",
        category_column="kind",
        # Pipelines follow roads: listed last, so drawn over them.
        categories=(Category("road", "Road (planned, schematic)", "#8c6d4f"),
                    Category("gas_pipeline", "Gas pipeline (dashed)", "#e7298a", dash_array="8 6")),
        searchable=True, search_noun="objects",
    ),
    "infrastructure": badges(
        GROUP_INFRASTRUCTURE, "round", "?", badge_size_px=24, order=45, legend_title="Engineering objects",
        category_column="kind",
        categories=(Category("substation", "Substation (SS)", KIND_COLORS["substation"], badge="SS"),
                    Category("water_intake", "Water intake (WI)", KIND_COLORS["water_intake"], badge="WI"),
                    Category("wastewater_plant", "Wastewater treatment plant (WW)", KIND_COLORS["wastewater_plant"],
                             badge="WW")),
        flag_column="works", flag_values=("reconstruction",),
        flag_label="Reconstruction of an existing object (dashed rim)", cluster_until_zoom=13, searchable=True,
        search_noun="objects",
    ),
    # Investment projects: square badges coloured by how far each has got;
    # a dashed rim where the placement breaks one of the plan's rules.
    "projects": badges(
        GROUP_INFRASTRUCTURE, "square", "P", badge_size_px=20, order=46, legend_title="Investment projects",
        category_column="status",
        categories=(Category("under_way", "Under way", "#1a9850"), Category("agreed", "Agreed", "#66a61e"),
                    Category("in_talks", "In talks", "#e6ab02"), Category("planned", "Planned", "#2b8cbe")),
        flag_column="broken_rules", flag_values=None, flag_label="Breaks a placement rule (dashed rim)",
        searchable=True, search_noun="projects", cluster_until_zoom=13,
    ),
    # Analysis layers (the proximity map). Service areas: one map layer per
    # facility kind, the areas of its facilities merged per limit (painting
    # each facility's made panning 3 times slower), nested limits in one hue,
    # 30 min lightest and drawn beneath; opaque in a translucent pane.
    "service_areas": LayerStyle(
        GROUP_SERVICE_AREAS, "#01665e", fill_opacity=1.0, weight=0.8, order=13, simplify_m=20.0,
        legend_title="Service areas",
        classes=ValueClasses("minutes", breaks=(10.0, 20.0, 30.0), colors=("#01665e", "#35978f", "#99d5cb", "#d8efeb"),
                             labels=("Within 10 min", "Within 20 min", "Within 30 min", "More than 30 min"),
                             missing_label="Limit not given", low_on_top=True),
        split=_FACILITY_KINDS, pane_opacity=0.5, merge_by=("kind", "minutes"),
        merge_lists=(("facility_id", "facility_ids"), ("reason", "notes")),
        legend_note="Reached over the road network from any facility of the kind (the areas of its "
        "facilities merged; each one is in the download); shorter limits are drawn over longer ones. "
        "One map layer per facility kind.",
    ),
    "coverage": LayerStyle(
        GROUP_COVERAGE, "#525252", fill_color="#969696", fill_opacity=0.06, dash_array="6 4", order=14,
        simplify_m=20.0, legend_title="Coverage", category_column="kind", categories=_KIND_CATEGORIES,
        split=Split(_FACILITY_KINDS.column, labels=_FACILITY_KINDS.labels, shown=()),
    ),
    "coverage_gaps": LayerStyle(
        GROUP_COVERAGE, "#525252", fill_color="#969696", fill_opacity=1.0, weight=1.5, order=16, simplify_m=20.0,
        legend_title="Coverage gaps", category_column="kind", categories=_KIND_CATEGORIES, split=_FACILITY_KINDS,
        hatch=True,
        legend_note="Coverage: land within the service radius (straight line) of a facility of the kind "
        "(dashed outline). Gaps (hatched): city area outside every such radius. One map layer per kind.",
    ),
    # The travel-time surface: thousands of network nodes, one small dot
    # each, one style per class, popups built in the browser.
    "travel_time_nodes": LayerStyle(
        GROUP_TRAVEL_TIME, "#1a1a1a", fill_opacity=0.9, weight=0.0, radius_px=3.0, order=38, show=False,
        simplify_m=0.0, legend_title="Travel time",
        classes=ValueClasses("travel_time_min", breaks=TRAVEL_TIME_BREAKS_MIN,
                             colors=("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"), unit="min",
                             missing_label="Unreachable", missing_color="#9e9e9e"),
        popup_columns=("travel_time_min", "facility_id"), compact_popups=True, canvas=True,
        legend_note="Each dot is a street node, coloured by the travel time over the road network to "
        "the nearest facility of any kind.",
    ),
    "places": discs(
        GROUP_SETTLEMENTS, radius_px=6.0, search_noun="places", order=60, on_terrain_map=True,
        categories=(Category("city", "City", "#e31a1c"), Category("town", "Town", "#fd8d3c"),
                    Category("village", "Village", "#fed976"), Category("station", "Station", "#737373"),
                    Category("airport", "Airport", "#6baed6")),
        legend_title="Places",
    ),
    # The population and mountain-cluster layers (their own module).
    **THEMATIC_STYLES,
})

# How context layers are drawn on the analysis maps, replacing their STYLES
# entry there: outlines only, so the analysis colours read clearly.
CONTEXT_STYLES: Mapping[str, LayerStyle] = MappingProxyType({
    "districts": LayerStyle(GROUP_PLAN, "#3f3f3f", weight=1.5, dash_array="5 4", order=10,
                            legend_title="District outlines", searchable=True, search_noun="districts"),
})

# Generic styles for layers without an entry, by base geometry type.
_GENERIC: Mapping[str, LayerStyle] = MappingProxyType({
    "Polygon": LayerStyle(GROUP_OTHER, "#525252", fill_color="#969696", fill_opacity=0.25, order=15),
    "LineString": LayerStyle(GROUP_OTHER, "#525252", weight=2.0, order=35),
    "Point": LayerStyle(GROUP_OTHER, "#252525", fill_color="#969696", fill_opacity=0.9, weight=1.0, order=55,
                        simplify_m=0.0),
})


def style_for(name: str, *, geometry_type: str) -> LayerStyle:
    """The style of layer `name`, or the generic style for its geometry type.

    Parameters
    ----------
    name : str
        Layer name, e.g. ``"reservoir"``.
    geometry_type : str
        The layer's geometry type (``Layer.geometry_type``), used only for
        layers without an entry in :data:`STYLES`.

    Returns
    -------
    LayerStyle

    Examples
    --------
    >>> style_for("reservoir", geometry_type="Polygon").group
    'Water'
    >>> style_for("new_layer", geometry_type="MultiLineString").group
    'Other layers'
    """
    if name in STYLES:
        return STYLES[name]
    return _GENERIC.get(geometry_type.removeprefix("Multi"), _GENERIC["Polygon"])
