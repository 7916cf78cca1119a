"""How a layer is drawn: :class:`LayerStyle`, point badges and hatch fills.

A :class:`LayerStyle` holds a layer's colours, widths, categories or
graduated classes, flags, badges and popup options, and derives each
feature's Leaflet style from its attribute values. The styles of the
toolkit's layers are data, in :mod:`alatau_geo.maps.layer_styles`;
:func:`badges`, :func:`discs` and :func:`zone_outline` make the styles of
the kinds of layer several maps draw alike.

Colours are CSS hex strings; widths and radii are CSS pixels.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alatau_geo.maps.classification import Category, Split, ValueClasses

__all__ = ["ZONES_PANE", "Badge", "LayerStyle", "badges", "discs", "hatch_fill", "hatch_id", "zone_outline"]

ZONES_PANE = "ag-zones-below"
"""The map pane beneath the districts (made by :func:`alatau_geo.maps.basemaps.new_map`)."""


@dataclass(frozen=True)
class Badge:
    """How one point is drawn as a badge: a coloured round or square label with letters.

    Badges stand in for icons: an offline map cannot load an icon font, so a
    point's kind is told by colour and one or two letters, drawn with plain
    HTML and CSS (see :func:`alatau_geo.maps.popups.badge_icon`).
    """

    text: str
    fill: str
    rim: str
    shape: str
    size_px: int
    dashed: bool


def hatch_id(color: str) -> str:
    """The id of the SVG hatch pattern drawn in `color` (letters and digits of the colour only).

    >>> hatch_id("#D94801")
    'ag-hatch-d94801'
    """
    return "ag-hatch-" + re.sub(r"[^0-9a-z]", "", color.lower())


def hatch_fill(color: str) -> str:
    """An SVG fill that paints the hatch pattern of `color` (see :class:`~alatau_geo.maps.page_parts.HatchPatterns`)."""
    return f"url(#{hatch_id(color)})"


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn.

    Parameters
    ----------
    group : str
        Layer-control group.
    color : str
        Stroke colour (lines, outlines, marker rims); the colour of features
        whose category is not listed in `categories`.
    fill_color : str or None
        Polygon and marker fill; None draws outlines only.
    fill_opacity : float
        0 to 1.
    weight : float
        Stroke width, pixels.
    dash_array : str or None
        SVG dash pattern, e.g. ``"6 4"``; None is a solid line.
    radius_px : float
        Circle-marker radius for points, pixels.
    category_column : str or None
        Column whose values pick the colour from `categories`.
    categories : tuple of Category
        Colours by value of `category_column`; each also gets a legend entry.
        Features of categories listed later are drawn on top.
    flag_column : str or None
        A column that flags features to draw with `flag_dash` (a dashed
        outline or line; a dashed rim on badges).
    flag_values : tuple or None
        Values of `flag_column` that flag a feature (default: boolean true);
        None flags every feature with a non-empty value (e.g. a list of broken rules).
    flag_label : str
        Legend text for flagged features.
    flag_dash : str
        Dash pattern of flagged features.
    order : int
        Drawing order: higher is drawn later (on top).
    show : bool
        Whether the layer is switched on when the map opens.
    simplify_m : float
        Display simplification tolerance, metres (0 keeps every vertex).
    legend_title : str
        Short layer name that starts this layer's legend rows (e.g.
        ``"Engineering objects: Substation"``); empty uses the layer's title.
    searchable : bool
        Whether the map's search box finds features of this layer by name.
    search_noun : str
        What the search box finds in this layer, in its placeholder
        (e.g. ``"places"``); used when `searchable`.
    on_terrain_map : bool
        Whether the terrain map shows this layer for orientation.
    badge_shape : {'round', 'square'} or None
        Draw points as badges of this shape with letters (``Category.badge``
        or `badge_text`) instead of circle markers.
    badge_text : str
        Letters on badges whose category gives none.
    badge_size_px : int
        Badge width and height, pixels.
    cluster_until_zoom : int or None
        Points are grouped into numbered clusters where they crowd each other
        at zoom levels below this one (leaflet.markercluster's
        ``disableClusteringAtZoom``); None never clusters.
    classes : ValueClasses or None
        Graduated colours by a numeric column; they take the place of
        `categories` for the colour (categories still name features).
    split : Split or None
        Show the layer as one switchable map layer per value of a column.
    hatch : bool
        Fill polygons with diagonal hatching in their colour instead of a
        flat tint (gaps, areas to avoid).
    pane_opacity : float or None
        Draw the layer in its own map pane, below the other vectors, with
        this opacity: features are filled opaquely inside the pane, so where
        they overlap (service areas of neighbouring facilities) the colour
        does not build up. None draws it with the other vectors.
    popup_columns : tuple of str or None
        The columns the popup lists; None lists every attribute.
    compact_popups : bool
        Build popups in the browser from one shared, escaped template and
        each feature's escaped values, instead of a full popup per feature:
        for layers with thousands of features. The popup lists
        `popup_columns`; the tooltip shows the first of them.
    legend_note : str
        A note under the layer's legend group.
    merge_by : tuple of str
        Show features sharing these columns' values as one feature, their
        union (:func:`alatau_geo.maps.features.merge_for_display`): where many
        features overlap, the browser would otherwise paint each. The
        download keeps every feature.
    merge_lists : tuple of (str, str)
        On a merged feature, the values of column ``source`` listed in
        column ``target`` (e.g. the ids of the merged facilities).
    pane : str or None
        A map pane created by :func:`alatau_geo.maps.basemaps.new_map` to draw
        the layer in, e.g. ``"ag-zones-below"`` (beneath the districts, so it
        never takes their clicks); None draws it with the other vectors.
    canvas : bool
        Draw the layer's points on a canvas in their own pane (thousands of
        points pan smoothly there), instead of one SVG element each.
    interactive : bool
        Whether features answer clicks and hovers; False draws them only.
    profile_column : str or None
        A column holding an elevation profile (whole metres separated by
        spaces, at the step in column `profile_step_column`): the popup
        shows it as a small chart (:func:`alatau_geo.maps.profiles.profile_svg`).
    profile_step_column : str
        The column giving the profile's horizontal step, metres.
    """

    group: str
    color: str
    fill_color: str | None = None
    fill_opacity: float = 0.25
    weight: float = 2.0
    dash_array: str | None = None
    radius_px: float = 5.0
    category_column: str | None = None
    categories: tuple[Category, ...] = ()
    flag_column: str | None = None
    flag_values: tuple[Any, ...] | None = (True,)
    flag_label: str = ""
    flag_dash: str = "2 6"
    order: int = 50
    show: bool = True
    simplify_m: float = 10.0
    legend_title: str = ""
    searchable: bool = False
    search_noun: str = ""
    on_terrain_map: bool = False
    badge_shape: str | None = None
    badge_text: str = ""
    badge_size_px: int = 22
    cluster_until_zoom: int | None = None
    classes: ValueClasses | None = None
    split: Split | None = None
    hatch: bool = False
    pane_opacity: float | None = None
    popup_columns: tuple[str, ...] | None = None
    compact_popups: bool = False
    legend_note: str = ""
    merge_by: tuple[str, ...] = ()
    merge_lists: tuple[tuple[str, str], ...] = ()
    pane: str | None = None
    canvas: bool = False
    interactive: bool = True
    profile_column: str | None = None
    profile_step_column: str = "profile_step_m"

    def category_of(self, value: Any) -> Category | None:
        """The listed category for `value`, or None."""
        for category in self.categories:
            if category.value == value:
                return category
        return None

    def tint_of(self, properties: Mapping[str, Any]) -> str | None:
        """The feature's colour from its class or category, or None for the layer's own colours."""
        if self.classes is not None:
            return self.classes.color_of(properties.get(self.classes.column))
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        return category.color if category else None

    def fill_paint(self, color: str) -> str:
        """The SVG fill of polygons of `color`: the colour, or its hatch pattern."""
        return hatch_fill(color) if self.hatch else color

    def hatch_colors(self) -> tuple[str, ...]:
        """Colours whose hatch pattern the page must define for this layer."""
        if not self.hatch:
            return ()
        colors = [c.color for c in self.categories]
        if self.classes is not None:
            colors += [*self.classes.colors, self.classes.missing_color]
        return tuple(dict.fromkeys([*colors, self.fill_color or self.color]))

    def feature_label(self, properties: Mapping[str, Any], *, title: str) -> str | None:
        """A name for a feature without one, from its split value, category and class.

        >>> from alatau_geo.maps.layer_styles import STYLES
        >>> style = STYLES["service_areas"]
        >>> style.feature_label({"kind": "substation", "minutes": 10.0}, title="Service areas by travel time")
        'Service areas: Substation · Within 10 min'
        """
        parts: list[str] = []
        if self.split is not None:
            parts.append(self.split.label(properties.get(self.split.column)))
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        if category is not None and category.label not in parts:
            parts.append(category.label)
        if self.classes is not None:
            parts.append(self.classes.label_of(properties.get(self.classes.column)))
        return f"{self.legend_title or title}: {' · '.join(parts)}" if parts else None

    def is_flagged(self, properties: Mapping[str, Any]) -> bool:
        """Whether the feature is flagged (drawn with `flag_dash`).

        Examples
        --------
        >>> LayerStyle("Plan", "#000", flag_column="schematic").is_flagged({"schematic": True})
        True
        >>> style = LayerStyle("Plan", "#000", flag_column="broken_rules", flag_values=None)
        >>> style.is_flagged({"broken_rules": ""}), style.is_flagged({"broken_rules": "max_slope"})
        (False, True)
        """
        if not self.flag_column:
            return False
        value = properties.get(self.flag_column)
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()  # numpy scalar -> Python scalar
        if self.flag_values is not None:
            # A flag value True matches only a boolean True, not 1 or "yes".
            return any(
                value is flag if isinstance(flag, bool) else (not isinstance(value, bool) and value == flag)
                for flag in self.flag_values
            )
        if value is None or value is False or (isinstance(value, float) and math.isnan(value)):
            return False
        return bool(str(value).strip())

    def badge(self, properties: Mapping[str, Any]) -> Badge | None:
        """The badge of a point with these attribute values, or None if the layer draws circle markers."""
        if self.badge_shape is None:
            return None
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        return Badge(
            text=(category.badge if category and category.badge else self.badge_text),
            fill=category.color if category else (self.fill_color or self.color),
            rim=self.color,
            shape=self.badge_shape,
            size_px=self.badge_size_px,
            dashed=self.is_flagged(properties),
        )

    def leaflet_style(self, properties: Mapping[str, Any], *, geometry_type: str) -> dict[str, Any]:
        """Leaflet path options for a feature with these attribute values.

        Parameters
        ----------
        properties : Mapping
            The feature's attributes (the category and flag columns are read).
        geometry_type : str
            ``Point``, ``LineString`` or ``Polygon``, optionally ``Multi``-prefixed:
            lines are never filled (Leaflet would fill the shape a line encloses),
            points take the category colour as fill and keep a dark rim.
        """
        category = self.category_of(properties.get(self.category_column)) if self.category_column else None
        tint = self.tint_of(properties)
        style: dict[str, Any] = {"weight": self.weight, "opacity": 0.9}
        dash = (
            self.flag_dash
            if self.is_flagged(properties)
            else (category.dash_array if category and category.dash_array else self.dash_array)
        )
        if dash and dash != "none":
            style["dashArray"] = dash
        kind = geometry_type.removeprefix("Multi")
        if kind == "LineString":
            style.update(color=tint or self.color, fill=False)
        elif kind == "Point":
            style.update(
                color=self.color,
                fill=True,
                fillColor=tint or self.fill_color or self.color,
                fillOpacity=self.fill_opacity,
                radius=self.radius_px,
            )
        else:
            fill = tint or self.fill_color
            style.update(color=tint or self.color, fill=fill is not None)
            if fill is not None:
                style.update(fillColor=self.fill_paint(fill), fillOpacity=self.fill_opacity)
        return style



def badges(group: str, shape: str, text: str, **options: Any) -> LayerStyle:
    """Points drawn as badges: letters on their category's colour (grey without one) in a dark rim.

    Engineering objects, projects and recommended sites are told apart by
    the badge's shape (`shape`, ``"round"`` or ``"square"``) and letters
    (the category's, else `text`); their positions are kept to the vertex.
    `options` are the other :class:`LayerStyle` fields.

    >>> badges("Plan", "square", "P", order=46).fill_color
    '#737373'
    """
    return LayerStyle(group, "#1a1a1a", fill_color="#737373", fill_opacity=1.0, simplify_m=0.0, badge_shape=shape,
                      badge_text=text, **options)


def discs(group: str, *, radius_px: float, search_noun: str, **options: Any) -> LayerStyle:
    """Named points drawn as discs in a dark rim, coloured by their ``kind``, found by the search box.

    Places and mountain stations; `options` are the other :class:`LayerStyle` fields.

    >>> discs("Places", radius_px=6.0, search_noun="places").searchable
    True
    """
    return LayerStyle(group, "#252525", fill_color="#ffffff", fill_opacity=1.0, weight=1.5, radius_px=radius_px,
                      simplify_m=0.0, searchable=True, search_noun=search_noun, category_column="kind", **options)


def zone_outline(group: str, color: str, **options: Any) -> LayerStyle:
    """A zone drawn as its outline in the pane beneath the districts (the city, the SEZ).

    Its fill is there but clear: a click inside a district opens the
    district, a click elsewhere inside the zone opens the zone. `options`
    are the other :class:`LayerStyle` fields.

    >>> zone_outline("Plan", "#8c510a").pane
    'ag-zones-below'
    """
    return LayerStyle(group, color, fill_color=color, fill_opacity=0.0, pane=ZONES_PANE, **options)
