"""Jobs on two processes (alatau_geo.jobs.forked): same results as one after the other, errors and dead children."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from alatau_geo.core.errors import ExportError
from alatau_geo.jobs.forked import run_beside_handing_over, run_forked


def _slow_pid(seconds: float = 0.2) -> int:
    time.sleep(seconds)  # long enough for the child to take some of the jobs
    return os.getpid()


def test_two_processes_share_the_jobs_and_give_them_back_in_order() -> None:
    jobs = {f"page{i}": (lambda i=i: (i * i, _slow_pid())) for i in range(6)}
    done: list[str] = []
    results = run_forked(jobs, workers=2, on_done=done.append)
    assert list(results) == list(jobs)
    assert [value for value, _ in results.values()] == [i * i for i in range(6)]
    assert len({pid for _, pid in results.values()}) == 2  # this process and one child
    assert os.getpid() in {pid for _, pid in results.values()}
    assert sorted(done) == sorted(jobs)  # every page reported once
    serial = run_forked(jobs, workers=1)
    assert {pid for _, pid in serial.values()} == {os.getpid()}


def test_jobs_named_here_first_run_here_the_others_are_shared() -> None:
    # map's districts and suitability pages share the suitability: one process works it out, once.
    worked_out: list[int] = []

    def suitability_page(name: str) -> tuple[str, int]:
        if not worked_out:
            worked_out.append(os.getpid())
        return name, _slow_pid(0.3)

    jobs = {"overview": lambda: ("overview", _slow_pid()), "districts": lambda: suitability_page("districts"),
            "terrain": lambda: ("terrain", _slow_pid()), "suitability": lambda: suitability_page("suitability")}
    results = run_forked(jobs, workers=2, here_first=["districts", "suitability", "not a job"])
    assert list(results) == list(jobs) and [name for name, _ in results.values()] == list(jobs)
    assert results["districts"][1] == results["suitability"][1] == os.getpid() == worked_out[0]
    assert os.getpid() != results["overview"][1]  # the child took the first shared job meanwhile
    serial = run_forked(jobs, workers=1, here_first=["suitability"])
    assert list(serial) == list(jobs) and {pid for _, pid in serial.values()} == {os.getpid()}


def test_an_error_in_the_child_is_raised_here_with_its_message() -> None:
    parent = os.getpid()

    def fails_in_child() -> int:
        if os.getpid() != parent:
            raise ExportError("page 'x': cannot render it")
        time.sleep(0.2)  # the child takes one of the jobs meanwhile
        return 1

    with pytest.raises(ExportError, match="page 'x': cannot render it"):
        run_forked({f"p{i}": fails_in_child for i in range(4)}, workers=2)


def test_an_error_that_does_not_pickle_comes_back_as_its_text() -> None:
    parent = os.getpid()

    class LocalError(Exception):  # a local class cannot be pickled
        pass

    def fails_in_child() -> int:
        if os.getpid() != parent:
            raise LocalError("no pickling")
        time.sleep(0.3)
        return 1

    with pytest.raises(RuntimeError, match="LocalError: no pickling"):
        run_forked({"a": fails_in_child, "b": fails_in_child}, workers=2)


def test_jobs_of_a_child_that_dies_are_done_here() -> None:
    parent = os.getpid()

    def dies_in_child() -> int:
        if os.getpid() != parent:
            os._exit(3)  # killed: no result, no error sent
        time.sleep(0.2)
        return os.getpid()

    results = run_forked({f"j{i}": dies_in_child for i in range(4)}, workers=2)
    assert set(results.values()) == {parent}
    assert list(results) == [f"j{i}" for i in range(4)]


def test_the_error_of_either_side_is_raised() -> None:
    def fails(_give) -> int:
        raise ValueError("the export failed")

    with pytest.raises(ValueError, match="the export failed"):
        run_beside_handing_over(fails, lambda _take: _slow_pid(5.0), workers=2)  # the child is stopped, not waited for
    with pytest.raises(ExportError, match="map"):
        run_beside_handing_over(lambda give: give(1), lambda _take: (_ for _ in ()).throw(ExportError("map: bad")),
                                workers=2)


def test_a_value_that_does_not_pickle_fails_where_it_is_handed_over() -> None:
    def hands_a_lock(give) -> int:
        give(threading.Lock())
        return 0

    with pytest.raises(TypeError, match="pickle"):
        run_beside_handing_over(hands_a_lock, lambda take: take(), workers=2)


def test_a_child_does_not_outlive_a_killed_parent(tmp_path: Path) -> None:
    # The child shares the parent's open files (a build's folder locks): it must end with it.
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from alatau_geo.jobs.forked import run_beside_handing_over\n"
        "def beside():\n"
        "    Path(sys.argv[1]).write_text(str(os.getpid()))\n"
        "    time.sleep(60)\n"
        "run_beside_handing_over(lambda give: time.sleep(60), lambda take: beside(), workers=2)\n"
    )
    marker = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", script, str(marker)])
    try:
        deadline = time.monotonic() + 30
        while not marker.is_file() or not marker.read_text():
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        child = int(marker.read_text())
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be read


def test_the_child_starts_before_its_input_is_handed_over_and_gets_it_whole() -> None:
    parent = os.getpid()
    big = list(range(300_000))  # megabytes pickled: more than a pipe holds before the child reads

    def here(give) -> str:
        time.sleep(0.3)  # the placement, say
        started = time.perf_counter()
        give(big)
        assert time.perf_counter() - started < 0.2  # handed over without waiting for the child to read
        time.sleep(0.2)
        return "placed and suited"

    def beside(take) -> tuple[int, float, int]:
        started = time.perf_counter()
        time.sleep(0.5)  # the street network, say: under way before the value comes
        value = take()
        return os.getpid(), time.perf_counter() - started, sum(value)

    start = time.perf_counter()
    mine, (pid, _, total) = run_beside_handing_over(here, beside, workers=2)
    assert (mine, total) == ("placed and suited", sum(big))
    assert pid != parent and time.perf_counter() - start < 1.0  # side by side: 0.5 s each, not 1.0 after another
    assert run_beside_handing_over(here, beside, workers=1)[1][0] == parent  # one worker: one after the other


def test_a_side_that_hands_nothing_over_or_fails_is_an_error_not_a_hang() -> None:
    def waits(take) -> int:
        return take()

    with pytest.raises(RuntimeError, match="handed nothing"):
        run_beside_handing_over(lambda give: 1, waits, workers=2)
    with pytest.raises(ExportError, match="placement failed"):
        run_beside_handing_over(lambda give: (_ for _ in ()).throw(ExportError("placement failed")), waits, workers=2)

    def one_of_two(take) -> tuple[int, int]:
        return take(), take()

    for workers in (1, 2):  # a second value waited for, never given
        with pytest.raises(RuntimeError, match="handed nothing more"):
            run_beside_handing_over(lambda give: give(1), one_of_two, workers=workers)


def test_values_handed_over_in_steps_come_in_order_each_as_soon_as_given() -> None:
    big = list(range(300_000))  # more than the pipe holds: the second value waits in the sending thread

    def here(give) -> str:
        give(("early", big))
        time.sleep(0.4)  # the analyses, say: the child works on the first value meanwhile
        give(("late", [1, 2]))
        return "exported"

    def beside(take) -> tuple[str, float, str, int]:
        started = time.perf_counter()
        first, values = take()
        waited = time.perf_counter() - started
        second, more = take()
        return first, waited, second, sum(values) + sum(more)

    for workers in (2, 1):
        mine, (first, waited, second, total) = run_beside_handing_over(here, beside, workers=workers)
        assert (mine, first, second, total) == ("exported", "early", "late", sum(big) + 3)
        if workers == 2:
            assert waited < 0.3  # the first value did not wait for `here` to end


def test_the_handed_over_job_of_a_child_that_dies_is_done_here() -> None:
    parent = os.getpid()
    big = list(range(300_000))  # more than the pipe holds: the hand-over must not wait for a dead reader

    def dies_in_child(take) -> tuple[int, int]:
        if os.getpid() != parent:
            os._exit(3)  # killed before it reads: no result, no error sent
        return os.getpid(), sum(take())

    def here(give) -> str:
        time.sleep(0.2)  # the child is gone by now
        give(big)
        return "exported"

    assert run_beside_handing_over(here, dies_in_child, workers=2) == ("exported", (parent, sum(big)))


def test_arrays_handed_over_reach_the_child_through_shared_memory_with_the_same_values() -> None:
    """The suitability's rasters go to the pages' process without being copied through the pipe."""
    import numpy as np

    from alatau_geo.jobs.shared_pickles import SharedPickles

    rng = np.random.default_rng(7)
    rasters = {"score": rng.random((720, 809), dtype=np.float32), "classes": rng.integers(0, 5, (720, 809), np.uint8),
               "small": np.arange(10), "columns": np.asfortranarray(rng.random((300, 200)))}

    def beside(take) -> tuple[dict, bool]:
        handed = take()
        handed["score"][0, 0] = -1.0  # the child's arrays are its own to change
        return {name: value.copy(order="K") for name, value in handed.items()}, handed["score"].flags.writeable

    mine, (back, writeable) = run_beside_handing_over(lambda give: give(rasters), beside, workers=2)
    assert writeable and rasters["score"][0, 0] != -1.0
    back["score"][0, 0] = rasters["score"][0, 0]
    for name, values in rasters.items():
        np.testing.assert_array_equal(back[name], values)
        assert back[name].dtype == values.dtype and back[name].flags.f_contiguous == values.flags.f_contiguous

    shared = SharedPickles(size=2_500_000)
    data = shared.dumps(rasters)  # the score (2.3 MB) fits; the classes (0.6 MB) and columns (0.5 MB) stay in
    assert 1_060_000 < len(data) < 1_100_000
    np.testing.assert_array_equal(shared.loads(data)["classes"], rasters["classes"])
    shared.close()


def test_without_address_space_to_share_the_arrays_go_through_the_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A system that will not reserve the shared mapping (strict overcommit) still hands the values over."""
    import mmap

    import numpy as np

    def refuse(*_args, **_kwargs):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(mmap, "mmap", refuse)
    cells = np.arange(200_000, dtype=np.float64)
    _, back = run_beside_handing_over(lambda give: give(cells), lambda take: take().sum(), workers=2)
    assert back == cells.sum()
