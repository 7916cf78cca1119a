"""Styles of the population and mountain-cluster layers, merged into :data:`~alatau_geo.maps.layer_styles.STYLES`.

- ``population_blocks``: a choropleth of residents per ha (1 km blocks),
  one switchable map layer per phase year, the target year on;
- ``population_districts``: district outlines per phase year, with the
  district's residents, jobs, densities, targets and capacity in the popup;
- the mountain cluster: ski terrain by slope class (green, blue, black as
  on piste maps, red where avalanche-prone), candidate lift lines with their
  elevation profile in the popup (dashed where a line crosses a ridge), the
  base station and resorts;
- Almaty's green and air corridors: valley floors, their main streams, where
  they meet steep or upper city (hatched), and the approximate city extent.

Colours are CSS hex strings; widths and radii are CSS pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from alatau_geo.maps.classification import Category, Split, ValueClasses
from alatau_geo.maps.style import LayerStyle, discs

__all__ = ["GROUP_CORRIDORS", "GROUP_MOUNTAIN", "GROUP_POPULATION", "RESIDENTS_PER_HA_BREAKS", "THEMATIC_STYLES"]

GROUP_POPULATION = "Residents and jobs"
GROUP_MOUNTAIN = "Mountain cluster"
GROUP_CORRIDORS = "Almaty green and air corridors"
# Residents per ha of block (gross): a value on a break is in the class below.
RESIDENTS_PER_HA_BREAKS: tuple[float, ...] = (1.0, 10.0, 20.0, 40.0, 60.0)
# One map layer per phase year; the target year is on when the map opens.
_PHASES = Split("year", labels=((2030, "2030"), (2040, "2040"), (2050, "2050")), shown=(2050,))

THEMATIC_STYLES: Mapping[str, LayerStyle] = MappingProxyType({
    "population_blocks": LayerStyle(
        GROUP_POPULATION, "#7f7f7f", fill_opacity=0.75, weight=0.2, order=11, simplify_m=0.0,
        legend_title="Residents per ha",
        classes=ValueClasses("residents_per_ha", breaks=RESIDENTS_PER_HA_BREAKS,
                             colors=("#ffffcc", "#ffeda0", "#fed976", "#fd8d3c", "#e31a1c", "#800026"),
                             unit="per ha", missing_label="No value"),
        split=_PHASES, popup_columns=("year", "residents_per_ha", "residents", "jobs", "jobs_per_ha"),
        compact_popups=True,
        legend_note="Residents allocated by the plan per 1 km block, per ha of block (gross). One map layer "
        "per phase year (cumulative); the popup gives the block's residents and jobs.",
    ),
    "population_districts": LayerStyle(
        GROUP_POPULATION, "#252525", weight=2.5, dash_array="6 4", order=17, legend_title="Districts", split=_PHASES,
        popup_columns=("year", "residents", "residents_target", "residents_capacity", "jobs", "jobs_target",
                       "jobs_capacity", "ha", "residents_per_ha", "jobs_per_ha", "status"),
        legend_note="District outlines per phase year: click an outline for its residents, jobs, targets and "
        "the capacity of its land.",
    ),
    "mountain_ski_terrain": LayerStyle(
        GROUP_MOUNTAIN, "#525252", fill_opacity=0.55, weight=0.3, order=12, simplify_m=0.0,
        legend_title="Ski terrain", category_column="class",
        categories=(Category("too_flat", "Too flat (< 3.5°)", "#d9d9d9"),
                    Category("beginner", "Beginner (3.5–14°)", "#1a9850"),
                    Category("intermediate", "Intermediate (14–22°)", "#2c7bb6"),
                    Category("expert", "Expert (22–30°)", "#252525"),
                    Category("extreme", "Extreme, avalanche-prone (30–45°)", "#d7301f"),
                    Category("too_steep", "Too steep (≥ 45°)", "#7b3294")),
        legend_note="Slope classes of the study window from SRTM3 (90 m), simplified for display; "
        "not an avalanche hazard map.",
    ),
    "mountain_terrain_classes": LayerStyle(GROUP_MOUNTAIN, "#525252", fill_color="#969696", fill_opacity=0.2,
                                           weight=0.3, order=13, show=False, legend_title="Terrain classes"),
    "mountain_lift_lines": LayerStyle(
        GROUP_MOUNTAIN, "#e31a1c", weight=4.0, order=47, simplify_m=0.0, legend_title="Candidate lift lines",
        flag_column="crosses_ridge", flag_label="Crosses a ridge above its upper station (dashed)", flag_dash="8 6",
        popup_columns=("from_id", "to_id", "horizontal_length_m", "vertical_drop_m", "chord_length_m",
                       "mean_gradient_pct", "steepest_section_deg", "highest_m", "ridge_above_upper_station_m",
                       "crosses_ridge", "basis"),
        profile_column="profile_elevations_m",
        legend_note="Straight lines between the stations; the popup draws the elevation profile from the DEM.",
    ),
    "mountain_stations": discs(
        GROUP_MOUNTAIN, radius_px=7.0, search_noun="resorts", order=61, legend_title="Stations",
        categories=(Category("base_station", "Base station (Medeu)", "#e31a1c"),
                    Category("resort", "Resort", "#2c7bb6")),
    ),
    "almaty_extent": LayerStyle(GROUP_CORRIDORS, "#7a0177", dash_array="10 6", order=6,
                                legend_title="Almaty (approximate extent)"),
    "air_corridors": LayerStyle(
        GROUP_CORRIDORS, "#006d2c", fill_color="#41ab5d", fill_opacity=0.45, weight=1.0, order=14,
        legend_title="Valley floors (candidate corridors)",
        legend_note="Mountain-to-city valleys from the DEM alone: an upper bound of land that could stay "
        "open or green; without land cover nothing is known of what is built on them today.",
    ),
    "air_corridor_meets": LayerStyle(
        GROUP_CORRIDORS, "#8c510a", fill_color="#bf812d", fill_opacity=1.0, weight=0.8, order=15, hatch=True,
        legend_title="Corridor meets", category_column="meets",
        categories=(Category("steep", "Steep city", "#bf812d"), Category("upper", "Upper city", "#35978f"),
                    Category("steep and upper", "Steep and upper city", "#8c510a")),
    ),
    "air_corridor_streams": LayerStyle(GROUP_CORRIDORS, "#08519c", weight=2.5, order=32,
                                       legend_title="Corridor main streams"),
})
