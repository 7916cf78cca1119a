"""A build's outputs as one generation: written aside, then swapped in whole.

:class:`StagedFolders` gives each output folder (the workspace's ``layers/``
and ``maps/``) a staging folder beside it, ``.<name>.staging``, on the same
file system. The build writes only there. :meth:`StagedFolders.commit` then

1. links into each staging folder the files of the old folder that are not
   outputs (a README, a user's QGIS project), so nothing of the user's is lost;
2. flushes the staging folders to disk (their files are not flushed one by
   one as they are written: :mod:`alatau_geo.core.atomic`), then writes a
   journal, ``.<first>.commit``, naming every swap to make;
3. renames each old folder to ``.<name>.old`` and its staging folder into place;
4. removes the journal, then the old folders.

A build killed before step 2 leaves every output folder as it was, plus a
staging folder that the next run removes (with a message). A build killed
during step 3 leaves the journal: the next run completes the swap, since the
staging folders were complete when it was written. Each output folder is
locked for the whole time (:class:`~alatau_geo.core.folder_lock.FolderLock`),
so a second build of the same workspace refuses instead of mixing two
generations. Inside the folders, the manifest (written last, see
:mod:`alatau_geo.core.manifest`) records a content hash of every file, which
readers check.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

from alatau_geo.core.atomic import (
    STAGING_SUFFIX,
    atomic_write,
    flush_tree,
    is_temporary,
    remove_stale_temporaries,
    text_writer,
)
from alatau_geo.core.errors import ExportError, UsageError
from alatau_geo.core.folder_lock import FolderLock

logger = logging.getLogger(__name__)

__all__ = ["StagedFolders", "staging_path"]

#: Says whether an entry of an old output folder is a previous output (dropped) rather than a user's file (kept).
IsOutput = Callable[[Path], bool]


def staging_path(folder: Path) -> Path:
    """Where the next generation of `folder` is written: ``.<name>.staging`` beside it."""
    return folder.parent / f".{folder.name}{STAGING_SUFFIX}"


def _old_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.old"


def _journal_path(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.commit"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class StagedFolders:
    """Output folders written as one generation; use in a ``with`` block and call :meth:`commit`.

    Parameters
    ----------
    folders : sequence of Path
        The output folders (they need not exist). Repeated folders count once;
        a folder inside another is refused.
    is_output : sequence of callables, optional
        One per folder: whether an entry of the old folder is an output of the
        previous generation. Entries that are not are carried over. Default:
        nothing is carried over.
    also_lock : sequence of Path, default ()
        Folders not written but locked and cleaned of leftovers all the same
        (the maps folder of a ``build --no-maps``).
    on_message : callable, optional
        Receives a line for each stale lock, staging folder or journal dealt with.

    Raises
    ------
    UsageError
        If one folder lies inside another.
    ExportError
        On entering, if another process writes a folder or a folder cannot be
        prepared; on commit, if a rename fails (the old folders are then as
        they were, or the journal lets the next run complete the swap).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with StagedFolders([root / "layers"]) as staged:
    ...     _ = (staged.folder(root / "layers") / "a.geojson").write_text("{}")
    ...     staged.commit()
    >>> sorted(p.name for p in root.iterdir()), sorted(p.name for p in (root / "layers").iterdir())
    (['layers'], ['a.geojson'])
    """

    def __init__(self, folders: Sequence[Path], *, is_output: Sequence[IsOutput] | None = None,
                 also_lock: Sequence[Path] = (), on_message: Callable[[str], None] = logger.info) -> None:
        self._rules: dict[Path, list[IsOutput]] = {}
        self._labels = {Path(f).resolve(): str(f) for f in [*also_lock, *folders]}
        for position, folder in enumerate(folders):
            resolved = Path(folder).resolve()
            rule = is_output[position] if is_output is not None else (lambda _path: True)
            self._rules.setdefault(resolved, []).append(rule)
        self.folders = tuple(self._rules)
        self._locked = tuple(sorted({*self.folders, *(Path(f).resolve() for f in also_lock)}))
        for folder in self._locked:
            for other in self._locked:
                if other != folder and other.is_relative_to(folder):
                    raise UsageError(f"{other}: an output folder must not lie inside another ({folder})")
        self._on_message = on_message
        self._stack = ExitStack()
        self._committed = False

    def folder(self, folder: Path) -> Path:
        """The staging folder to write instead of `folder`."""
        resolved = Path(folder).resolve()
        if resolved not in self._rules:
            raise ValueError(f"{folder} is not one of the staged folders")
        return staging_path(resolved)

    def __enter__(self) -> StagedFolders:
        with ExitStack() as stack:
            for folder in self._locked:
                stack.enter_context(FolderLock(folder, on_message=self._on_message, label=self._labels[folder]))
            recover(self._locked, on_message=self._on_message)
            for folder in self.folders:
                if folder.exists() and not folder.is_dir():
                    raise ExportError(f"{self._labels[folder]}: is a file; an output folder was expected there")
                try:
                    staging_path(folder).mkdir()
                except OSError as error:
                    raise ExportError(f"{staging_path(folder)}: cannot create ({error.strerror or error})") from None
            self._stack = stack.pop_all()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if not self._committed:
                for folder in self.folders:
                    shutil.rmtree(staging_path(folder), ignore_errors=True)
        finally:
            self._stack.close()

    def commit(self) -> None:
        """Carry the user's files over, then swap every staging folder into place (see the module notes)."""
        for folder, rules in self._rules.items():
            _carry_over(folder, staging_path(folder), rules)
        for folder in self.folders:  # their files were not flushed one by one (core.atomic)
            flush_tree(staging_path(folder))
        swaps = [{"folder": str(f), "staged": str(staging_path(f)), "old": str(_old_path(f))} for f in self.folders]
        journal = _journal_path(self.folders[0])
        atomic_write(journal, text_writer(json.dumps({"swaps": swaps}, indent=2) + "\n"))
        # From here on the staging folders are the next generation: never removed, only swapped in.
        self._committed = True
        _complete(journal)


def _carry_over(folder: Path, staged: Path, rules: list[IsOutput]) -> None:
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        target = staged / entry.name
        if target.exists() or is_temporary(entry.name) or any(rule(entry) for rule in rules):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _complete(journal: Path) -> None:
    """Make every swap the journal names that is not made yet, then remove the journal and the old folders."""
    try:
        swaps = json.loads(journal.read_text(encoding="utf-8"))["swaps"]
        pairs = [(Path(s["folder"]), Path(s["staged"]), Path(s["old"])) for s in swaps]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ExportError(f"{journal}: unreadable commit journal ({error}); remove it and build again") from None
    try:
        for folder, staged, old in pairs:
            if not staged.is_dir():
                continue  # swapped already
            if folder.exists():
                if old.exists():
                    _remove(old)  # an older leftover; `folder` is the generation being replaced
                folder.rename(old)
            staged.rename(folder)
        journal.unlink()
    except OSError as error:
        raise ExportError(f"{journal.parent}: cannot swap the new outputs in ({error.strerror or error}); "
                          "the next build completes it") from None
    for _folder, _staged, old in pairs:
        shutil.rmtree(old, ignore_errors=True)


def recover(folders: Sequence[Path], *, on_message: Callable[[str], None] = logger.info) -> None:
    """Deal with what an interrupted run left beside and in `folders` (call with the folders locked).

    A commit journal is completed (its staging folders were complete);
    leftover staging and old folders are removed, and so are the temporary
    files of atomic writes whose process has ended. Each is reported through
    `on_message`.
    """
    for folder in folders:
        journal = _journal_path(folder)
        if journal.exists():
            _complete(journal)
            on_message(f"{folder}: completed swapping in the outputs of a build interrupted while doing so")
    for folder in folders:
        for leftover in (staging_path(folder), _old_path(folder)):
            if leftover.exists() or leftover.is_symlink():
                _remove(leftover)
                on_message(f"removed {leftover}, left by an interrupted run")
        if folder.is_dir():
            for removed in remove_stale_temporaries(folder):
                on_message(f"removed {removed}, left by an interrupted run")
