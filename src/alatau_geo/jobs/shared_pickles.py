"""Values handed to a forked child with their large buffers in memory the two processes share.

A build hands the process that draws its map pages the suitability it
worked out: rasters of some 45 MB for the default plan. Pickled whole, they
are copied into the pickle, through the pipe twice (into the kernel, out of
it) and into new arrays on the other side, a tenth of a second before the
pages can start. Pickle protocol 5 (PEP 574) gives a NumPy array's data as
a separate buffer instead: :class:`SharedPickles` copies each large one
once, into an anonymous shared mapping made before the fork, and the child
builds its arrays on that memory itself.
"""

from __future__ import annotations

import io
import mmap
import pickle
from functools import partial
from multiprocessing.reduction import ForkingPickler
from typing import Any

__all__ = ["SharedPickles"]

DEFAULT_BYTES = 1 << 29
"""Address space reserved for the shared buffers (512 MiB; the kernel gives pages as they are written)."""

_MIN_SHARED_BYTES = 1 << 16
"""Smaller buffers stay in the pickle: a copy through the pipe costs them nothing worth saving."""

_ALIGN = 64
"""Each buffer starts on a cache line, as NumPy's own allocations do."""


class SharedPickles:
    """Pickles whose large buffers go through a shared mapping; made before the fork, used on both sides.

    The parent's :meth:`dumps` copies each buffer of at least 64 KiB (an
    array's data) into the mapping, after those handed over before, and
    pickles where it lies; a buffer that no longer fits stays in the pickle.
    The child's :meth:`loads` makes the arrays on the mapping itself, the
    same values (writable; nothing the child writes reaches the parent's
    arrays, which the parent copied from). Each call of a build's job
    runner makes its own: the space is not reused.

    Parameters
    ----------
    size : int, default 512 MiB
        Bytes of address space reserved, in both processes (none where the
        system will not reserve it: the buffers then stay in the pickles).

    Examples
    --------
    >>> import numpy as np
    >>> shared = SharedPickles(1 << 20)
    >>> value = {"cells": np.arange(100_000, dtype=np.float32)}
    >>> data = shared.dumps(value)
    >>> len(data) < 1_000, np.array_equal(shared.loads(data)["cells"], value["cells"])
    (True, True)
    """

    def __init__(self, size: int = DEFAULT_BYTES) -> None:
        try:  # MAP_SHARED | MAP_ANONYMOUS: a forked child sees what is written
            self._region: mmap.mmap | None = mmap.mmap(-1, size)
        except OSError:  # no address space to spare (a strict overcommit policy): everything stays in the pickles
            self._region = None
        self._used = 0

    def dumps(self, value: Any) -> bytes:
        """`value` pickled (protocol 5, with the reducers of :mod:`multiprocessing`), its large buffers shared."""
        placed: list[tuple[int, int]] = []
        stream = io.BytesIO()
        # ForkingPickler takes Pickler's arguments by position only: file, protocol, fix_imports, buffer_callback.
        ForkingPickler(stream, 5, True, partial(self._place, placed)).dump(value)
        return pickle.dumps((stream.getvalue(), placed), protocol=5)

    def loads(self, data: bytes) -> Any:
        """The value :meth:`dumps` gave as `data`, its large buffers read where they lie in the mapping."""
        pickled, placed = pickle.loads(data)
        if not placed:
            return pickle.loads(pickled)
        region = memoryview(self._region)
        return pickle.loads(pickled, buffers=[region[start:start + size] for start, size in placed])

    def close(self) -> None:
        """Give the mapping up in this process (arrays still built on it keep it until they go)."""
        try:
            if self._region is not None:
                self._region.close()
        except BufferError:  # arrays made by loads() here: the mapping goes with them
            pass

    def _place(self, placed: list[tuple[int, int]], buffer: pickle.PickleBuffer) -> bool:
        """Copy `buffer` into the mapping and note where; True keeps it in the pickle instead."""
        try:
            view = buffer.raw()
        except BufferError:  # not contiguous: pickled as it is
            return True
        start = -(-self._used // _ALIGN) * _ALIGN
        if self._region is None or view.nbytes < _MIN_SHARED_BYTES or start + view.nbytes > len(self._region):
            return True
        self._region[start:start + view.nbytes] = view
        self._used = start + view.nbytes
        placed.append((start, view.nbytes))
        return False
