"""How the suitability classes depend on the weights: one weight at a time, up and down.

Each criterion's weight is moved by +-p % (20 % by default) and all weights
renormalised to sum to one; the surface is reclassified and compared with the
base. With weights w and criterion scores s, moving w_j by a factor (1 + d)
gives, after renormalisation,

    score' = (score + w_j * d * s_j) / (1 + w_j * d),

so no criterion is recomputed. Constrained cells stay unsuitable. A cell's
*changes* count is the number of perturbations under which its class
differs from the base: 0 is robust land, high counts are land whose class
hangs on a judgement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alatau_geo.analysis.grid import code_areas_ha
from alatau_geo.analysis.suitability import (
    CLASS_LABELS,
    NODATA_CLASS,
    Surface,
    classify,
)

_COLUMNS = ["criterion", "weight_change_pct", "weight", "class", "area_ha", "base_area_ha", "change_ha",
            "left_ha", "cells_changed"]


@dataclass(frozen=True)
class Sensitivity:
    """Result of :func:`weight_sensitivity`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (criterion, weight change, class): ``criterion``,
        ``weight_change_pct`` (e.g. -20, +20), ``weight`` (that criterion's
        renormalised weight), ``class``, ``area_ha`` (area of the class
        after the change), ``base_area_ha``, ``change_ha``, ``left_ha``
        (base-class land that moved to another class), ``cells_changed``
        (cells of that base class that changed class).
    changes : numpy.ndarray
        uint8 per cell: number of perturbations that change its class;
        255 = no data.
    perturbations : int
        Number of perturbations tried (2 per weighted criterion).
    """

    table: pd.DataFrame
    changes: np.ndarray
    perturbations: int

    def robust(self) -> np.ndarray:
        """Cells (bool) whose class no perturbation changes."""
        return self.changes == 0


def weight_sensitivity(surface: Surface, *, change_pct: float = 20.0) -> Sensitivity:
    """Move each weight by +-`change_pct` % in turn and record what changes class.

    Parameters
    ----------
    surface : Surface
        Built with ``keep_criteria=True``.
    change_pct : float, default 20
        Relative change of one weight, percent (0 < change_pct < 100).

    Returns
    -------
    Sensitivity

    Raises
    ------
    ValueError
        If the surface kept no criterion scores or `change_pct` is out of range.
    """
    if not 0 < change_pct < 100:
        raise ValueError(f"change_pct must lie between 0 and 100, got {change_pct}")
    weighted = [name for name, w in surface.weights.items() if w > 0]
    missing = [name for name in weighted if name not in surface.criteria]
    if missing:
        raise ValueError(f"the surface kept no scores for {', '.join(missing)}; build it with keep_criteria=True")
    valid = surface.classes != NODATA_CLASS
    base_ha = _class_areas(surface.classes, surface)
    changes = np.zeros(surface.grid.shape, dtype=np.uint8)
    rows: list[dict[str, object]] = []
    for name in weighted:
        weight = float(surface.weights[name])
        for sign in (-1, 1):
            delta = sign * change_pct / 100.0
            classes = classify(_perturbed(surface, name, weight * delta), surface.constrained, surface.thresholds)
            changed = (classes != surface.classes) & valid
            changes += changed
            after_ha = _class_areas(classes, surface)
            left_ha = _class_areas(np.where(changed, surface.classes, NODATA_CLASS), surface)
            for code, label in CLASS_LABELS.items():
                rows.append({
                    "criterion": name, "weight_change_pct": sign * change_pct,
                    "weight": weight * (1 + delta) / (1 + weight * delta), "class": label,
                    "area_ha": after_ha[code], "base_area_ha": base_ha[code],
                    "change_ha": after_ha[code] - base_ha[code], "left_ha": left_ha[code],
                    "cells_changed": int(np.count_nonzero(changed & (surface.classes == code))),
                })
    changes[~valid] = NODATA_CLASS
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return Sensitivity(table=table, changes=changes, perturbations=2 * len(weighted))


def _perturbed(surface: Surface, name: str, shift: float) -> np.ndarray:
    """(score + shift * s_name) / (1 + shift): the score after one weight moved by `shift`, renormalised."""
    score = surface.criteria[name] * np.float32(shift)
    score += surface.score
    score *= np.float32(1.0 / (1.0 + shift))
    return score


def _class_areas(classes: np.ndarray, surface: Surface) -> dict[int, float]:
    return code_areas_ha(classes, surface.grid, codes=CLASS_LABELS)
