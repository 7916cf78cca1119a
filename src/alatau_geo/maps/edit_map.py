"""The editing map: move objects and projects, add a facility, redraw a district, change a rule's parameter.

A planner edits the plan in the browser with GeoMan (folium's ``GeoMan``
plugin; leaflet-geoman-free vendored in ``alatau_geo/vendor``, so the page
works offline like every map). The districts' outlines, the engineering
objects and the projects are editable; everything else orients the reader.
The page keeps each change as one edit and downloads them all as one JSON
file (``static/edit.js``), which ``alatau-geo apply`` checks
(:mod:`alatau_geo.plan.edits`) and turns into changes of the workspace's plan
and tables. The map computes nothing and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import folium
from folium import plugins
from folium.elements import JSCSSMixin
from folium.template import Template

from alatau_geo.core.crs import EXPORT_CRS
from alatau_geo.core.layers import LayerSet
from alatau_geo.maps.basemaps import RELIEF_TITLE, add_base_maps, new_map
from alatau_geo.maps.controls import GroupedLayers, LanguageSwitch, PageRuntime
from alatau_geo.maps.elements import RenderOnce, script_json
from alatau_geo.maps.features import display_layer
from alatau_geo.maps.i18n import check_language, feature_names, translations
from alatau_geo.maps.labels import MapLabels, layer_labels
from alatau_geo.maps.layer_styles import GROUP_TERRAIN, STYLES, in_group_order
from alatau_geo.maps.page_parts import static_text
from alatau_geo.maps.popups import badge_icon
from alatau_geo.maps.rasters import ReliefImages
from alatau_geo.maps.style import Badge
from alatau_geo.maps.vectors import add_vectors
from alatau_geo.plan import rules
from alatau_geo.plan.districts import ZoneSpec

__all__ = ["EDIT_CONTEXT_LAYERS", "EditTools", "ZoneParameters", "edit_map", "zone_parameters"]

# What the editing map shows to orient a reader; districts, objects and projects are editable on top.
EDIT_CONTEXT_LAYERS = ("study_area", "reservoir", "rivers", "corridors", "places", "sez", "city_boundary",
                       "infrastructure_lines")
EDIT_HELP = (
    "Drag an object or project to move it (move mode), draw a marker to add a facility, edit a district's "
    "outline to redraw it, or change a rule's parameter below. Then download the edits and run "
    "alatau-geo apply."
)
# Texts the editing page sets itself, in every language.
EDIT_STRINGS = (
    EDIT_HELP, "Plan edits", "Edits", "No edits yet", "Download the edits (JSON)", "Rule parameters", "calibrated",
    "New facility", "Kind", "District", "Name (English)", "Name (Kazakh)", "Name (Russian)", "Add", "Cancel",
    "moved", "added", "redrawn", "set to",
)
# Largest displacement of a district outline's vertices on the editing map, metres (a redrawn
# district is saved as drawn; the plan's own rule keeps the full detail until then).
EDIT_SIMPLIFY_M = 100.0
_NEW_FACILITY_KINDS = (("substation", "Substation"), ("water_intake", "Water intake"),
                       ("wastewater_plant", "Wastewater treatment plant"))


@dataclass(frozen=True)
class ZoneParameters:
    """The numeric parameters of one zone's rule, as the editing map offers them.

    Attributes
    ----------
    layer, id : str
        The zone (``districts``, ``city_boundary`` or ``sez``) and its id.
    names : dict of str to str
        Its name by language.
    parameters : tuple of (str, float, bool)
        Path (``rule.buffer_m``), value in metres (the calibrated value where
        it is calibrated) and whether it is calibrated to the published area.
    """

    layer: str
    id: str
    names: dict[str, str]
    parameters: tuple[tuple[str, float, bool], ...]

    def as_json(self) -> dict[str, Any]:
        """The zone as the page reads it."""
        return {"layer": self.layer, "id": self.id, "names": self.names,
                "parameters": [{"path": p, "value": round(v, 1), "calibrated": c} for p, v, c in self.parameters]}


def zone_parameters(zones: Sequence[ZoneSpec], layers: LayerSet) -> list[ZoneParameters]:
    """Each zone's rule parameters, the calibrated one at the value the built layer records.

    Parameters
    ----------
    zones : sequence of ZoneSpec
        The plan's zones (``Plan.zones``).
    layers : LayerSet
        The built layers (``solved_value_m`` of the zone layers).

    Returns
    -------
    list of ZoneParameters
        Zones whose rule has at least one numeric parameter.
    """
    found = []
    for spec in zones:
        values = rules.numeric_parameters(spec.rule)
        if not values:
            continue
        solved = None
        if spec.solve and spec.layer in layers and "solved_value_m" in layers[spec.layer].frame.columns:
            frame = layers[spec.layer].frame
            row = frame[frame["id"] == spec.id]
            solved = float(row["solved_value_m"].iloc[0]) if len(row) else None
        parameters = tuple(
            (path, solved if path == spec.solve and solved is not None else value, path == spec.solve)
            for path, value in values.items()
        )
        names = feature_names({"name_en": spec.name_en, "name_kk": spec.name_kk, "name_ru": spec.name_ru},
                              fallback=spec.id)
        found.append(ZoneParameters(spec.layer, spec.id, names, parameters))
    return found


class EditTools(JSCSSMixin, RenderOnce):
    """GeoMan's toolbar and the edit panel over the editable layers (see ``static/edit.js``).

    Parameters
    ----------
    data : dict
        ``districts`` and ``points`` (GeoJSON in WGS84 whose features carry
        ``id``, ``names``, ``s`` (style index) and, for points, ``layer``),
        ``styles``, ``kinds`` and ``newBadges``.
    zones : sequence of ZoneParameters
    plan_sha256 : str or None
        The plan the map shows, written into the edit file.
    """

    default_js = list(plugins.GeoMan.default_js)
    default_css = list(plugins.GeoMan.default_css)

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <script>{{ this.script_text }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            agEdits.start({{ this._parent.get_name() }}, {{ this.data_json }}, {{ this.zones_json }},
                          {{ this.meta_json }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], *, zones: Sequence[ZoneParameters], plan_sha256: str | None) -> None:
        super().__init__()
        self._name = "EditTools"
        self.script_text = static_text("edit.js")
        self.data_json = script_json(data)
        self.zones_json = script_json([zone.as_json() for zone in zones])
        meta: dict[str, Any] = {"help": EDIT_HELP, "strings": {key: translations(key) for key in EDIT_STRINGS}}
        if plan_sha256:
            meta["plan_sha256"] = plan_sha256
        self.meta_json = script_json(meta)


def _editable(layers: LayerSet) -> dict[str, Any]:
    """The editable features as the page reads them: districts, then objects and projects."""
    styles: list[dict[str, Any]] = []
    districts: list[dict[str, Any]] = []
    if "districts" in layers:
        # Outlines to edit by hand: a vertex every 100 m or more, so each can be taken with the mouse.
        shown = display_layer(layers["districts"], replace(STYLES["districts"], simplify_m=EDIT_SIMPLIFY_M))
        styles.extend(shown.style_table)
        records = {str(record["id"]): record for record in layers["districts"].frame.to_dict("records")}
        for feature in shown.data["features"]:
            districts.append({"type": "Feature", "geometry": feature["geometry"], "properties": {
                "id": feature["id"], "s": feature["properties"]["s"],
                "names": feature_names(records[str(feature["id"])], fallback=str(feature["id"]))}})
    points: list[dict[str, Any]] = []
    for name in ("infrastructure", "projects"):
        if name not in layers:
            continue
        style = STYLES[name]
        frame = layers[name].sorted().frame
        frame = frame[frame.geometry.geom_type == "Point"].to_crs(EXPORT_CRS)
        for record in frame.to_dict("records"):
            badge = style.badge(record)
            styles.append(badge_icon(badge) if badge else {})
            points.append({"type": "Feature", "geometry": {
                "type": "Point", "coordinates": [round(record["geometry"].x, 6), round(record["geometry"].y, 6)]},
                "properties": {"id": str(record["id"]), "layer": name, "s": len(styles) - 1,
                               "names": feature_names(record, fallback=str(record["id"]))}})
    kinds = [{"value": value, "names": translations(label)} for value, label in _NEW_FACILITY_KINDS]
    new_badges = {
        value: badge_icon(Badge(category.badge, category.color, "#1a1a1a", "round", 24, dashed=True))
        for value, _ in _NEW_FACILITY_KINDS
        for category in STYLES["infrastructure"].categories if category.value == value
    }
    return {"districts": {"type": "FeatureCollection", "features": districts},
            "points": {"type": "FeatureCollection", "features": points},
            "styles": styles, "kinds": kinds, "newBadges": new_badges}


def edit_map(
    layers: LayerSet,
    *,
    relief: ReliefImages | None,
    offline: bool,
    language: str = "en",
    zones: Sequence[ZoneParameters] = (),
    plan_sha256: str | None = None,
    title: str = "Alatau City: edit the plan",
) -> folium.Map:
    """The editing map of a workspace's layers.

    Parameters
    ----------
    layers : LayerSet
        The built layers; ``districts``, ``infrastructure`` and ``projects``
        are editable, the layers of :data:`EDIT_CONTEXT_LAYERS` orient the reader.
    relief : ReliefImages or None
        As in :func:`alatau_geo.maps.overview_map`.
    offline, language
        As in :func:`alatau_geo.maps.overview_map`.
    zones : sequence of ZoneParameters
        The rule parameters offered for change (:func:`zone_parameters`).
    plan_sha256 : str or None
        The hash of the plan that built the layers (the manifest's
        ``built_by``); the edit file records it, so ``apply`` can say when
        the plan has changed since.
    title : str
        Page title.

    Returns
    -------
    folium.Map
        Render it with :func:`alatau_geo.maps.render_html`.
    """
    check_language(language)
    m = new_map(offline=offline, title=title)
    m.options["pmIgnore"] = False  # GeoMan edits only what opts in: this map, and the editable layers
    base_maps = add_base_maps(m, offline=offline, relief=relief.hillshade if relief is not None else None)
    context = LayerSet(layers[name] for name in EDIT_CONTEXT_LAYERS if name in layers)
    vectors = add_vectors(m, (context[name] for name in context), download_template="{name}")
    if base_maps.relief is not None:
        vectors.groups.setdefault(GROUP_TERRAIN, []).insert(0, (RELIEF_TITLE, base_maps.relief))
    EditTools(_editable(layers), zones=zones, plan_sha256=plan_sha256).add_to(m)
    labelled = [label for name in ("places", "reservoir", "rivers", "corridors", "districts") if name in layers
                for label in layer_labels(layers[name])]
    owners = {name: parts[0] for name, parts in vectors.by_layer.items() if parts}
    MapLabels(labelled, owners=owners).add_to(m)
    LanguageSwitch(position="topright").add_to(m)
    GroupedLayers(base_maps.layers, in_group_order(vectors.groups), collapsed=True).add_to(m)
    extent = [layers[name].frame.to_crs(EXPORT_CRS).total_bounds for name in ("city_boundary", "districts")
              if name in layers and len(layers[name].frame)]
    if extent:
        west, south = min(b[0] for b in extent), min(b[1] for b in extent)
        east, north = max(b[2] for b in extent), max(b[3] for b in extent)
        m.fit_bounds([[south, west], [north, east]])  # folium order
    PageRuntime(base_maps, dense=vectors.dense, language=language).add_to(m)
    return m
