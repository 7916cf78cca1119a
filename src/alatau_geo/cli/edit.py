"""The ``apply`` command: the editing map's edits into the workspace's plan and tables, rebuilt, with the diff.

``alatau-geo map --edit`` writes the editing map; a planner moves objects,
adds a facility, redraws a district or changes a rule's parameter there and
downloads the edits as one JSON file. ``alatau-geo -w WS apply EDITS`` reads
the file (nothing in it is trusted: :func:`alatau_geo.plan.edits.parse_edits`),
changes the workspace's tables and plan (:mod:`alatau_geo.plan.edit_changes`),
checks the new plan, rebuilds and prints what changed. If the new plan or the
rebuild fails, the plan and tables are put back as they were.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from alatau_geo.cli.build import build_workspace
from alatau_geo.cli.common import DEM_DIR_VARIABLE, say, workspace_of
from alatau_geo.core.errors import AlatauGeoError, InputDataError, UsageError
from alatau_geo.core.io import write_text
from alatau_geo.plan.workspace import Workspace

__all__ = ["add_commands", "run_apply"]

MAX_EDIT_FILE_BYTES = 20_000_000
_TABLES = ("infrastructure", "projects")
_EPILOG = """\
examples:
  alatau-geo init my_scenario
  alatau-geo -w my_scenario map --edit            writes my_scenario/maps/edit.html
  alatau-geo -w my_scenario apply ~/Downloads/alatau-geo-edits.json
"""


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``apply`` to the command parsers."""
    apply = commands.add_parser(
        "apply", parents=[common], help="apply the edits made on the editing map to a workspace",
        description="Turn the edits downloaded from the editing map (alatau-geo map --edit) into changes of the "
        "workspace's plan.toml and tables: a moved object or project gets its position (placement given), an added "
        "facility a row in tables/infrastructure.csv, a redrawn district a fixed 'polygon' rule, a changed rule "
        "parameter its value. Every edit is checked (unknown fields refused, names kept as text, positions and "
        "outlines inside the study area); then the workspace is rebuilt and the changes are printed. The default "
        "scenario is never edited: make a workspace with alatau-geo init.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    apply.add_argument("edits", metavar="EDITS", help="the JSON file the editing map downloaded")
    apply.add_argument("--dem-dir", metavar="DIR",
                       help=f"folder with the SRTM3 tiles for the rebuild (default: ${DEM_DIR_VARIABLE}, then "
                       "../shared/data/srtm; without tiles the DEM-derived layers already built are kept)")
    apply.add_argument("--no-maps", action="store_true", help="rebuild the layers only, not the maps")
    apply.add_argument("--offline", action="store_true",
                       help="maps that offer no online base map: the pages load nothing at all")
    apply.set_defaults(run=run_apply, layers_dir=None, cache_dir=None, osm=None, maps_dir=None)


def _read_edits(path: Path) -> object:
    try:
        size = path.stat().st_size
        if size > MAX_EDIT_FILE_BYTES:
            raise InputDataError(f"{path}: {size:,} bytes is too large for an edit file "
                                 f"(at most {MAX_EDIT_FILE_BYTES:,})")
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputDataError(f"{path}: edit file not found") from None
    except IsADirectoryError:
        raise InputDataError(f"{path}: is a folder, not an edit file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputDataError(f"{path}: cannot read the edit file ({error})") from None
    except json.JSONDecodeError as error:
        raise InputDataError(f"{path}: not JSON ({error}); download the edits again from the editing map") from None


def _table_paths(workspace: Workspace, plan: object) -> dict[str, Path]:
    paths = {}
    for name in _TABLES:
        path = getattr(plan.tables, name)  # type: ignore[attr-defined]
        if path is None:
            raise UsageError(f"{workspace.plan_path}: [tables] {name} is the shipped table; point it at the "
                             f"workspace's copy (tables/{name}.csv, as alatau-geo init writes) before applying edits")
        paths[name] = path
    return paths


def _read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
        rows = list(reader)
    except FileNotFoundError:
        raise InputDataError(f"{path}: table not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputDataError(f"{path}: cannot read the table ({error})") from None
    return list(reader.fieldnames or []), rows


def _table_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run_apply(args: argparse.Namespace) -> int:
    """``alatau-geo apply EDITS``."""
    import tomlkit

    from alatau_geo.core.io import read_layers
    from alatau_geo.plan.config import parse_plan
    from alatau_geo.plan.edit_changes import apply_to_plan, apply_to_tables, edit_outcomes
    from alatau_geo.plan.edits import parse_edits
    from alatau_geo.plan.workspace import plan_fingerprint

    workspace = workspace_of(args)
    if workspace.is_default or workspace.plan_path is None:
        raise UsageError("apply changes a scenario's plan and tables, never the default scenario's; make a "
                         "workspace first: alatau-geo init my_scenario, then: alatau-geo -w my_scenario apply "
                         f"{args.edits}")
    plan = workspace.load_plan()
    source = str(args.edits)
    edits = parse_edits(_read_edits(Path(args.edits)), source=source, study_area=plan.study_area)
    if edits.plan_sha256 and edits.plan_sha256 != plan_fingerprint(plan)["sha256"]:
        say(f"{source}: the edits were made on a map of another version of the plan; applying them to the "
            "plan as it is now")
    paths = _table_paths(workspace, plan)
    tables = {name: _read_table(path) for name, path in paths.items()}
    changed, said = apply_to_tables(edits, tables, source=source, files={n: str(p) for n, p in paths.items()})
    old_plan = workspace.plan_path.read_text(encoding="utf-8")
    document = tomlkit.parse(old_plan)
    said += apply_to_plan(edits, document, plan, source=source)
    new_plan = tomlkit.dumps(document)
    parse_plan(new_plan, source=str(workspace.plan_path), base_dir=workspace.plan_path.resolve().parent)
    before = read_layers(workspace.layers_dir) if (workspace.layers_dir / "manifest.json").is_file() else None
    saved = {workspace.plan_path: old_plan, **{paths[name]: paths[name].read_text(encoding="utf-8")
                                               for name in changed}}
    try:
        for name, (columns, rows) in changed.items():
            write_text(_table_text(columns, rows), paths[name])
        write_text(new_plan, workspace.plan_path)
        result = build_workspace(args, workspace=workspace, plan=workspace.load_plan())
    except (AlatauGeoError, KeyboardInterrupt):
        for path, text in saved.items():  # put the plan and tables back as they were
            write_text(text, path)
        raise
    print(f"Applied {len(edits.edits)} edit(s) from {source} to {workspace.label}:")
    for line in said:
        print(f"  {line}")
    print("Layers:")
    for change in result.changes:
        if change.status != "unchanged":
            print(f"  {change}")
    print("What the rebuilt layers show:")
    for line in edit_outcomes(edits, before, result.layers):
        print(f"  {line}")
    if (workspace.maps_dir / "edit.html").is_file():
        say(f"{workspace.maps_dir / 'edit.html'} still shows the plan before these edits; to edit further, run: "
            f"alatau-geo -w {workspace.root} map --edit")
    return 0
