"""The ``alatau-geo`` command-line tool: the parser, and each error class mapped to an exit code.

The commands live in one module per group (:mod:`.build`, :mod:`.edit`, :mod:`.report`,
:mod:`.siting`, :mod:`.compare`, :mod:`.scenarios`, :mod:`.inspection`); each parses nothing itself and calls the
library. Every :class:`~alatau_geo.core.errors.AlatauGeoError` becomes one
line on stderr and the exit code of its class (see
:mod:`alatau_geo.core.errors`); a closed output pipe (``alatau-geo info |
head``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from alatau_geo import __version__
from alatau_geo.cli import build, compare, edit, inspection, report, scenarios, siting
from alatau_geo.cli.common import common_options, logger
from alatau_geo.core.errors import AlatauGeoError

EXIT_CODES = ("exit codes: 0 ok, 1 problems found (validate), 2 usage, 3 invalid plan, "
              "4 bad, missing or stale input data (or a warning with --strict), 5 output not written (or another "
              "build is writing it), 70 internal error (a bug: please report it with the output of -v)")
INTERNAL_ERROR = 70
"""Exit code of an error no check foresaw (EX_SOFTWARE of sysexits.h)."""
_YOUNG_OBJECTS = 20_000
"""New container objects between two collections of the youngest generation (Python's default: 700)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``alatau-geo`` (also used to generate the CLI reference)."""
    parser = argparse.ArgumentParser(
        prog="alatau-geo",
        description="Geospatial planning toolkit for Alatau City: reference layers, plans, analyses, maps. "
        "Each scenario lives in a workspace folder (alatau-geo init DIR); without one, commands work on the "
        "default scenario.",
        epilog=EXIT_CODES,
        parents=[common_options(top=True)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = common_options(top=False)
    for group in (build, edit, report, siting, compare, scenarios, inspection):
        group.add_commands(commands, common)
    return parser


def reference_markdown() -> str:
    """The CLI reference (``docs/cli.md``), generated from the parsers' own help."""
    # argparse wraps help to the terminal width; the reference must not depend on it.
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        return _reference_markdown(build_parser())
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _reference_markdown(parser: argparse.ArgumentParser) -> str:
    sections = ["# Command-line reference", "",
                "Generated from `alatau-geo --help` by `python -m alatau_geo.cli --markdown > docs/cli.md`; "
                "a test keeps it in sync.", "", "```text", parser.format_help().rstrip(), "```"]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        sections += ["", f"## alatau-geo {name}", "", "```text", sub.format_help().rstrip(), "```"]
    return "\n".join(sections) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    _configure_logging(verbose=args.verbose, quiet=args.quiet)
    try:
        return _run(args)
    finally:
        # main() may run inside a notebook or a test: leave logging as it was.
        logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def run() -> NoReturn:
    """``alatau-geo`` (and ``python -m alatau_geo.cli``): :func:`main`, then the process ends at once.

    Python's shutdown would then clear every module the command imported
    (pandas, GDAL, PROJ, numba): about 0.3 s on the development machine,
    after every output is written, closed and renamed into place. The exit
    handlers (child processes, temporary folders, logging) still run and
    the output is flushed; only that teardown is skipped.

    Before the command runs, the objects the imports made (modules,
    functions, tables: they live as long as the process) are moved out of
    the garbage collector's way (:func:`gc.freeze`), and the collector
    looks for cycles among new objects after 20,000 more of them, not 700.
    A build makes millions of short-lived containers (the coordinates and
    properties of its features), which set off thousands of collections,
    the full ones walking every imported object again: together about 0.6 s of
    an edit-and-rebuild's CPU time on the development machine, in the
    process and the ones it forks (peak memory unchanged).
    """
    gc.freeze()
    gc.set_threshold(_YOUNG_OBJECTS, 20, 20)
    code = main()
    atexit._run_exitfuncs()  # what interpreter shutdown runs first
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away, or the stream was closed
            pass
    os._exit(code)


def _run(args: argparse.Namespace) -> int:
    try:
        return args.run(args)
    except AlatauGeoError as error:
        print(f"alatau-geo: error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader closed the pipe (`| head`): stop writing, and keep Python
        # from failing again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("alatau-geo: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        logger.debug("where it happened:", exc_info=True)
        place = f"{error.filename}: " if isinstance(error, OSError) and error.filename else ""
        reason = (error.strerror if isinstance(error, OSError) and error.strerror else str(error)).splitlines()
        print(f"alatau-geo: internal error: {place}{type(error).__name__}: {reason[0] if reason else ''} (a bug: "
              "please report it, with the output of the same command run with -v)", file=sys.stderr)
        return INTERNAL_ERROR


class _OncePerRun(logging.Filter):
    """Drop a message already shown in this run.

    Analyses that share inputs (the settlements off the network, say) each
    report them; a user needs to read them once.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.levelno, record.getMessage())
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def _configure_logging(*, verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_OncePerRun())
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
