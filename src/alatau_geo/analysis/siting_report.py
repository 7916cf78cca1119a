"""The siting study as report tables and one Markdown page.

:func:`report_tables` gives the CSV tables by file stem (demand, sizing,
summary, moves, sites, blocks, rates); :func:`report_markdown` the page a
planner reads: demand per district, facilities needed beside the
catalogue, and for each kind the catalogue's placement beside the optimum,
the recommended sites with their load, and which planned objects move.
Nothing is written here; every cell goes through
:func:`~alatau_geo.core.markdown.markdown_table`, which escapes it.
"""

from __future__ import annotations

import pandas as pd
from pyproj import Transformer

from alatau_geo.analysis.siting_kind import MODEL_NAMES, KindSitingResult
from alatau_geo.analysis.siting_study import TOTAL, SitingStudy
from alatau_geo.core.crs import EXPORT_CRS, WORKING_CRS
from alatau_geo.core.markdown import markdown_cell, markdown_table
from alatau_geo.plan.demand_params import DEMAND_COLUMNS, DEMAND_UNITS

_TO_LONLAT = Transformer.from_crs(WORKING_CRS, EXPORT_CRS, always_xy=True)
REPORT_TABLES = ("demand", "sizing", "summary", "moves", "sites", "blocks", "rates")
"""The tables of :func:`report_tables`, written as ``siting_<name>.csv``."""
_SHORT = {"electric_mw": "MW", "water_max_m3_day": "water max day m3/day", "wastewater_m3_day": "wastewater m3/day",
          "gas_m3_h": "gas m3/h", "school_places": "school places", "kindergarten_places": "kindergarten places",
          "clinic_visits_per_shift": "clinic visits/shift"}


def report_tables(study: SitingStudy) -> dict[str, pd.DataFrame]:
    """Every table of the siting report, by name (:data:`REPORT_TABLES`); positions in lon/lat (WGS84)."""
    sites = study.sites()
    sites["lon"], sites["lat"] = _lonlat(sites["x"], sites["y"])
    blocks = pd.DataFrame(study.blocks.drop(columns="geometry"))
    blocks["lon"], blocks["lat"] = _lonlat(study.blocks.geometry.x, study.blocks.geometry.y)
    return {"demand": study.demand, "sizing": study.sizing, "summary": study.summary(), "moves": study.moves(),
            "sites": sites.round({"lon": 6, "lat": 6}), "blocks": blocks.round({"lon": 6, "lat": 6}),
            "rates": study.rates.reset_index()}


def _lonlat(x: pd.Series, y: pd.Series) -> tuple[list[float], list[float]]:
    lon, lat = _TO_LONLAT.transform(x.to_numpy(dtype=float), y.to_numpy(dtype=float))
    return list(lon), list(lat)


def report_markdown(study: SitingStudy, *, plan_label: str, demand_block_m: float) -> str:
    """The siting report as Markdown.

    Parameters
    ----------
    study : SitingStudy
    plan_label : str
        The plan the study comes from, named in the introduction.
    demand_block_m : float
        Side of the demand blocks, metres.

    Returns
    -------
    str
    """
    year = study.phase
    area = "the whole city" if study.districts == study.people.grid.zone_ids else ", ".join(study.districts)
    parts = [
        f"# Infrastructure demand, sizing and siting, {year}", "",
        f"Plan: {markdown_cell(plan_label)}. Area: {markdown_cell(area)}. Residents and jobs are those the "
        f"population analysis allocates on the 100 m grid, summed into {demand_block_m:g} m demand blocks (one "
        "point per block and district). Travel is free-flow over the road network generated from the corridors "
        "and the district street grids. Rates, facility sizes and the catalogue's positions are planning "
        "assumptions; every rate's basis is listed at the end.", "",
        markdown_table(_demand_of(study, year), title=f"Demand per district, {year}"),
        markdown_table(_demand_by_phase(study), title="Demand of the area by phase"),
        markdown_table(_sizing_of(study, year), title=f"Facilities needed, {year}"),
    ]
    for result in study.kinds.values():
        parts.extend(_kind_section(result))
    if study.notes:
        parts.extend(["## Notes", "", *[f"- {markdown_cell(note)}" for note in study.notes], ""])
    rates = study.rates.reset_index()[["entry", "value", "unit", "basis", "source"]]
    parts.append(markdown_table(rates, title="Demand rates and their basis"))
    parts.extend(["## Limits", "",
                  "- The models are uncapacitated: a facility's load is reported (and its share of the firm "
                  "capacity of one facility), not limited to it.",
                  "- Travel is free-flow on the generated network; cables and pipes are taken to follow the streets.",
                  "- The catalogue has no phases: every phase is compared with the whole catalogue.", ""])
    return "\n".join(parts)


def _demand_of(study: SitingStudy, year: int) -> pd.DataFrame:
    table = study.demand[study.demand["phase"] == year]
    columns = ["district", "residents", "jobs", *[c for c in DEMAND_COLUMNS if c in _SHORT]]
    return table[columns].rename(columns=_SHORT)


def _demand_by_phase(study: SitingStudy) -> pd.DataFrame:
    table = study.demand[study.demand["district"] == TOTAL]
    columns = ["phase", "residents", "jobs", *[c for c in DEMAND_COLUMNS if c in _SHORT]]
    return table[columns].rename(columns=_SHORT).astype({"phase": str})


def _sizing_of(study: SitingStudy, year: int) -> pd.DataFrame:
    table = study.sizing[(study.sizing["district"] == TOTAL) & (study.sizing["phase"] == year)]
    return table[["kind", "demand", "unit", "capacity_per_facility", "needed", "in_catalogue", "verdict", "basis"]]


def _kind_section(result: KindSitingResult) -> list[str]:
    """Summary, the plan beside the optimum in words, recommended sites and moves of one kind."""
    unit = "min" if result.settings.cost == "time" else "m"
    summary = result.summary()
    summary["model"] = summary["model"].map(MODEL_NAMES)
    summary["coverage_pct"] = (summary["coverage"] * 100).round(1)
    lines = [f"## {markdown_cell(result.kind)}", "",
             f"Demand: {markdown_cell(result.settings.demand)} ({DEMAND_UNITS[result.settings.demand]}); travel "
             f"cost in {unit}; coverage within {result.settings.limit:g} {unit}. Needed: {result.needed}; in the "
             f"catalogue: {result.in_catalogue}; recommended: {len(result.recommended.open_sites)} sites (the "
             "p-median).", "",
             *_verdict(result), markdown_table(summary[["model", "placement", "sites", "objective", "objective_unit",
                                                        "coverage_pct", "status", "solve_s"]])]
    sites = result.recommended.sites.reset_index()
    sites["load_share_pct"] = (sites["load"] / result.capacity * 100).round(1)
    lines.append(markdown_table(sites[["id", "role", "load", "load_share_pct", "demand_points", "mean_cost",
                                       "max_cost"]].rename(columns={"id": "site", "demand_points": "blocks"}),
                                title=f"{result.kind}: recommended sites"))
    moves = result.moves[result.moves["model"] == "p_median"]
    if len(moves):
        lines.append(markdown_table(moves.drop(columns="model").assign(distance_km=moves["distance_m"] / 1000)
                                    .drop(columns="distance_m"),
                                    title=f"{result.kind}: planned objects the p-median optimum moves"))
    return lines


def _verdict(result: KindSitingResult) -> list[str]:
    """One sentence setting the catalogue's p-median and coverage beside the optimum's."""
    if "p_median" not in result.plan:
        return []
    plan, best = result.plan["p_median"], result.optimum["p_median"]
    saving = 1 - best.objective / plan.objective if plan.objective > 0 else 0.0
    moved = result.moves[(result.moves["model"] == "p_median") & (result.moves["change"] == "moved")]
    return [f"For the catalogue's {_count(len(plan.open_sites), 'site')}, the p-median optimum has {saving:.0%} less "
            f"total travel ({best.objective:,.0f} against {plan.objective:,.0f} {markdown_cell(plan.objective_unit)}); "
            f"{best.coverage:.0%} of the demand lies within the limit against {plan.coverage:.0%}. It moves "
            f"{len(moved)} of the planned objects.", ""]


def _count(number: int, noun: str) -> str:
    """``1 site``, ``8 sites``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def summary_lines(study: SitingStudy) -> list[str]:
    """One line per kind for the terminal: needed beside the catalogue, plan beside optimum, moves.

    Examples
    --------
    A line reads like::

        substation (2050): 18 needed, 8 in the catalogue. p-median for 8 sites: 21,136 (plan) against
        13,243 (optimum) electric_mw x min, 37% less; within 8 min: 25% against 43%; planned objects
        moved: 7 of 7 (median 9.5 km). Recommended: 18 sites, 80% within 8 min.
    """
    lines = []
    for result in study.kinds.values():
        unit = "min" if result.settings.cost == "time" else "m"
        limit = f"within {result.settings.limit:g} {unit}"
        text = f"{result.kind} ({study.phase}): {result.needed} needed, {result.in_catalogue} in the catalogue."
        if "p_median" in result.plan:
            plan, best = result.plan["p_median"], result.optimum["p_median"]
            saving = 1 - best.objective / plan.objective if plan.objective > 0 else 0.0
            moves = result.moves[(result.moves["model"] == "p_median") & result.moves["planned"].notna()]
            moved = moves[moves["change"] == "moved"]
            median = f" (median {moved['distance_m'].median() / 1000:.1f} km)" if len(moved) else ""
            text += (f" p-median for {_count(len(plan.open_sites), 'site')}: {plan.objective:,.0f} (plan) against "
                     f"{best.objective:,.0f} (optimum) {plan.objective_unit}, {saving:.0%} less; {limit}: "
                     f"{plan.coverage:.0%} against {best.coverage:.0%}; planned objects moved: {len(moved)} of "
                     f"{len(moves)}{median}.")
        recommended = result.recommended
        text += f" Recommended: {_count(len(recommended.open_sites), 'site')}, {recommended.coverage:.0%} {limit}."
        lines.append(text)
    return lines


__all__ = ["REPORT_TABLES", "report_markdown", "report_tables", "summary_lines"]
