"""Small static maps of scenarios side by side, as PNG bytes (matplotlib, no pyplot state).

One panel per scenario on a common extent: the reservoir, the special
economic zones, the city boundary, the districts (the interactive maps'
colours), the corridors, and the placed infrastructure and projects. Used
by the scenario comparison report; nothing is written here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import shapely
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from alatau_geo.core.layers import LayerSet
from alatau_geo.maps.layer_styles import STYLES

_EXTENT_LAYERS = ("city_boundary", "sez", "districts")
_SEZ_FILLS = ("#fdb863", "#b2abd2", "#a6dba0", "#f4a582")
_WATER = "#9ecae1"
_SCALE_KM = 10


def _district_colours() -> dict[str, str]:
    return {str(c.value): c.color for c in STYLES["districts"].categories}


def _extent(layer_sets: Mapping[str, LayerSet], *, margin: float = 0.04) -> tuple[float, float, float, float]:
    bounds = [layers[name].frame.total_bounds for layers in layer_sets.values() for name in _EXTENT_LAYERS
              if name in layers and not layers[name].frame.empty]
    if not bounds:
        raise ValueError("no districts, city boundary or SEZ to map")
    stacked = np.vstack(bounds)
    west, south = stacked[:, 0].min(), stacked[:, 1].min()
    east, north = stacked[:, 2].max(), stacked[:, 3].max()
    pad = margin * max(east - west, north - south)
    return west - pad, south - pad, east + pad, north + pad


def _draw(ax: object, layers: LayerSet, colours: Mapping[str, str]) -> None:
    if "reservoir" in layers:
        layers["reservoir"].frame.plot(ax=ax, color=_WATER, linewidth=0)
    if "sez" in layers:
        for i, (_, row) in enumerate(layers["sez"].frame.iterrows()):
            fill = _SEZ_FILLS[i % len(_SEZ_FILLS)]
            layers["sez"].frame.loc[[row.name]].plot(ax=ax, color=fill, alpha=0.45, edgecolor=STYLES["sez"].color,
                                                     linewidth=0.6, hatch="///" if i else None)
    if "districts" in layers:
        districts = layers["districts"].frame
        for zone_id, part in districts.groupby("id", sort=True):
            part.plot(ax=ax, color=colours.get(str(zone_id), "#969696"), alpha=0.6, edgecolor="#252525",
                      linewidth=0.5)
    if "city_boundary" in layers:
        layers["city_boundary"].frame.boundary.plot(ax=ax, color="#000000", linewidth=0.9, linestyle="--")
    if "corridors" in layers:
        layers["corridors"].frame.plot(ax=ax, color="#636363", linewidth=0.8)
    for name, colour, marker in (("infrastructure", "#08306b", "s"), ("projects", "#a50f15", "o")):
        if name in layers and not layers[name].frame.empty:
            points = layers[name].frame.geometry
            ax.scatter(shapely.get_x(points.to_numpy()), shapely.get_y(points.to_numpy()), s=5, c=colour,
                       marker=marker, linewidths=0, zorder=5)


def _scale_bar(ax: object, extent: tuple[float, float, float, float]) -> None:
    west, south, east, _ = extent
    x0, y0 = west + 0.05 * (east - west), south + 0.04 * (east - west)
    ax.plot([x0, x0 + _SCALE_KM * 1000], [y0, y0], color="#000000", linewidth=2)
    ax.text(x0, y0 + 0.012 * (east - west), f"{_SCALE_KM} km", fontsize=6, parse_math=False)


def scenario_maps_png(layer_sets: Mapping[str, LayerSet], *, width_in: float = 10.0, dpi: int = 110) -> bytes:
    """One map per scenario, side by side on a common extent, as a PNG image.

    Parameters
    ----------
    layer_sets : mapping of label to LayerSet
        Each scenario's layers (working CRS); labels become panel titles
        (drawn as plain text, never parsed).
    width_in : float
        Figure width, inches.
    dpi : int
        Resolution, dots per inch.

    Returns
    -------
    bytes
        The PNG file's content.
    """
    extent = _extent(layer_sets)
    colours = _district_colours()
    count = len(layer_sets)
    aspect = (extent[3] - extent[1]) / (extent[2] - extent[0])
    panel = width_in / count
    figure = Figure(figsize=(width_in, min(panel * aspect + 0.6, 6.5)), dpi=dpi, layout="constrained")
    axes = figure.subplots(1, count, squeeze=False)[0]
    for ax, (label, layers) in zip(axes, layer_sets.items(), strict=True):
        _draw(ax, layers, colours)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(label, fontsize=8, parse_math=False)
        _scale_bar(ax, extent)
    handles = [Patch(color=c, alpha=0.6, label=f"{zone} district") for zone, c in colours.items()]
    handles.append(Patch(facecolor=_SEZ_FILLS[0], alpha=0.45, edgecolor=STYLES["sez"].color, label="SEZ"))
    if any("sez" in layers and len(layers["sez"].frame) > 1 for layers in layer_sets.values()):
        handles.append(Patch(facecolor=_SEZ_FILLS[1], alpha=0.45, edgecolor=STYLES["sez"].color, hatch="///",
                             label="further SEZ"))
    handles += [Patch(facecolor="none", edgecolor="#000000", linestyle="--", label="city boundary"),
                Patch(color=_WATER, label="reservoir")]
    legend = figure.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=6,
                           frameon=False)
    for text in legend.get_texts():
        text.set_parse_math(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
