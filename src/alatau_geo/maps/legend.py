"""The legend: its rows, drawn from the layers' styles, and the control that shows it with the downloads.

The legend lists only the layers switched on (each row names the map
layers it belongs to) and folds to its title. Every label is escaped, in
every language, when the legend's HTML is built in Python
(:func:`alatau_geo.maps.i18n.text_html`); the HTML enters the page as a JSON
string whose ``<``, ``>`` and ``&`` are escaped, so nothing can close the
``<script>`` element early, and only once
(:class:`~alatau_geo.maps.elements.RenderOnce`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import Literal
from urllib.parse import quote

import folium
import pandas as pd
from folium.template import Template

from alatau_geo.core.layers import Layer
from alatau_geo.maps.classification import Category
from alatau_geo.maps.elements import RenderOnce, script_json
from alatau_geo.maps.i18n import text_html
from alatau_geo.maps.popups import badge_text_colour
from alatau_geo.maps.style import LayerStyle

__all__ = [
    "DownloadLink",
    "Legend",
    "LegendEntry",
    "LegendSection",
    "download_href",
    "legend_entries",
    "legend_html",
]

Symbol = Literal["fill", "line", "point", "swatch", "round_badge", "square_badge"]


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a symbol and its (unescaped) label, shown while map layer `layer` is on.

    `symbol` is ``fill`` (polygon: fill with outline), ``line``, ``point``
    (circle marker), ``swatch`` (a raster class colour) or ``round_badge`` /
    ``square_badge`` (a point drawn as a badge with the letters `badge`).
    """

    label: str
    symbol: Symbol
    color: str
    fill_color: str | None = None
    dash_array: str | None = None
    badge: str = ""
    layer: str = ""


@dataclass(frozen=True)
class LegendSection:
    """A titled group of legend rows."""

    title: str
    entries: tuple[LegendEntry, ...]
    note: str = ""


@dataclass(frozen=True)
class DownloadLink:
    """A layer offered for download: title and relative URL."""

    title: str
    href: str


def _symbol_svg(entry: LegendEntry) -> str:
    # Colours come from the style registry, but escape them anyway: the
    # registry is data that another module may extend.
    stroke = escape(entry.color, quote=True)
    fill = escape(entry.fill_color or "none", quote=True)
    dash = f' stroke-dasharray="{escape(entry.dash_array, quote=True)}"' if entry.dash_array else ""
    if entry.symbol == "line":
        shape = f'<line x1="1" y1="8" x2="21" y2="8" stroke="{stroke}" stroke-width="3"{dash}/>'
    elif entry.symbol == "point":
        shape = f'<circle cx="11" cy="8" r="5" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    elif entry.symbol == "swatch":
        shape = f'<rect x="1" y="1" width="20" height="14" fill="{stroke}"/>'
    elif entry.symbol in ("round_badge", "square_badge"):
        outline = (
            f'<circle cx="11" cy="8" r="7" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
            if entry.symbol == "round_badge"
            else f'<rect x="3.5" y="0.75" width="14.5" height="14.5" rx="2" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5"{dash}/>'
        )
        text_colour = escape(badge_text_colour(entry.fill_color or "#ffffff"), quote=True)
        letters = (
            f'<text x="11" y="8.5" text-anchor="middle" dominant-baseline="middle" font-size="6.5" '
            f'font-weight="700" font-family="Arial, sans-serif" fill="{text_colour}">{escape(entry.badge)}</text>'
            if entry.badge
            else ""
        )
        shape = outline + letters
    else:
        shape = (
            f'<rect x="2" y="2" width="18" height="12" fill="{fill}" fill-opacity="0.6" '
            f'stroke="{stroke}" stroke-width="1.5"{dash}/>'
        )
    return f'<svg class="ag-symbol" width="22" height="16" aria-hidden="true">{shape}</svg>'


def legend_html(sections: Sequence[LegendSection], *, downloads: Sequence[DownloadLink] = ()) -> str:
    """The legend box's HTML, every label escaped and in every language.

    Parameters
    ----------
    sections : sequence of LegendSection
    downloads : sequence of DownloadLink
        Layers offered as GeoJSON, listed under a collapsible heading; each
        link opens in a new tab or downloads, so the map stays open.

    Returns
    -------
    str
        A title button that folds the legend, then its body: one section per
        group, each row carrying ``data-layer`` (the key of its map layers).
    """
    parts = [
        f'<button type="button" class="ag-legend-toggle" aria-expanded="true">{text_html("Legend")}</button>',
        '<div class="ag-legend-body">',
        f'<div class="ag-legend-empty" hidden>{text_html("No layer switched on")}</div>',
    ]
    for section in sections:
        parts.append(
            f'<div class="ag-legend-section"><div class="ag-legend-heading">{text_html(section.title)}</div>'
        )
        for entry in section.entries:
            parts.append(
                f'<div class="ag-legend-row" data-layer="{escape(entry.layer, quote=True)}">{_symbol_svg(entry)}'
                f"<span>{text_html(entry.label)}</span></div>"
            )
        if section.note:
            parts.append(f'<div class="ag-legend-note">{text_html(section.note)}</div>')
        parts.append("</div>")
    if downloads:
        links = "".join(
            f'<li><a href="{escape(link.href, quote=True)}" target="_blank" rel="noopener" download>'
            f"{text_html(link.title)}</a></li>"
            for link in downloads
        )
        parts.append(
            f'<details class="ag-downloads"><summary>{text_html("Download layers (GeoJSON)")}</summary>'
            f"<ul>{links}</ul></details>"
        )
    parts.append("</div>")
    return "".join(parts)


def download_href(name: str, *, template: str) -> str:
    """Relative URL of a layer's GeoJSON, e.g. ``../layers/streams.geojson``."""
    return template.format(name=quote(name, safe=""))


class Legend(RenderOnce):
    """A Leaflet control showing the legend of the layers switched on, and the download links.

    Parameters
    ----------
    sections : sequence of LegendSection
    layers : mapping of str to sequence of Layer
        The map layers behind each row's ``layer`` key; a row shows while
        one of them is on the map.
    downloads : sequence of DownloadLink
    position : str
        Leaflet control corner.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        agMaps.legend({{ this._parent.get_name() }}, {{ this.position|tojson }}, {{ this.html_json }}, {
        {%- for key, layers in this.layers.items() %}
            {{ key|tojson }}: [{% for layer in layers %}{{ layer.get_name() }}, {% endfor %}],
        {%- endfor %}
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        sections: Sequence[LegendSection],
        *,
        layers: Mapping[str, Sequence[folium.map.Layer]],
        downloads: Sequence[DownloadLink] = (),
        position: str = "bottomleft",
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.sections = tuple(sections)
        self.downloads = tuple(downloads)
        self.position = position
        self.layers = {key: tuple(members) for key, members in layers.items() if members}
        self.html = legend_html(self.sections, downloads=self.downloads)
        self.html_json = script_json(self.html)


def _legend_entry(label: str, symbol: str, style: LayerStyle, category: Category | None) -> LegendEntry:
    tint = category.color if category else None
    if symbol == "point":
        if style.badge_shape:  # the badge as drawn: its letters on the category colour
            letters = category.badge if category and category.badge else style.badge_text
            fill = tint or style.fill_color or style.color
            return LegendEntry(label, f"{style.badge_shape}_badge", style.color, fill, None, letters)
        return LegendEntry(label, "point", style.color, tint or style.fill_color)  # a dark rim around the colour
    dash = category.dash_array if category and category.dash_array else style.dash_array
    fill = (tint or style.fill_color) if style.fill_opacity > 0 else None  # an outline is drawn as one
    return LegendEntry(label, symbol, tint or style.color, style.fill_paint(fill) if fill else None, dash)


def _class_entries(title: str, symbol: str, style: LayerStyle, frame: pd.DataFrame) -> list[LegendEntry]:
    """One row per class of a graduated layer present in the data, then one for features without a value."""
    classes = style.classes
    assert classes is not None
    present = set(classes.classify(frame[classes.column]).tolist())
    rows = [(label, color) for index, (label, color) in enumerate(zip(classes.class_labels, classes.colors,
                                                                      strict=True)) if index in present]
    if -1 in present:
        rows.append((classes.missing_label, classes.missing_color))
    return [
        _legend_entry(f"{title}: {label}", symbol, style, Category(label, label, color)) for label, color in rows
    ]


def _flag_entry(symbol: str, style: LayerStyle) -> LegendEntry:
    if symbol == "point" and style.badge_shape:
        return LegendEntry(style.flag_label, f"{style.badge_shape}_badge", style.color, "#ffffff", "3 2")
    return LegendEntry(style.flag_label, "line", style.color, None, style.flag_dash)


def legend_entries(style: LayerStyle, layer: Layer) -> list[LegendEntry]:
    """The legend rows of `layer` drawn with `style`.

    One row for the layer, or one per class or category present in its data
    (and one for values the style does not list), plus a row for flagged
    features if any feature is flagged.

    Parameters
    ----------
    style : LayerStyle
    layer : Layer
        The whole layer (not one part of a split one).

    Returns
    -------
    list of LegendEntry
        Labels start with the style's ``legend_title`` or the layer's title;
        each row's ``layer`` is the layer's name.
    """
    symbol = {"Point": "point", "LineString": "line"}.get(layer.geometry_type.removeprefix("Multi"), "fill")
    frame = layer.frame
    title = style.legend_title or layer.title or layer.name
    if style.classes is not None and style.classes.column in frame.columns:
        entries = _class_entries(title, symbol, style, frame)
    elif not (style.category_column and style.category_column in frame.columns):
        entries = [_legend_entry(title, symbol, style, None)]
    else:
        values = set(frame[style.category_column].dropna())
        entries = [
            _legend_entry(f"{title}: {category.label}", symbol, style, category)
            for category in style.categories
            if category.value in values
        ]
        if values - {category.value for category in style.categories}:
            entries.append(_legend_entry(f"{title}: other", symbol, style, None))
    if style.flag_column and style.flag_column in frame.columns:
        records = frame.drop(columns=frame.geometry.name).to_dict("records")
        if any(style.is_flagged(record) for record in records):
            entries.append(_flag_entry(symbol, style))
    return [replace(entry, layer=layer.name) for entry in entries]
