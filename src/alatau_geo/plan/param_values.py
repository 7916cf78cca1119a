"""Checks and the basis shared by the parameter classes of the infrastructure analyses (demand, sizing, siting).

Every check raises a one-line :class:`~alatau_geo.core.errors.PlanError` that names
the plan entry, e.g. ``'siting.demand.water_l_per_resident_day' must be at
least 0, got -1``; ``from_mapping`` constructors prefix the plan file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from alatau_geo.core.errors import PlanError

BasisKind = Literal["norm", "published", "derived", "assumed", "plan"]


@dataclass(frozen=True)
class Basis:
    """Where a parameter's default comes from.

    Attributes
    ----------
    kind : {'norm', 'published', 'derived', 'assumed', 'plan'}
        ``norm``: a building code or standard; ``published``: a published
        figure; ``derived``: computed from other figures; ``assumed``: a
        planning assumption; ``plan``: set by the user in the plan file.
    source : str
        The code, document or reasoning, with its caveats.
    """

    kind: BasisKind
    source: str


USER_BASIS = Basis("plan", "set in the plan file")


def number(value: Any, entry: str) -> float:
    """`value` as a finite float, or a PlanError naming `entry`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"'{entry}' must be a number, got {value!r}")
    return float(value)


def at_least(value: Any, entry: str, minimum: float = 0.0, *, unit: str = "") -> float:
    """`value` as a float no smaller than `minimum`."""
    checked = number(value, entry)
    if checked < minimum:
        raise PlanError(f"'{entry}' must be at least {minimum:g}{unit}, got {value!r}")
    return checked


def positive(value: Any, entry: str, *, unit: str = "") -> float:
    """`value` as a float greater than 0."""
    checked = number(value, entry)
    if checked <= 0:
        raise PlanError(f"'{entry}' must be greater than 0{unit}, got {value!r}")
    return checked


def share(value: Any, entry: str) -> float:
    """`value` as a float in (0, 1]."""
    checked = number(value, entry)
    if not 0 < checked <= 1:
        raise PlanError(f"'{entry}' must be greater than 0 and at most 1, got {value!r}")
    return checked


def one_of(value: Any, entry: str, allowed: Iterable[str]) -> str:
    """`value` if it is one of `allowed`."""
    options = tuple(allowed)
    if value not in options:
        raise PlanError(f"'{entry}' must be one of {', '.join(options)}, got {value!r}")
    return str(value)


def known_keys(data: Mapping[str, Any], known: Iterable[str], section: str) -> None:
    """Refuse a key of `data` that is not in `known` (a misspelt entry is never silently ignored)."""
    names = set(known)
    for key in data:
        if key not in names:
            raise PlanError(f"unknown entry '{section}.{key}' (known: {', '.join(sorted(names))})")


def table(value: Any, entry: str) -> Mapping[str, Any]:
    """`value` if it is a table (mapping)."""
    if not isinstance(value, Mapping):
        raise PlanError(f"'{entry}' must be a table, got {value!r}")
    return value


def with_source(error: PlanError, source: str) -> PlanError:
    """The same error with the plan file named first."""
    return PlanError(f"{source}: {error}")
