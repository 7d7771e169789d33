"""Build step: the wheel carries the shipped scenarios and experiments inside the package.

A checkout keeps them at the top level; ``build_py`` copies them into ``sim/shipped/KIND/``
of the built package (not in an editable install, which reads the top-level folders).
Which files and where come from :mod:`sim.locations`, loaded by path so that the build
imports nothing else of the package.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_locations", ROOT / "sim" / "locations.py")
assert _spec is not None and _spec.loader is not None
locations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(locations)


class BuildWithShippedFiles(build_py):
    """``build_py`` that also copies the shipped files into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for kind, patterns in locations.SHIPPED_FILES.items():
            target = Path(self.build_lib, "sim", locations.INSTALLED, kind)
            shutil.rmtree(target, ignore_errors=True)  # no file left from an earlier build
            target.mkdir(parents=True)
            for pattern in patterns:
                for path in sorted((ROOT / kind).glob(pattern)):
                    shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildWithShippedFiles})
