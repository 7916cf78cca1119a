"""The documentation stays in sync with the code."""

from __future__ import annotations

import re
from pathlib import Path

from alatau_geo.cli import app as cli

REPOSITORY = Path(__file__).resolve().parents[1]


def test_cli_reference_is_generated_from_the_current_parser():
    assert (REPOSITORY / "docs" / "cli.md").read_text(encoding="utf-8") == cli.reference_markdown(), (
        "docs/cli.md is stale: run python -m alatau_geo.cli --markdown > docs/cli.md"
    )


def quick_start() -> list[str]:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\s+```bash\n(.*?)```", readme, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_quick_start_has_two_commands_that_exist():
    install_and_run, test = quick_start()
    assert install_and_run == "pip install -e . && alatau-geo build"
    assert test == "bash scripts/test.sh"
    assert (REPOSITORY / "scripts" / "test.sh").is_file()
    assert "bash scripts/test.sh" in (REPOSITORY / ".ci" / "run").read_text(encoding="utf-8")


def test_every_command_the_readme_names_is_a_real_command():
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # noqa: SLF001
    named = set(re.findall(r"alatau-geo (?:--plan \S+ )?([a-z]+)", readme))
    assert named, "the README names no command"
    assert named <= set(commands), f"README names unknown commands: {sorted(named - set(commands))}"
    # And every command is documented in the README.
    assert set(commands) <= named, f"commands missing from the README: {sorted(set(commands) - named)}"


def test_layer_list_names_every_committed_layer():
    import json

    manifest = json.loads((REPOSITORY / "layers" / "manifest.json").read_text(encoding="utf-8"))
    listed = (REPOSITORY / "docs" / "layers.md").read_text(encoding="utf-8")
    missing = [layer["name"] for layer in manifest["layers"] if f"`{layer['name']}`" not in listed]
    assert not missing, f"docs/layers.md does not list {missing}"
