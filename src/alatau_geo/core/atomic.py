"""Atomic file writes: a file is replaced whole or not at all.

Every output of alatau-geo is written to a temporary file beside the target
and renamed over it (:func:`atomic_path`), so a failed write never leaves a
half-written file where a good one was. The temporary folder's name carries
the writer's process id, so one left by a killed process is recognised and
removed by the next run (:func:`remove_stale_temporaries`).

A file is flushed to disk before it is renamed into place, unless it is
written inside a folder that is itself put in place whole: a staging folder
of :mod:`alatau_geo.core.staging`, flushed whole, all its files at once,
before it is committed (:func:`flush_tree`; on a slow disk a build's hundred
separate flushes take seconds, one concurrent flush a small part of that),
or a folder named as this module names its temporaries, a stage cache entry
in the making (:mod:`alatau_geo.jobs.stage_cache`), whose reader checks the
digest of every file and computes a damaged entry again.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from alatau_geo.core.errors import AlatauGeoError, ExportError

logger = logging.getLogger(__name__)

# ".<target name>.pid<process id>.<random>.tmp": see atomic_path.
_TEMPORARY = re.compile(r"^\..+\.pid(?P<pid>\d+)\.[^.]+\.tmp$")
STAGING_SUFFIX = ".staging"
"""The end of the name of a staging folder (``.<folder name>.staging``, :mod:`alatau_geo.core.staging`)."""
_FLUSHES = 8  # concurrent flushes of flush_tree: the disk queues them, the threads only wait


@contextmanager
def atomic_path(path: str | Path, *, durable: bool = True) -> Iterator[Path]:
    """Give a temporary path to write; on success rename it over `path`.

    The temporary file lives in a fresh hidden folder beside `path` (same
    file system, so :func:`os.replace` is atomic) and has the same name as
    `path`, so drivers that look at the suffix behave as for the target.

    Parameters
    ----------
    path : str or Path
        The file to create or replace. Its folder must exist.
    durable : bool, default True
        Flush the file to disk before the rename (unless a folder around it
        is flushed whole: see the module notes). False for a file whose
        reader checks it and takes a damaged one for a missing one (a
        cache's): a crash may leave it torn, never mistaken.

    Yields
    ------
    Path
        Where to write. If the ``with`` block raises, the temporary file is
        removed, `path` is left as it was and the error propagates.

    Raises
    ------
    ExportError
        If the folder is missing or not writable, or nothing was written;
        an ``OSError`` from the ``with`` block is re-raised as ``ExportError``.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise ExportError(f"{target}: folder {target.parent} does not exist")
    for stale in remove_stale_temporaries(target.parent, name=target.name):
        logger.info("removed %s, left by an interrupted run", stale)
    try:
        workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.pid{os.getpid()}.", suffix=".tmp", dir=target.parent))
    except OSError as error:
        raise ExportError(f"{target}: cannot write in {target.parent} ({error.strerror or error})") from None
    temporary = workdir / target.name
    try:
        yield temporary
        if not temporary.is_file():
            raise ExportError(f"{target}: nothing was written")
        if durable and not _flushed_with_folder(target):
            _flush_to_disk(temporary)
        os.replace(temporary, target)
    except OSError as error:
        if isinstance(error, AlatauGeoError):
            raise
        raise ExportError(f"{target}: cannot write ({error.strerror or error})") from error
    finally:
        _remove_folder(workdir)
    logger.debug("wrote %s", target)


def _remove_folder(folder: Path) -> None:
    """Remove the temporary folder: empty after a rename, else with what a driver left in it (journals)."""
    try:
        os.rmdir(folder)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def atomic_write(path: str | Path, write: Callable[[Path], None], *, durable: bool = True) -> Path:
    """Call ``write(temporary_path)``, then rename the result over `path`.

    Parameters
    ----------
    path : str or Path
        The file to create or replace.
    write : callable
        Writes the whole file at the path it is given.
    durable : bool, default True
        As :func:`atomic_path`.

    Returns
    -------
    Path
        `path`.

    Raises
    ------
    ExportError
        As :func:`atomic_path`. Other errors from `write` propagate; in every
        error case `path` is untouched and no temporary file remains.
    """
    with atomic_path(path, durable=durable) as temporary:
        write(temporary)
    return Path(path)


def ensure_folder(folder: str | Path) -> Path:
    """Create `folder` and its parents where missing, before a file is written into it.

    Raises
    ------
    ExportError
        If the folder cannot be created.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"{folder}: cannot create folder ({error.strerror or error})") from None
    return folder


def _flush_to_disk(path: Path) -> None:
    # The rename must not reach the disk before the data, or a crash could
    # leave an empty file under the final name.
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _flushed_with_folder(target: Path) -> bool:
    """Whether `target` lies in a folder put in place whole (staging, temporary): see the module notes."""
    return any((part.startswith(".") and part.endswith(STAGING_SUFFIX)) or is_temporary(part)
               for part in target.parent.parts)


def _flush_folder(path: Path) -> None:
    # A folder's entries (the renames into it) reach the disk with the folder, not with the files.
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except PermissionError:  # Windows opens no folder as a file: its file system orders the entries itself
        return
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EBADF):  # a file system that cannot flush a folder
            raise
    finally:
        os.close(descriptor)


def flush_tree(folder: str | Path) -> None:
    """Flush every file and folder under `folder` (and itself) to disk, before `folder` is renamed into place.

    The flushes are made concurrently: the disk orders them, and a build's
    hundred files take about as long as a few flushed one after another.

    Raises
    ------
    ExportError
        If a file or folder cannot be flushed, naming it.
    """
    root = Path(folder)
    paths = [root, *(path for path in sorted(root.rglob("*")) if not path.is_symlink())]
    with ThreadPoolExecutor(max_workers=_FLUSHES) as pool:
        list(pool.map(_flush_path, paths))


def _flush_path(path: Path) -> None:
    try:
        if path.is_dir():
            _flush_folder(path)
        else:
            _flush_to_disk(path)
    except OSError as error:
        raise ExportError(f"{path}: cannot flush to disk ({error.strerror or error})") from None


def text_writer(text: str) -> Callable[[Path], None]:
    """A `write` function for :func:`atomic_write`: `text` as UTF-8 with Unix line ends (LF).

    Parameters
    ----------
    text : str
        The whole content of the file.

    Returns
    -------
    callable
        ``write(path)``.
    """

    def write(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    return write


def process_alive(pid: int) -> bool:
    """Whether a process with id `pid` runs on this machine (any user's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def is_temporary(name: str) -> bool:
    """Whether a file name is that of a temporary folder of :func:`atomic_path`."""
    return _TEMPORARY.match(name) is not None


def remove_stale_temporaries(folder: str | Path, *, name: str | None = None) -> list[Path]:
    """Remove the temporary folders of :func:`atomic_path` in `folder` whose process has ended.

    Parameters
    ----------
    folder : str or Path
    name : str, optional
        Only those for this target file name.

    Returns
    -------
    list of Path
        The folders removed.
    """
    # By name first, as strings: every write looks here, and a memo's folder holds hundreds of entries.
    prefix = "." if name is None else f".{name}.pid"
    try:
        with os.scandir(folder) as found:
            names = sorted(entry.name for entry in found if entry.name.startswith(prefix))
    except OSError:
        return []
    removed = []
    for entry_name in names:
        match = _TEMPORARY.match(entry_name)
        entry = Path(folder) / entry_name
        if match and entry.is_dir() and not process_alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
