"""The package's layout: modules by stage of the data flow, none too long to read."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "alatau_geo"
MAX_LINES = 500
STAGES = ("core", "reference", "plan", "analysis", "maps", "jobs", "api", "cli")


def test_no_module_is_over_500_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if "vendor" not in p.parts
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_every_module_lives_in_a_stage_folder() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py"], f"modules outside the stage folders: {top}"
    assert all((PACKAGE / stage / "__init__.py").is_file() for stage in STAGES)
