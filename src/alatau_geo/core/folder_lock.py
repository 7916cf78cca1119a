"""One writer per output folder: a lock file beside the folder, holding the writer's process id.

:class:`FolderLock` creates ``.<name>.lock`` beside the folder ``<name>`` and
holds an exclusive ``flock`` on it while a build or a map run writes there.
The kernel drops the ``flock`` when the process ends, however it ends, so a
lock left by a killed process is recognised as stale and taken over (with a
message); a lock held by a running process makes the second writer refuse
with one line naming the process id. On systems without ``fcntl`` the
process id alone decides whether a lock is stale.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from alatau_geo.core.atomic import ensure_folder, process_alive
from alatau_geo.core.errors import ExportError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

__all__ = ["FolderLock", "lock_path"]


def lock_path(folder: Path) -> Path:
    """The lock file of an output folder: ``.<name>.lock`` beside it."""
    return folder.parent / f".{folder.name}.lock"


def _holder(path: Path) -> int:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return 0
    return int(text) if text.isdigit() else 0


class FolderLock:
    """An exclusive lock on one output folder, for a ``with`` block.

    Parameters
    ----------
    folder : Path
        The folder written (it need not exist yet; its parent is created).
    on_message : callable, optional
        Receives a line when a stale lock is taken over.
    label : str, optional
        How messages name the folder (default: its path).

    Raises
    ------
    ExportError
        On entering, if another running process holds the lock, or the lock
        file cannot be created.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "layers"
    >>> with FolderLock(folder):
    ...     lock_path(folder).read_text() == str(os.getpid())
    True
    >>> lock_path(folder).exists()
    False
    """

    def __init__(self, folder: Path, *, on_message: Callable[[str], None] = logger.info,
                 label: str | None = None) -> None:
        self.folder = Path(folder)
        self.path = lock_path(self.folder)
        self._label = label or str(self.folder)
        self._on_message = on_message
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        ensure_folder(self.path.parent)
        for _ in range(5):  # a holder may remove the file between our open and our lock
            if self._try_acquire():
                return self
        raise ExportError(f"{self.folder}: could not lock it for writing ({self.path}); try again")

    def _try_acquire(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise ExportError(f"{self.path}: cannot create the lock file ({error.strerror or error})") from None
        previous = _holder(self.path)
        if not self._lock(fd, previous):
            os.close(fd)
            raise ExportError(
                f"{self._label}: another alatau-geo process (PID {previous or '?'}) is writing it; wait for it to "
                "finish"
            )
        if not self._same_file(fd):
            os.close(fd)
            return False
        if previous and previous != os.getpid():
            self._on_message(f"{self._label}: took over the lock left by process {previous}, which has ended")
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd
        return True

    def _lock(self, fd: int, previous: int) -> bool:
        if fcntl is None:  # pragma: no cover - Windows
            return not (previous and previous != os.getpid() and process_alive(previous))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _same_file(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
