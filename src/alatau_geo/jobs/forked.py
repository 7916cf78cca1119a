"""Independent jobs on two cores: the calling process and one forked child.

The map pages of a build are rendered by folium in pure Python, so threads
would take turns on the interpreter lock; a second process renders as fast
as the first. A *forked* child starts with the parent's memory, so the
layers the pages are built from are shared rather than pickled over to it;
only each finished result (a page's HTML) comes back through a pipe. The
two processes take the jobs from a shared counter, in order, so the slower
pages do not all land on one side.

:func:`run_beside_handing_over` runs one job here and another in the child,
which starts before this side has what it needs and is handed it later (a
build forks the process that renders its map pages as it starts, and hands
it the layers once they are in place; the analyses start on the street
network before the objects are placed).

Where ``fork`` is not available, with one worker, or for a single job, the
jobs run one after the other in the calling process: same results, in the
same order.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any, TypeVar

from alatau_geo.core.cores import usable_cores
from alatau_geo.jobs.shared_pickles import SharedPickles

logger = logging.getLogger(__name__)

__all__ = ["available_workers", "forks", "run_beside_handing_over", "run_forked"]

_PR_SET_PDEATHSIG = 1  # prctl option, <linux/prctl.h>

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")


def available_workers() -> int:
    """How many processes the jobs get: the cores this process may run on, at most two."""
    return max(1, min(2, usable_cores()))


def run_forked(jobs: Mapping[str, Callable[[], T]], *, workers: int | None = None,
               on_done: Callable[[str], None] | None = None, here_first: Sequence[str] = ()) -> dict[str, T]:
    """The result of every job, by name, in the order of `jobs`; computed by this process and a forked child.

    Parameters
    ----------
    jobs : mapping of str to callable
        Independent jobs without arguments; their results must pickle
        (those the child computes come back through a pipe).
    workers : int, optional
        1 runs every job here; 2 (the default where two cores are free, see
        :func:`available_workers`) adds the child.
    on_done : callable, optional
        Called with each job's name once its result is here (progress display).
    here_first : sequence of str, optional
        Jobs this process runs first, before it takes any other: jobs that
        share what one of them works out (the suitability of ``map``'s
        pages) are so worked out once, while the child takes the others.

    Returns
    -------
    dict of str to result

    Raises
    ------
    Exception
        The error a job raised here (the child is stopped), else the first
        one the child sent back. A child that dies without a word (killed)
        is not an error: its jobs are computed here.
    """
    names = list(jobs)
    done = on_done or (lambda _name: None)
    first = [name for name in here_first if name in jobs]
    shared = [name for name in names if name not in first]
    if len(names) < 2 or not shared or not forks(workers):
        ordered = {name: _done(jobs[name](), name, done) for name in [*first, *shared]}
        return {name: ordered[name] for name in names}
    counter = multiprocessing.get_context("fork").Value("i", 0)

    def mine() -> dict[str, T]:
        own = {name: _done(jobs[name](), name, done) for name in first}
        return {**own, **{shared[index]: _done(jobs[shared[index]](), shared[index], done)
                          for index in _taken(counter, len(shared))}}

    results, sent = _with_child(jobs, shared, counter, here=mine)
    for kind, name, value in sent:
        if kind == "error":
            raise value
        results[name] = _done(value, name, done)
    for name in names:  # a child that died left its jobs undone
        if name not in results:
            logger.debug("the forked worker left %s undone: computing it here", name)
            results[name] = _done(jobs[name](), name, done)
    return {name: results[name] for name in names}


def run_beside_handing_over(here: Callable[[Callable[[V], None]], T], beside: Callable[[Callable[[], V]], U], *,
                            workers: int | None = None) -> tuple[T, U]:
    """`here` in this process while a forked child runs `beside`, which is handed values from `here` as they are ready.

    `here` is called with ``give``, which it calls with each value it hands
    over (values that pickle); `beside` is called with ``take``, which waits
    for the next value and returns it, in the order they were given. The
    child can so begin with the part of its job that needs nothing from
    `here` (a build generates the street network while the objects are
    placed), and go on in steps as `here` gives more (the map pages that
    need no analysis layer are drawn while the analyses are worked out).
    The values' large arrays are not sent through the pipe: they go through
    memory both processes share (:class:`~alatau_geo.jobs.shared_pickles.SharedPickles`).

    Parameters
    ----------
    here : callable
        Run in this process with ``give``.
    beside : callable
        Run in the child with ``take``; its result must pickle. With one
        worker or no ``fork``, it runs here after `here`.
    workers : int, optional
        As in :func:`run_forked`.

    Raises
    ------
    Exception
        The error `here` raised (the child is stopped), else the one
        `beside` raised; ``take`` raises RuntimeError when `here` ended
        without giving the value it waits for, and ``give`` the pickling
        error of a value that does not pickle.
    """
    given: list[V] = []
    if not forks(workers):
        result = here(given.append)
        return result, beside(partial(_next_given, iter(given)))
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    shared = SharedPickles()  # before the fork: the arrays' data is handed over in memory both sides map
    # One thread sends the values in order: a value larger than the pipe holds would otherwise wait here
    # for the child to read it.
    sending: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    sender_thread = threading.Thread(target=_hand_over, args=(sender, sending), daemon=True)

    def give(value: V) -> None:
        # Pickled here, so a value that does not pickle fails in this process, with its own error.
        sending.put(shared.dumps(value))
        given.append(value)

    def take() -> V:
        sender.close()  # the child's copy: the pipe ends when this side's does
        try:
            return shared.loads(receiver.recv_bytes())
        except EOFError:
            raise RuntimeError("the forked job was handed nothing more") from None

    def mine() -> T:
        receiver.close()  # the child reads; and once it is gone, a send fails instead of waiting
        sender_thread.start()
        try:
            return here(give)
        finally:
            sending.put(None)  # no more: the thread closes the pipe once the values are sent

    try:
        result, sent = _with_child({"beside": partial(beside, take)}, ["beside"], context.Value("i", 0), here=mine)
    finally:
        shared.close()  # the child has ended
    sender_thread.join()
    for kind, _name, value in sent:
        if kind == "error":
            raise value
        return result, value
    logger.debug("the forked worker ended without a result: running it here")
    return result, beside(partial(_next_given, iter(given)))


def _hand_over(sender: Connection, sending: queue.SimpleQueue[bytes | None]) -> None:
    """Send the pickled values `sending` gives to the child until None, then close the pipe.

    Once the child is gone the values left are dropped (it ended, or was stopped, without reading).
    """
    try:
        while (data := sending.get()) is not None:
            try:
                sender.send_bytes(data)
            except OSError:  # BrokenPipeError: the child ended without reading
                while sending.get() is not None:
                    pass
                return
    finally:
        sender.close()


def _next_given(given: Iterator[V]) -> V:
    try:
        return next(given)
    except StopIteration:
        raise RuntimeError("the job was handed nothing more") from None


def _with_child(jobs: Mapping[str, Callable[[], Any]], names: list[str], counter: Synchronized, *,
                here: Callable[[], T]) -> tuple[T, list[tuple[str, str, Any]]]:
    """`here` in this process while a forked child takes jobs from `counter`; its result and what the child sent.

    If `here` fails, the child is stopped (its results are not wanted) and the error raised.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Not a daemon: the child may fork its own (a build's pages beside its export); it is always joined.
    child = context.Process(target=_child, args=(jobs, names, counter, sender, os.getpid()))
    child.start()
    sender.close()
    # A thread drains the pipe as the child sends, so the child never waits
    # on a full pipe for this side to finish its own jobs.
    sent: list[tuple[str, str, Any]] = []
    drain = threading.Thread(target=_drain, args=(receiver, sent), daemon=True)
    drain.start()
    try:
        return here(), sent
    except BaseException:
        child.terminate()
        raise
    finally:
        drain.join()  # `sent` is complete once the child has closed its end
        receiver.close()
        child.join()


def forks(workers: int | None = None) -> bool:
    """Whether to fork a child for `workers` (None: :func:`available_workers`)."""
    count = available_workers() if workers is None else workers
    return count >= 2 and "fork" in multiprocessing.get_all_start_methods()


def _done(result: T, name: str, done: Callable[[str], None]) -> T:
    done(name)
    return result


def _taken(counter: Synchronized, count: int) -> Iterator[int]:
    """The indices of the jobs this process takes, each taken once by one of the two processes."""
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= count:
            return
        yield index


def _child(jobs: Mapping[str, Callable[[], Any]], names: list[str], counter: Synchronized,
           sender: Connection, parent: int) -> None:
    """The child's side: take jobs until none is left, sending each result (or the first error) to the parent."""
    _die_with(parent)
    try:
        for index in _taken(counter, len(names)):
            if not _send(sender, names[index], jobs[names[index]]):
                return
    except KeyboardInterrupt:  # Ctrl-C reaches both processes: the parent says so, once
        return
    finally:
        sender.close()


def _die_with(parent: int) -> None:
    """Have the kernel stop this child when `parent` ends (Linux ``PR_SET_PDEATHSIG``).

    A forked child shares the parent's open files, the build's folder locks
    among them: a child outliving a killed build would hold them, and the
    next build would wait for a worker nobody needs.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the child ends with its last job
        return
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)


def _send(sender: Connection, name: str, job: Callable[[], Any]) -> bool:
    """Run `job` and send its result, else its error, to the parent; whether to go on."""
    try:
        sender.send(("result", name, job()))
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False  # the parent stopped listening (it failed, or was stopped)
    except Exception as error:  # noqa: BLE001 - every error goes to the parent, which raises it
        try:
            sender.send(("error", name, _picklable(error)))
        except OSError:
            pass
        return False


def _drain(receiver: Connection, sent: list[tuple[str, str, Any]]) -> None:
    """Keep what the child sends until it closes the pipe (or dies)."""
    while True:
        try:
            sent.append(receiver.recv())
        except (EOFError, OSError):
            return


def _picklable(error: Exception) -> Exception:
    """`error` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any failure to pickle
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
