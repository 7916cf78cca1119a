"""What a build hands over before its layers are exported: to the process that draws the map pages.

:func:`alatau_geo.jobs.build.build_from_tiles` and
:func:`~alatau_geo.jobs.build.refresh_from_committed` take a
:data:`HandOver`; this module makes the callbacks the stages and the export
call with it, and places the files beside the layers the pages read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from alatau_geo.core.layers import LayerSet
from alatau_geo.jobs import reuse
from alatau_geo.jobs.stage_cache import StageOutput
from alatau_geo.plan.config import Plan

if TYPE_CHECKING:
    from alatau_geo.analysis.suitability_layers import SuitabilityResult
    from alatau_geo.jobs.build_stages import Early, PlanStages

__all__ = ["HandOver", "computed_suitability", "early_of", "plan_files", "ready_of"]

HandOver = Callable[["LayerSet", "SuitabilityResult | None", bool], None]
"""Given a build's layers, the suitability it computed and whether these are all the layers (the command
line hands them to the process that renders the map pages). Called with all the layers once they are in
place, before the export, and not when the layers in place are kept; when the analyses are worked out
beside the other stages, called before with the layers so far (and the files beside them in place):
once the objects are placed (no suitability yet), then once the suitability is in."""


def computed_suitability(planned: PlanStages) -> SuitabilityResult | None:
    """The suitability the plan's stages computed; None when it came from the cache or the plan has none."""
    return planned.suitability.value if planned.suited else None


def ready_of(ready: HandOver | None, planned: PlanStages) -> Callable[[], None] | None:
    """What the export calls once the layers of `planned` are in place: `ready` with all of them."""
    return partial(ready, planned.layers, computed_suitability(planned), True) if ready is not None else None


def plan_files(people: StageOutput | None, suited: StageOutput | None) -> list[reuse.StageFiles]:
    """The files of the residents' and the suitability stages (None: not in yet) that go beside the layers."""
    return [reuse.StageFiles(stage, list(stage.files)) for stage in (people, suited) if stage is not None]


def early_of(ready: HandOver | None, plan: Plan, *,
             files: Callable[[StageOutput | None, StageOutput | None],
                             Sequence[reuse.StageFiles | reuse.CopiedFiles]],
             out_dir: Path) -> Early | None:
    """What :func:`~alatau_geo.jobs.build_stages.plan_stages` calls before the residents and analyses are in: `ready`.

    Called once the objects are placed (`suited` None) and once the
    suitability is in. The files beside the layers so far (the residents'
    not yet) are placed in `out_dir` first (the pages read the terrain
    raster there), each once; the export places them again, the same bytes.
    """
    if ready is None:
        return None
    placed: list[reuse.StageFiles | reuse.CopiedFiles] = []  # by an earlier call: they come first in `files`

    def early(layers: LayerSet, suited: StageOutput | None) -> None:
        for item in list(files(None, suited))[len(placed):]:
            item.place(out_dir)
            placed.append(item)
        ready(layers, suited.value if suited is not None and plan.suitability is not None else None, False)

    return early
