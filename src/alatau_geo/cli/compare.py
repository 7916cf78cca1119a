"""``alatau-geo diff``: what changes between two scenarios."""

from __future__ import annotations

import argparse
from pathlib import Path

from alatau_geo.cli.common import progress, say
from alatau_geo.core.errors import PlanError
from alatau_geo.core.layers import LayerSet
from alatau_geo.plan.workspace import Workspace, default_workspace, resolve_workspace


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``diff`` to the command parsers."""
    diff = commands.add_parser(
        "diff", parents=[common], help="compare two scenarios",
        description="Build the zones and placed objects of two scenarios (workspaces, plan files, or 'default') on "
        "their reference layers and report which zones changed and by how many hectares, which objects moved, "
        "and which newly break a placement rule. Nothing is written.",
        epilog="examples:\n  alatau-geo diff default my_scenario\n  alatau-geo diff plan.toml wider_green.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("plan_a", metavar="A", help="workspace folder, plan file, or 'default'")
    diff.add_argument("plan_b", metavar="B", help="workspace folder, plan file, or 'default'")
    diff.set_defaults(run=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    """``alatau-geo diff A B``."""
    from alatau_geo.analysis.scenarios import object_changes, zone_deltas

    scenarios = [_scenario(args.plan_a), _scenario(args.plan_b)]
    built = []
    with progress(len(scenarios), quiet=args.quiet) as step:
        for label, workspace in zip(("A", "B"), scenarios, strict=True):
            step(f"building scenario {label}")
            built.append(_plan_layers(workspace))
    deltas = zone_deltas(built[0], built[1])
    changed = [d for d in deltas if d.status != "unchanged"]
    for delta in deltas:
        print(delta)
    objects = object_changes(built[0], built[1])
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


def _plan_layers(workspace: Workspace) -> LayerSet:
    """The zones and placed objects of a scenario, on its own reference layers if built, else the default's."""
    from alatau_geo.core.io import read_raster
    from alatau_geo.core.manifest import MANIFEST_NAME
    from alatau_geo.jobs.build import TERRAIN_RASTER, committed_reference, plan_layers

    plan = workspace.load_plan()
    layers_dir = workspace.layers_dir
    if not (layers_dir / MANIFEST_NAME).is_file():
        layers_dir = default_workspace().layers_dir
    elevation = read_raster(layers_dir / TERRAIN_RASTER)
    # The comparison reads zones and placed objects only: no analyses are run.
    return plan_layers(committed_reference(plan, layers_dir=layers_dir), plan, elevation=elevation, analyses=False)
