"""The project's own packages, for the tests that read its code as text or as an import graph.

pyproject.toml lists them once, bottom layer first, as import-linter's root packages.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PACKAGES: tuple[str, ...] = tuple(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
)
