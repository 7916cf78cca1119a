"""The inspection commands: ``validate`` a user's layer file and list a workspace's layers (``info``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from alatau_geo.cli.common import folder, report_warnings, say, workspace_of
from alatau_geo.core.errors import LayerError

DEFAULT_REQUIRED = ("id",)
"""Attributes every feature must have unless ``--require`` says otherwise: every exported layer has them."""


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``validate`` and ``info`` to the command parsers."""
    validate = commands.add_parser(
        "validate", parents=[common], help="check a layer file before using it",
        description="Check a GeoJSON, GeoPackage or Shapefile: readability, CRS, geometry validity, positions, "
        "required attributes, duplicate ids. One line per problem; exit code 1 if any, 4 if the file cannot be "
        "read at all.",
        epilog="example:\n  alatau-geo validate surveyed_substations.gpkg --require id --require name_en",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--layer", metavar="NAME", help="layer of a multi-layer file")
    validate.add_argument("--require", metavar="COLUMN", action="append",
                          help="attribute every feature must have (repeatable; default: "
                          f"{', '.join(DEFAULT_REQUIRED)})")
    validate.set_defaults(run=run_validate)

    info = commands.add_parser(
        "info", parents=[common], help="list the layers with their provenance",
        description="List the workspace's layers: feature count, geometry type, quality and source, and the plan "
        "that built them.",
        epilog="example:\n  alatau-geo -w my_scenario info", formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    info.add_argument("--layers-dir", metavar="DIR", help="layers to list (default: the workspace's)")
    info.set_defaults(run=run_info)


def run_validate(args: argparse.Namespace) -> int:
    """``alatau-geo validate FILE``."""
    from alatau_geo.core.validate import validate_layer

    path = Path(args.file)
    if path.is_dir():
        raise LayerError(f"{path}: is a folder, not a layer file")
    if not path.exists():
        raise LayerError(f"{path}: file not found")
    plan = workspace_of(args).load_plan()
    required = tuple(args.require) if args.require else DEFAULT_REQUIRED
    warnings: list[str] = []
    problems = validate_layer(path, study_area=plan.study_area, required=required, layer=args.layer,
                              on_warning=warnings.append)
    report_warnings(warnings, strict=args.strict)
    for problem in problems:
        print(problem)
    if problems:
        say(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {path}; fix them and run validate again")
        return 1
    say(f"{path}: no problems found")
    return 0


def run_info(args: argparse.Namespace) -> int:
    """``alatau-geo info``."""
    from alatau_geo.core.generation import check_folder
    from alatau_geo.core.io import read_layers
    from alatau_geo.core.manifest import read_built_by

    workspace = workspace_of(args)
    layers_dir = folder(args.layers_dir, workspace.layers_dir)
    layers = read_layers(layers_dir)
    generation = check_folder(layers_dir)  # the GeoPackage and the terrain raster belong with the layers too
    for name, layer in layers.items():
        p = layer.provenance
        print(f"{name:24} {len(layer.frame):5d} {layer.geometry_type:16} {p.quality:12} {p.source}")
    record = read_built_by(layers_dir)
    checked = f" (generation {generation})" if generation else ""
    say(f"{len(layers)} layers in {layers_dir}/{checked}, built from "
        f"{record['plan'] if record else 'an unrecorded plan'}")
    return 0
