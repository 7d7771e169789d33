"""Fetch the demo's front-end assets (Solara's CDN packages) from the npm registry.

``alliance-sim demo`` fetches what is missing on its first start; this script does it
ahead of time (``make setup`` runs it), or checks and lists the packages. The folder and
the packages come from :mod:`sim.app.assets`.

Usage::

    python scripts/fetch_solara_assets.py          # fetch what is missing
    python scripts/fetch_solara_assets.py --check  # exit 1 if anything is missing
    python scripts/fetch_solara_assets.py --list   # print the packages and the folder
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.app.assets import (  # noqa: E402
    FETCH_ERRORS,
    FetchError,
    assets_dir,
    fetch_missing,
    missing_packages,
    required_packages,
)


def main(argv: list[str] | None = None) -> int:
    """Fetch the missing packages; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if missing")
    parser.add_argument("--list", action="store_true", help="print packages and the folder")
    args = parser.parse_args(argv)

    root = assets_dir()
    packages = required_packages()
    missing = missing_packages(root)
    if args.list:
        print(f"cache folder: {root}")
        for name, version in packages:
            state = "missing" if (name, version) in missing else "present"
            print(f"{name}@{version}: {state}")
        return 0
    if args.check:
        for name, version in missing:
            print(f"missing: {name}@{version} (run: python scripts/fetch_solara_assets.py)")
        return 1 if missing else 0
    try:
        fetch_missing(root, lambda _d, _t, label, files: print(f"{label} ({files} files)"))
    except (FetchError, *FETCH_ERRORS) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"solara assets: all {len(packages)} packages present in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
