"""Seed-pinned regression values: compute them, compare them, or write ``tests/pins.json``.

Usage (from the repository root)::

    python scripts/regenerate_pins.py           # list the cases whose results changed
    python scripts/regenerate_pins.py --write   # re-pin: write tests/pins.json

Each case is one run of :func:`sim.model.simulation.simulate` (every shipped
scenario with a couple of seeds, plus one case of parameters drawn once and written
out below). For each case the pins hold its outcome, lifetime, final members,
number of crises, mean trust and mean performance (floats as their ``repr``, exact),
and a sha256 of the whole summary and series (canonical JSON, floats as ``repr``).

Without ``--write`` the script prints one line per case that changed
(``old -> new``) and exits 1 if any did, 0 if none. A change of pinned values is a
change of results: re-pin only after a deliberate change of the model, and say why
in the commit message.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.model.simulation import simulate  # noqa: E402
from sim.scenario import shipped_scenarios  # noqa: E402

PINS = ROOT / "tests" / "pins.json"
SEEDS = (1, 2)
"""Seeds run for every shipped scenario."""

DRAWN_SEED = 3
DRAWN = {
    "sense_making": 0.3779,
    "questioning_patterns": 0.1596,
    "global_view": 0.0764,
    "analytical_view": 0.8156,
    "relationships": 0.3686,
    "resilience_building": 0.4575,
    "change_awareness": 0.0033,
    "paradox_navigation": 0.7302,
    "reflection": 0.5347,
    "concentration": 0.4777,
    "members": 24,
    "factions": 3,
    "value_distance": 0.7719,
    "mean_degree": 11.1941,
    "cross_faction_share": 0.3466,
    "shock_rate": 0.1304,
    "horizon": 63,
}
"""Model keywords drawn once (``numpy.random.default_rng(20261202)``) and written out,
so that the case never moves with the parameter table."""

FIELDS = ("outcome", "lifetime", "final_members", "crises", "mean_trust", "mean_performance")
"""The pinned figures of a case, besides its hash."""


def cases() -> list[dict[str, Any]]:
    """The pinned cases: ``id``, ``scenario``, ``seed`` and model keyword ``params``."""
    found = [
        {"id": f"{name}@{seed}", "scenario": name, "seed": seed, "params": {}}
        for name in sorted(shipped_scenarios())
        for seed in SEEDS
    ]
    found.append(
        {"id": f"drawn@{DRAWN_SEED}", "scenario": "baseline", "seed": DRAWN_SEED, "params": DRAWN}
    )
    return found


def exact(value: float | None) -> str | None:
    """A float as its ``repr`` (exact, bit for bit), None as None."""
    return None if value is None else repr(float(value))


def canonical(value: Any) -> Any:
    """``value`` with every float replaced by its ``repr`` and arrays by lists (for hashing)."""
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return canonical(value.tolist())
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot pin a {type(value).__name__}: {value!r}")


def digest(result: dict[str, Any]) -> str:
    """sha256 of a run's whole summary and series, as canonical JSON."""
    text = json.dumps(canonical(result), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run(case: dict[str, Any]) -> dict[str, Any]:
    """The case's run: its summary with its series, every month."""
    return simulate(case["scenario"], rng=case["seed"], record_every=1, **case["params"])


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The pinned figures and the hash of one run's result."""
    metrics = result["metrics"]
    return {
        "outcome": result["outcome"],
        "lifetime": result["lifetime"],
        "final_members": result["final_members"],
        "crises": metrics["crises"],
        "mean_trust": exact(metrics["mean_trust"]),
        "mean_performance": exact(metrics["mean_performance"]),
        "sha256": digest(result),
    }


def record(case: dict[str, Any]) -> dict[str, Any]:
    """A case as pinned: what it runs, then its figures and hash."""
    what = {"scenario": case["scenario"], "seed": case["seed"], "params": dict(case["params"])}
    return what | figures(run(case))


def compute() -> dict[str, dict[str, Any]]:
    """Every case's record by id."""
    return {case["id"]: record(case) for case in cases()}


def _shown(key: str, value: Any) -> str:
    if key == "sha256" and isinstance(value, str):
        return value[:12]
    return str(value)


def changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    """One line per case that changed, was added or was removed (``old -> new``)."""
    lines = []
    for case_id in sorted(set(old) | set(new)):
        if case_id not in old:
            lines.append(f"{case_id}: new case, not pinned yet")
        elif case_id not in new:
            lines.append(f"{case_id}: pinned but no longer a case")
        elif old[case_id] != new[case_id]:
            before, after = old[case_id], new[case_id]
            parts = [
                f"{key} {_shown(key, before.get(key))} -> {_shown(key, after.get(key))}"
                for key in sorted(set(before) | set(after))
                if before.get(key) != after.get(key)
            ]
            lines.append(f"{case_id}: " + "; ".join(parts))
    return lines


def dumps(pins: dict[str, dict[str, Any]]) -> str:
    """The pins file's text: sorted, indented."""
    return json.dumps(pins, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the pins file")
    parser.add_argument("--pins", type=Path, default=PINS, help="the pins file (tests/pins.json)")
    args = parser.parse_args(argv)
    new = compute()
    if args.write:
        args.pins.write_text(dumps(new), encoding="utf-8")
        print(f"wrote {len(new)} pinned cases to {args.pins}")
        return 0
    old = json.loads(args.pins.read_text(encoding="utf-8")) if args.pins.is_file() else {}
    lines = changes(old, new)
    for line in lines:
        print(line)
    if not lines:
        print(f"all {len(new)} pinned cases unchanged")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
