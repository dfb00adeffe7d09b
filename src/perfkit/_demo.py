"""The bundled demo: a sample company's data and a policy, shipped in the package."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from perfkit.errors import InvalidValueError

__all__ = ["DEMO_PERIOD", "DEMO_POLICY", "copy_demo", "demo_files"]

DEMO_PERIOD = "2026-Q2"
DEMO_POLICY = "field-sales.yaml"


@contextmanager
def demo_files() -> Iterator[tuple[Path, Path]]:
    """Yield the paths of the demo policy and its data directory."""
    with resources.as_file(resources.files("perfkit.demo")) as folder:
        yield folder / DEMO_POLICY, folder / "data"


def copy_demo(target: Path) -> Path:
    """Copy the demo policy, its data and README into ``target`` (which must not exist)."""
    if target.exists() and any(target.iterdir()):
        raise InvalidValueError(f"{target} exists and is not empty: choose a new directory")
    with demo_files() as (policy, data):
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(policy, target / policy.name)
        readme = policy.parent / "README.md"
        if readme.is_file():
            shutil.copy2(readme, target / "README.md")
        shutil.copytree(data, target / "data")
    return target
