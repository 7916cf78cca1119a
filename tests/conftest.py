"""Shared test fixtures: the network is blocked, the real tiles are optional."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

SHARED_SRTM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "srtm"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection that leaves the machine; loopback stays allowed."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")) or \
                self.family == getattr(socket, "AF_UNIX", None):
            return original(self, address)
        raise OSError(f"network blocked in tests: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def no_default_tiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As on a user's fresh clone: no ../shared beside the project."""
    from alatau_geo.cli import common

    monkeypatch.delenv(common.DEM_DIR_VARIABLE, raising=False)
    monkeypatch.setattr(common, "default_dem_dirs", lambda: [tmp_path / "no-shared" / "srtm"])


@pytest.fixture(scope="session")
def srtm_dir() -> Path:
    """The real SRTM tiles beside the project; the test is skipped without them."""
    if not all((SHARED_SRTM / f"{n}.hgt.zip").is_file() for n in ("N42E076", "N42E077", "N43E076", "N43E077")):
        pytest.skip(f"real SRTM tiles not found in {SHARED_SRTM}")
    return SHARED_SRTM


@pytest.fixture(scope="module")
def layers() -> dict:
    """Corridors, districts and places of the committed layers, as frames (network tests)."""
    from alatau_geo.core.io import read_layers

    found = read_layers(Path(__file__).resolve().parents[1] / "layers")
    return {name: found[name].frame for name in ("corridors", "districts", "places")}


@pytest.fixture(scope="module")
def plan_network(layers: dict):
    """The network generated from the committed corridors and districts, indexed once per module."""
    from alatau_geo.analysis.network import build_network
    from alatau_geo.analysis.network_index import network_index

    return network_index(build_network(layers["corridors"], layers["districts"]))
