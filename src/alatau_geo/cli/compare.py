"""``alatau-geo diff``: what changes between two scenarios."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from alatau_geo.cli.common import progress, say
from alatau_geo.core.errors import PlanError
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.workspace import PLAN_FILE, Workspace, default_workspace, resolve_workspace

if TYPE_CHECKING:
    from alatau_geo.jobs.stage_cache import StageCache
    from alatau_geo.plan.config import Plan


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``diff`` to the command parsers."""
    diff = commands.add_parser(
        "diff", parents=[common], help="compare two scenarios",
        description="Build the zones and placed objects of two scenarios (workspaces, plan files, or 'default') on "
        "their reference layers and report which zones changed and by how many hectares, which objects moved, "
        "and which newly break a placement rule. Nothing is written but the stage results kept in the cache of "
        "the last workspace named (not the default scenario's), so that the next diff is quick.",
        epilog="examples:\n  alatau-geo diff default my_scenario\n  alatau-geo diff plan.toml wider_green.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("plan_a", metavar="A", help="workspace folder, plan file, or 'default'")
    diff.add_argument("plan_b", metavar="B", help="workspace folder, plan file, or 'default'")
    diff.add_argument("--no-cache", action="store_true", help="compute both scenarios afresh: neither read nor "
                      "write the stage cache")
    diff.set_defaults(run=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    """``alatau-geo diff A B``."""
    from alatau_geo.analysis.scenarios import object_changes, zone_deltas
    from alatau_geo.jobs.forked import run_forked
    from alatau_geo.jobs.stage_cache import StageCache

    scenarios = {"A": _scenario(args.plan_a), "B": _scenario(args.plan_b)}
    # Both plans are read first, so that a bad one is reported before anything is built, A before B.
    plans = {label: workspace.load_plan() for label, workspace in scenarios.items()}
    own = [w for w in scenarios.values() if not w.is_default and w.plan_path is not None
           and w.plan_path.resolve() == (w.root / PLAN_FILE).resolve()]
    # A workspace's cache, never the default scenario's (the checkout) nor the folder of a bare plan file.
    cache = StageCache(None if args.no_cache or not own else own[-1].cache_dir)
    with progress(len(scenarios) + 1, quiet=args.quiet) as step:
        step("building scenarios A and B")
        # The two scenarios are independent: each is built on its own core.
        built = run_forked({label: partial(_plan_layers, workspace, plans[label], cache=cache)
                            for label, workspace in scenarios.items()},
                           on_done=lambda label: step(f"scenario {label} built"))
    deltas = zone_deltas(built["A"], built["B"])
    changed = [d for d in deltas if d.status != "unchanged"]
    for delta in deltas:
        print(delta)
    objects = object_changes(built["A"], built["B"])
    for change in objects:
        print(change)
    newly_broken = sum(1 for c in objects if c.newly_broken)
    say(f"{len(changed)} of {len(deltas)} zones differ; {len(objects)} object{'s' if len(objects) != 1 else ''} "
        f"changed, {newly_broken} of them newly break a placement rule ({args.plan_a} -> {args.plan_b})")
    return 0


def _scenario(given: str) -> Workspace:
    path = Path(given)
    if path.suffix == ".toml":  # a plan file anywhere: diff writes nothing, so any folder will do
        if not path.is_file():
            raise PlanError(f"{path}: plan file not found")
        return Workspace(root=path.parent, plan_path=path)
    return resolve_workspace(given)


def _plan_layers(workspace: Workspace, plan: Plan, *, cache: StageCache) -> LayerSet:
    """The zones and placed objects of a scenario's `plan`, on its own reference layers if built, else the default's."""
    from alatau_geo.core.manifest import MANIFEST_NAME
    from alatau_geo.jobs.build_stages import zones_and_placement

    layers_dir = workspace.layers_dir
    if not (layers_dir / MANIFEST_NAME).is_file():
        layers_dir = default_workspace().layers_dir
    # The comparison reads zones and placed objects only: no analyses are run.
    return zones_and_placement(plan, layers_dir=layers_dir, cache=cache)
