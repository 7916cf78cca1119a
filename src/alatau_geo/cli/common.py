"""What every command shares: the workspace and plan options, messages, progress, the DEM folder."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from alatau_geo.core.errors import DemError, InputDataError
from alatau_geo.core.progress import no_progress
from alatau_geo.plan.workspace import Workspace, resolve_workspace

logger = logging.getLogger("alatau_geo")

DEM_DIR_VARIABLE = "ALATAU_DEM_DIR"
"""Environment variable naming the folder of the SRTM tiles."""


def common_options(*, top: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after the command name.

    On a command's own parser the defaults are suppressed, so an option
    given before the command is not reset by the command's parser.
    """
    default = None if top else argparse.SUPPRESS
    flag = False if top else argparse.SUPPRESS
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-w", "--workspace", metavar="DIR", default=default,
                        help="scenario workspace (a folder with plan.toml, made by `alatau-geo init`), or "
                        "'default'; default: the current folder if it holds plan.toml, else the default scenario")
    common.add_argument("--plan", metavar="FILE", default=default,
                        help="a plan file; its folder is the workspace (the default scenario's folder takes only "
                        "the default plan)")
    common.add_argument("--strict", action="store_true", default=flag,
                        help="treat warnings about data that degraded (DEM voids left after filling, a guessed text "
                        "encoding) as errors: exit 4, and the outputs stay as they were")
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", default=flag, help="say more about each step")
    noise.add_argument("-q", "--quiet", action="store_true", default=flag, help="print errors only")
    return common


def workspace_of(args: argparse.Namespace) -> Workspace:
    """The workspace named by ``-w``/``--plan``, the current folder, or the default scenario."""
    return resolve_workspace(args.workspace, plan=args.plan)


def folder(value: str | None, default: Path) -> Path:
    """An output folder option: the value given, else the workspace's folder."""
    return Path(value) if value else default


def say(message: str) -> None:
    """A progress message on stderr (after flushing stdout, so tables come first)."""
    sys.stdout.flush()
    logger.info(message)


@contextmanager
def progress(total: int, *, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr advanced by each step label; silent with --quiet or off a terminal."""
    if quiet or not sys.stderr.isatty():  # nothing to draw: tqdm is not even loaded (a tenth of a second)
        yield no_progress
        return
    from tqdm import tqdm

    bar = tqdm(total=total, file=sys.stderr, unit="step", leave=False,
               bar_format="{desc:<48} {bar} {n_fmt}/{total_fmt} {elapsed}")
    started = False

    def step(label: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_description_str(label)

    try:
        yield step
    finally:
        bar.close()


def default_dem_dirs() -> list[Path]:
    """Folders searched for SRTM tiles when neither --dem-dir nor ALATAU_DEM_DIR is given."""
    repository = Path(__file__).resolve().parents[3]
    candidates = [Path.cwd().parent / "shared" / "data" / "srtm", repository.parent / "shared" / "data" / "srtm"]
    unique: list[Path] = []
    for candidate in candidates:
        if candidate.resolve() not in [u.resolve() for u in unique]:
            unique.append(candidate)
    return unique


def resolve_dem_dir(given: str | None) -> tuple[Path | None, str]:
    """The DEM folder to use and how it was chosen; None when no default folder exists."""
    if given:
        return Path(given), "--dem-dir"
    if os.environ.get(DEM_DIR_VARIABLE):
        return Path(os.environ[DEM_DIR_VARIABLE]), DEM_DIR_VARIABLE
    for candidate in default_dem_dirs():
        if candidate.is_dir():
            return candidate, "default location"
    return None, "default location"


def has_tiles(dem_dir: Path, names: Sequence[str]) -> bool:
    """Whether `dem_dir` holds at least one of the named tiles.

    Raises
    ------
    DemError
        If the folder cannot be read.
    """
    try:
        return any((dem_dir / f"{n}.hgt.zip").is_file() or (dem_dir / f"{n}.hgt").is_file() for n in names)
    except OSError as error:
        raise DemError(f"{dem_dir}: cannot read the DEM folder ({error.strerror or error}); check its "
                       "permissions") from None


def report_warnings(warnings: Sequence[str], *, strict: bool) -> None:
    """Show each warning as one line, or, with ``--strict``, stop with the first as an error.

    Raises
    ------
    InputDataError
        With ``--strict``, if there is any warning (exit 4); the command has
        then written nothing.
    """
    if strict and warnings:
        more = f"; {len(warnings) - 1} more warning(s)" if len(warnings) > 1 else ""
        raise InputDataError(f"{warnings[0]} (--strict makes this an error{more})")
    for warning in warnings:
        logger.warning("alatau-geo: warning: %s", warning)
