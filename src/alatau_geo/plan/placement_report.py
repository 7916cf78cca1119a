"""The placement report: every rule check of every placed object, as a table and as Markdown."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from alatau_geo.core.errors import LayerError
from alatau_geo.core.layers import Layer
from alatau_geo.core.markdown import markdown_cell
from alatau_geo.plan.catalogues import split_cell
from alatau_geo.plan.placement import target_of_row
from alatau_geo.plan.placement_context import PlacementContext
from alatau_geo.plan.placement_rules import RULES, evaluate, is_line

REPORT_COLUMNS = ("layer", "id", "rule", "ok", "detail")


def placement_report(layers: Layer | Iterable[Layer], context: PlacementContext) -> pd.DataFrame:
    """Every rule check of every placed object.

    Parameters
    ----------
    layers : Layer or iterable of Layer
        Layers from :func:`~alatau_geo.plan.placement.place_objects` (they carry ``rules``, ``via`` and ``district``).
    context : PlacementContext

    Returns
    -------
    DataFrame
        One row per object and rule it is checked against, in layer, id and
        rule-list order: ``layer``, ``id``, ``rule``, ``ok`` (bool),
        ``detail`` (e.g. ``"slope 11.2° > 8°"``).
    """
    if isinstance(layers, Layer):
        layers = [layers]
    rows = []
    for layer in layers:
        frame = layer.sorted().frame
        for column in ("rules", "via", "district"):
            if column not in frame.columns:
                raise LayerError(f"layer {layer.name}: no '{column}' column; is it a layer from place_objects?")
        for record in frame.to_dict("records"):
            geometry = record[frame.geometry.name]
            target = target_of_row(record)
            rules = split_cell(record["rules"])
            line = bool(is_line(np.array([geometry], dtype=object))[0])
            for name, (ok, value) in evaluate(np.array([geometry], dtype=object), rules, target, context).items():
                passed = bool(ok[0])
                rows.append({
                    "layer": layer.name, "id": target.id, "rule": name, "ok": passed,
                    "detail": RULES[name].describe(value[0], passed, target, context, line=line),
                })
    report = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    report["ok"] = report["ok"].astype(bool)
    return report


def report_markdown(report: pd.DataFrame, *, title: str = "Placement report") -> str:
    """The placement report as Markdown: a summary, the broken rules, then every check.

    Pure: returns the text; writing it is the caller's job (:func:`alatau_geo.core.io.write_text`).
    """
    objects = report[["layer", "id"]].drop_duplicates()
    broken = report[~report["ok"]]
    failing = broken[["layer", "id"]].drop_duplicates()
    lines = [
        f"# {title}",
        "",
        f"{len(objects)} objects, {len(report)} rule checks; {len(broken)} broken by {len(failing)} objects.",
        "Positions placed by rule are planning assumptions (position_quality 'approximate').",
        "",
        "## Broken rules",
        "",
    ]
    if broken.empty:
        lines.append("None: every object satisfies all of its rules.")
    else:
        lines += ["| layer | id | rule | detail |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(markdown_cell(v) for v in (r.layer, r.id, r.rule, r.detail)) + " |"
                  for r in broken.itertuples(index=False)]
    lines += ["", "## All checks", "", "| layer | id | rule | ok | detail |", "|---|---|---|---|---|"]
    lines += [
        "| " + " | ".join(markdown_cell(v) for v in (r.layer, r.id, r.rule)) + " | "
        + ("yes" if r.ok else "**no**") + f" | {markdown_cell(r.detail)} |"
        for r in report.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"
