"""Workspaces: one scenario's plan, tables and outputs in one folder.

A workspace is a folder holding ``plan.toml``::

    my_scenario/
        plan.toml        the plan (every key the default plan has, editable)
        tables/          copies of the places, corridors, river names, infrastructure, projects and
                         mountain places tables
        README.md        what the folder holds
        layers/          written by ``alatau-geo build``: GeoJSON, GeoPackage, manifest, terrain raster
        maps/            written by ``build`` and ``map``
        reports/         written by ``report``
        cache/           working rasters

Every command reads and writes only inside its workspace. The default
scenario is the repository itself when the package runs from a checkout
(its committed ``layers/`` are the default plan's layers), else a folder in
the user's data directory. Layers remember what built them: the manifest's
``built_by`` record holds the plan's path and a hash of its content and its
tables (:func:`plan_fingerprint`), and a command whose plan no longer matches
refuses instead of mixing two plans (:func:`check_layers_match`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alatau_geo.core.errors import LayerError, PlanError, StaleLayersError, TableError, UsageError
from alatau_geo.core.io import write_text
from alatau_geo.core.manifest import MANIFEST_NAME, read_built_by
from alatau_geo.core.text_input import MAX_PLAN_BYTES, MAX_TABLE_BYTES, check_input_file, read_user_text
from alatau_geo.plan.config import DEFAULT_PLAN_NAME, Plan, load_plan

__all__ = [
    "PLAN_FILE",
    "TABLES",
    "Workspace",
    "built_by_record",
    "check_layers_match",
    "default_workspace",
    "init_workspace",
    "plan_fingerprint",
    "resolve_workspace",
    "shipped_scenario",
    "shipped_scenarios",
]

PLAN_FILE = "plan.toml"
SCENARIOS_FOLDER = "scenarios"
"""Folder of ``alatau_geo/data`` holding the example scenarios' plans (and their tables)."""
"""The file that makes a folder a workspace."""
TABLES = ("places", "corridors", "outlines", "river_names", "infrastructure", "projects", "mountain_places")
"""The editable tables a workspace holds copies of, in ``tables/<name>.csv``."""
DEFAULT_WORD = "default"
"""What a user types to name the default scenario (``alatau-geo diff default my_scenario``)."""
HOME_VARIABLE = "ALATAU_GEO_HOME"
"""Where the default scenario lives when the package does not run from a checkout."""
# The plan sections the DEM-derived reference layers depend on; the water
# protection widths are recorded apart, since they can be rebuilt without tiles.
_TERRAIN_SECTIONS = ("study_area", "terrain", "hydrology")
# The parts of [mountain] the mountain-cluster and corridor layers depend on (the
# capacity check is recomputed by the report from the window DEM).
_MOUNTAIN_PARTS = ("terrain", "lifts", "corridors")


@dataclass(frozen=True)
class Workspace:
    """A scenario's folder and its plan.

    Attributes
    ----------
    root : Path
        The folder.
    plan_path : Path or None
        The plan file; None for the default plan shipped with the package.
    is_default : bool
        Whether this is the default scenario (the repository's committed layers).
    """

    root: Path
    plan_path: Path | None
    is_default: bool = False

    @property
    def layers_dir(self) -> Path:
        """Layers, GeoPackage, manifest and terrain raster."""
        return self.root / "layers"

    @property
    def maps_dir(self) -> Path:
        """The HTML maps."""
        return self.root / "maps"

    @property
    def reports_dir(self) -> Path:
        """Report tables (CSV, Markdown)."""
        return self.root / "reports"

    @property
    def cache_dir(self) -> Path:
        """Working rasters (the default scenario keeps them under ``build/``, which git ignores)."""
        return self.root / ("build/cache" if self.is_default else "cache")

    @property
    def label(self) -> str:
        """How messages name the workspace."""
        return "the default scenario" if self.is_default else f"workspace {self.root}"

    def load_plan(self) -> Plan:
        """The workspace's plan, validated."""
        return load_plan(self.plan_path)

    def plan_label(self) -> str:
        """The plan's path relative to the workspace (stable across machines), or the shipped default."""
        if self.plan_path is None:
            return f"alatau_geo/data/{DEFAULT_PLAN_NAME} (shipped default plan)"
        try:
            return self.plan_path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(self.plan_path)


def default_workspace() -> Workspace:
    """The default scenario: the checkout when running from one, else ``$ALATAU_GEO_HOME`` or the user data folder."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "layers" / "manifest.json").is_file():
        return Workspace(root=checkout, plan_path=None, is_default=True)
    home = os.environ.get(HOME_VARIABLE)
    if home:
        return Workspace(root=Path(home), plan_path=None, is_default=True)
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return Workspace(root=data / "alatau-geo" / "default", plan_path=None, is_default=True)


def resolve_workspace(given: str | None, *, plan: str | None = None, cwd: Path | None = None) -> Workspace:
    """The workspace a command works in.

    In order: `given` (a folder holding ``plan.toml``, or the word
    ``default``); the folder of `plan` (``--plan FILE``); the current folder
    when it holds ``plan.toml``; else the default scenario.

    Raises
    ------
    UsageError
        If `given` is not a workspace, or `plan` would build a non-default
        plan into the default scenario's committed layers.
    """
    cwd = cwd or Path.cwd()
    if given is not None:
        return _named_workspace(given)
    if plan is not None:
        return _plan_workspace(Path(plan))
    if (cwd / PLAN_FILE).is_file():
        return Workspace(root=cwd, plan_path=cwd / PLAN_FILE)
    return default_workspace()


def _named_workspace(given: str) -> Workspace:
    if given == DEFAULT_WORD:
        return default_workspace()
    root = Path(given)
    if root.is_file() and root.suffix == ".toml":
        return _plan_workspace(root)
    if not (root / PLAN_FILE).is_file():
        raise UsageError(f"{root}: not a workspace (no {PLAN_FILE}); create one with: alatau-geo init {root}")
    return Workspace(root=root, plan_path=root / PLAN_FILE)


def _plan_workspace(plan: Path) -> Workspace:
    default = default_workspace()
    if plan.resolve().parent == default.root.resolve():
        raise UsageError(
            f"{plan}: the folder of this plan holds the default scenario, whose layers/ only the default plan "
            f"builds; make a workspace for it: alatau-geo init my_scenario --from {plan}"
        )
    return Workspace(root=plan.parent, plan_path=plan)


def init_workspace(root: str | Path, *, from_plan: str | Path | None = None) -> Workspace:
    """Create a workspace: an editable plan, copies of the tables and a README.

    Parameters
    ----------
    root : str or Path
        The folder to create (it may exist, but must not hold a plan yet).
    from_plan : str or Path, optional
        A plan to start from (its tables are copied too), or the name of a
        scenario shipped with the package (:func:`shipped_scenarios`);
        default: the default plan, written out in full with its comments.

    Returns
    -------
    Workspace

    Raises
    ------
    UsageError
        If `root` already holds a plan.
    PlanError
        If `from_plan` is not a valid plan.
    """
    root = Path(root)
    if (root / PLAN_FILE).exists():
        raise UsageError(f"{root}: already a workspace ({PLAN_FILE} exists); choose another folder")
    from_plan = _plan_source(from_plan)
    source_text = _default_plan_text() if from_plan is None else _read_plan_text(Path(from_plan))
    plan = load_plan(from_plan)  # validates the plan and resolves its table paths
    for name in TABLES:
        given = getattr(plan.tables, name)
        text = (read_user_text(given, what=f"{name} table", max_bytes=MAX_TABLE_BYTES, error=TableError) if given
                else _packaged_table(name))
        write_text(text, root / "tables" / f"{name}.csv")
    write_text(_with_workspace_tables(source_text), root / PLAN_FILE)
    write_text(_readme(root), root / "README.md")
    return Workspace(root=root, plan_path=root / PLAN_FILE)


def shipped_scenarios() -> tuple[str, ...]:
    """Names of the example scenarios shipped with the package (``alatau-geo init DIR --from NAME``).

    Examples
    --------
    >>> "industrial_logistics_sez" in shipped_scenarios()
    True
    """
    folder = resources.files("alatau_geo").joinpath("data", SCENARIOS_FOLDER)
    return tuple(sorted(item.name[: -len(".toml")] for item in folder.iterdir() if item.name.endswith(".toml")))


def shipped_scenario(name: str) -> Path:
    """The plan file of a shipped example scenario.

    Raises
    ------
    PlanError
        If no scenario of that name is shipped.
    """
    if name not in shipped_scenarios():
        raise PlanError(f"{name}: no such plan file or shipped scenario (shipped: {', '.join(shipped_scenarios())})")
    return Path(str(resources.files("alatau_geo").joinpath("data", SCENARIOS_FOLDER, f"{name}.toml")))


def _plan_source(given: str | Path | None) -> str | Path | None:
    """`given`, or the shipped scenario it names when it is a bare name and no such file exists."""
    if given is None or Path(given).exists() or Path(given).suffix or len(Path(given).parts) > 1:
        return given
    return shipped_scenario(str(given))


def _default_plan_text() -> str:
    return resources.files("alatau_geo").joinpath("data", DEFAULT_PLAN_NAME).read_text("utf-8")


def _packaged_table(name: str) -> str:
    return resources.files("alatau_geo").joinpath("data", f"{name}.csv").read_text("utf-8")


def _read_plan_text(path: Path) -> str:
    return read_user_text(path, what="plan file", max_bytes=MAX_PLAN_BYTES, error=PlanError)


_TABLES_SECTION = re.compile(r"^\[tables\][^\[]*", re.M)


def _with_workspace_tables(text: str) -> str:
    """`text` with its ``[tables]`` section pointing at the workspace's copies."""
    section = (
        "[tables]\n# The workspace's own copies of the tables (paths relative to this file): edit them here.\n"
        + "".join(f'{name} = "tables/{name}.csv"\n' for name in TABLES)
        + "\n"
    )
    if _TABLES_SECTION.search(text):
        return _TABLES_SECTION.sub(lambda _: section, text, count=1)
    return text.rstrip("\n") + "\n\n" + section


def _readme(root: Path) -> str:
    return f"""# Alatau scenario workspace: {root.name}

This folder is one planning scenario for `alatau-geo`.

- `plan.toml`: every parameter of the scenario (zones, widths, speeds, radii...). Edit it.
- `tables/`: the places, corridors, river names, infrastructure, projects and mountain places of this
  scenario. Edit them
  (replace an approximate position with a surveyed one, add a facility).
- `layers/`, `maps/`, `reports/`: written by the commands below; rebuilt from the plan, never edited by hand.

Run, from this folder (or with `-w {root}` from anywhere):

    alatau-geo build              # layers, GeoPackage for QGIS, and the maps
    alatau-geo report areas       # area table of the districts and the city
    alatau-geo diff default .     # what this scenario changes against the default plan

The layers record the plan that built them; after editing the plan or a table, run `alatau-geo build` again
before `map` or `report` (they refuse layers built from another version of the plan).
"""


def plan_fingerprint(plan: Plan) -> dict[str, Any]:
    """Content hashes of a plan and the tables it reads, independent of where the files are.

    Returns
    -------
    dict
        ``sha256`` of everything (parameters, zones, network, table contents),
        ``terrain_sha256`` of what the DEM-derived layers depend on (study
        area, terrain and hydrology sections, river-name table),
        ``mountain_sha256`` of what the mountain-cluster and corridor layers
        depend on (``mountain.terrain``, ``.lifts`` and ``.corridors``, the
        mountain places and river-name tables), and the ``water_protection``
        widths in metres.
    """
    tables = {name: _table_digest(plan, name) for name in TABLES}
    parameters = _plain_plan(plan)
    parameters["tables"] = tables
    terrain_part = {key: parameters[key] for key in _TERRAIN_SECTIONS}
    terrain_part["river_names"] = tables["river_names"]
    mountain_part = {key: parameters["mountain"][key] for key in _MOUNTAIN_PARTS}
    mountain_part["tables"] = [tables["mountain_places"], tables["river_names"]]
    return {
        "sha256": _digest(parameters),
        "terrain_sha256": _digest(terrain_part),
        "mountain_sha256": _digest(mountain_part),
        "water_protection": parameters["water_protection"],
    }


def built_by_record(workspace: Workspace, plan: Plan) -> dict[str, Any]:
    """The manifest's ``built_by`` record for layers built in `workspace` from `plan`."""
    return {"plan": workspace.plan_label(), **plan_fingerprint(plan)}


def check_layers_match(workspace: Workspace, plan: Plan) -> None:
    """Refuse layers that another plan (or another version of this one) built.

    Raises
    ------
    StaleLayersError
        If the manifest's ``built_by`` record is missing or its hash differs
        from the plan's; the message says to run ``alatau-geo build``.
    LayerError
        If the layers folder has no manifest.
    """
    record = read_built_by(workspace.layers_dir)
    if record is None:
        raise StaleLayersError(f"{workspace.layers_dir}/manifest.json does not record the plan that built the "
                               f"layers; run alatau-geo build in {workspace.label}")
    if record.get("sha256") != plan_fingerprint(plan)["sha256"]:
        raise StaleLayersError(
            f"{workspace.layers_dir}: built from {record.get('plan', 'another plan')} as it was before; the plan "
            f"or its tables changed since. Run alatau-geo build in {workspace.label} first"
        )


def built_plan(workspace: Workspace) -> Plan:
    """The plan of a built workspace, once its layers are known to be built from it as it is now.

    Raises
    ------
    LayerError
        If the workspace has not been built (no manifest); the message says how to build it.
    StaleLayersError
        If its layers were built from another version of its plan (:func:`check_layers_match`).
    """
    if not (workspace.layers_dir / MANIFEST_NAME).is_file():
        raise LayerError(f"{workspace.label}: not built (no {workspace.layers_dir / MANIFEST_NAME}); run: "
                         f"alatau-geo -w {workspace.root} build")
    plan = workspace.load_plan()
    check_layers_match(workspace, plan)
    return plan


def _table_digest(plan: Plan, name: str) -> str:
    given = getattr(plan.tables, name)
    if not given:
        return hashlib.sha256(_without_tolerances(_packaged_table(name)).encode("utf-8")).hexdigest()
    check_input_file(given, what=f"{name} table (plan entry 'tables.{name}')", error=TableError,
                     max_bytes=MAX_TABLE_BYTES)
    try:
        text = given.read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        raise TableError(f"{given}: cannot read {name} table ({error.strerror or error})") from None
    return hashlib.sha256(_without_tolerances(text).encode("utf-8")).hexdigest()


_TOLERANCE_COLUMN = "tolerance_m"


def _without_tolerances(text: str) -> str:
    """The table without its ``tolerance_m`` column: tolerances feed only the uncertainty runs, never a layer.

    A table without the column is returned as it is, and one whose last column it is (as
    in the shipped tables) loses exactly the text of that column, so in both cases the
    hash is that of the table without tolerances. Otherwise the rows are written anew.
    """
    lines = text.splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or _TOLERANCE_COLUMN not in rows[0]:
        return text
    if rows[0][-1] == _TOLERANCE_COLUMN and len(rows) == len(lines):
        kept = []
        for line in lines:
            body = line.rstrip("\r\n")
            kept.append(body[: body.rfind(",")] + line[len(body):])
        return "".join(kept)
    column = rows[0].index(_TOLERANCE_COLUMN)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([cell for i, cell in enumerate(row) if i != column] for row in rows)
    return out.getvalue()


def _plain_plan(plan: Plan) -> dict[str, Any]:
    data = plan.as_dict()
    data.pop("tables", None)
    data.pop("uncertainty", None)  # how the uncertainty runs vary the plan changes no layer
    data.pop("maps", None)  # how the maps read changes no layer
    data["zones"] = [_plain(zone) for zone in plan.zones]
    data["network"] = _plain(plan.network) if plan.network is not None else None
    return data


def _plain(value: Any) -> str:
    # Rules and parameters are frozen dataclasses of numbers, strings and tuples: their repr is complete and stable.
    return repr(value)


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
