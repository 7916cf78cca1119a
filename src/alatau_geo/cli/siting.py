"""``alatau-geo site``: demand, sizing and optimal sites of the plan's facilities."""

from __future__ import annotations

import argparse

from alatau_geo.cli.common import progress, say, workspace_of

_DESCRIPTION = (
    "Where the plan's facilities serve best. From the residents and jobs allocated on the 100 m grid (summed into "
    "demand blocks of siting.demand_block_m), compute the demand per district and phase (electricity, water, "
    "wastewater, gas, school and kindergarten places, clinic visits), the facilities each kind needs beside the "
    "infrastructure catalogue, and for each kind, on the road network's travel times: the p-median (least total "
    "travel), maximal covering and set covering within the kind's limit, with candidate sites on the placement "
    "grid that pass the kind's placement rules and the catalogue's existing objects kept. The catalogue's planned "
    "objects are measured by the same models beside the optimum, and the report says which of them the optimum "
    "moves and how far. Writes layers/siting/ (siting_recommended, siting_catchments, siting_moves: GeoJSON, "
    "siting.gpkg, manifest), reports/siting.md with reports/siting_*.csv, and maps/siting.html. The layers must "
    "have been built from the workspace's plan as it is now; [siting] itself may change without a rebuild. Each "
    "model stops at siting.time_limit_s and reports the best solution found, saying so."
)
_EPILOG = """\
examples:
  alatau-geo site                                   the catalogue's kinds (substations, water intake,
                                                    wastewater plants), city-wide, last phase (2050)
  alatau-geo site --kind substation --district gate Gate's substations
  alatau-geo -w my_scenario site --phase 2030       a workspace, the first phase

exit codes: 3 when a set covering is infeasible (the message names the demand blocks no site reaches within
the kind's limit, where they are and their district), for an unknown kind, district or phase, or an invalid
[siting] entry; 4 when the layers are missing or stale (run alatau-geo build); 5 when an output cannot be written.
"""


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``site`` to the command parsers."""
    site = commands.add_parser("site", parents=[common], help="optimal sites of the plan's facilities",
                               description=_DESCRIPTION, epilog=_EPILOG,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    site.add_argument("--kind", action="append", metavar="KIND",
                      help="a facility kind of [siting.kinds] (repeat for several); default: the kinds with "
                      "objects in the infrastructure catalogue")
    site.add_argument("--phase", type=int, metavar="YEAR", help="phase year (default: the last, 2050)")
    site.add_argument("--district", action="append", metavar="ID",
                      help="site within this district only (repeat for several; city_rest is city land outside "
                      "the districts); default: the whole city")
    site.add_argument("--offline", action="store_true",
                      help="self-contained map: inline Leaflet and plugins, hillshade base map, no tiles")
    site.add_argument("--no-map", action="store_true", help="write the layers and the report only")
    site.set_defaults(run=run_site)


def run_site(args: argparse.Namespace) -> int:
    """``alatau-geo site``."""
    from alatau_geo.analysis.siting_report import summary_lines
    from alatau_geo.jobs import siting
    from alatau_geo.jobs.population import suitability_of_folder
    from alatau_geo.plan.workspace import built_by_record, check_layers_match

    workspace = workspace_of(args)
    plan = workspace.load_plan()
    check_layers_match(workspace, plan)
    layers_dir = workspace.layers_dir
    with progress(4, quiet=args.quiet) as step:
        step("siting: demand, candidates and models")
        layers, elevation = siting.read_inputs(layers_dir)
        run = siting.run_siting(layers, plan, elevation=elevation, kinds=args.kind, phase=args.phase,
                                districts=args.district, suitability=suitability_of_folder(plan, layers_dir))
        step("writing the siting layers")
        record = siting.siting_record(built_by_record(workspace, plan), plan, run.study)
        export = siting.write_siting_layers(run, layers_dir, precision=plan.export.coordinate_precision,
                                            built_by=record)
        step("writing the report")
        written = siting.write_siting_report(run, workspace.reports_dir, plan_label=workspace.plan_label(),
                                             demand_block_m=plan.siting.models.demand_block_m)
        step("writing the map")
        page = None if args.no_map else siting.write_siting_map(run, maps_dir=workspace.maps_dir,
                                                                 layers_dir=layers_dir, offline=args.offline,
                                                                 language=plan.maps.language)
    for line in summary_lines(run.study):
        print(line)
    for note in run.study.notes:
        say(note)
    say(f"Wrote {len(run.layers)} layers to {export.directory}/ ({export.gpkg.name}, manifest.json), "
        f"{written[-1]} and {len(written) - 1} tables (siting_*.csv)")
    if page is not None:
        say(f"Map: {page.path} ({page.size_bytes / 1e6:.1f} MB{', offline' if args.offline else ''})")
    return 0
