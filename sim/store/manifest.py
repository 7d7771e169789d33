"""A results store's manifest: what made the store, read and written in one place.

``manifest.json`` records the experiment (its file, whole sha256 and content), the
resolved scenario, the root seed, the design, the versions of the packages, the git
commit (and whether the checkout had uncommitted changes), and every invocation that
wrote the store: its start, end, command, host, process, runs and alliance-sim version
(``alliance_sim_version`` at the top is the last writer's). ``started`` is the first
invocation's start and ``finished`` the last end. :func:`read_manifest` refuses another
store format and fields of the wrong type; :class:`StoreError` is the store's bad-input
error.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError
from sim.store.faults import fault

if TYPE_CHECKING:
    from sim.experiment.designs import Design
    from sim.experiment.files import Experiment

STORE_SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
PACKAGES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "mesa",
    "numba",
    "networkx",
    "SALib",
    "dask",
    "distributed",
    "tqdm",
)


CALIBRATION = "calibration"
"""The ``kind`` of a calibration store's manifest (a sweep's store has no ``kind``)."""


def store_kind(manifest: dict[str, Any]) -> str:
    """``sweep`` or ``calibration``: what made a store."""
    return str(manifest.get("kind") or "sweep")


class StoreError(InputError):
    """A folder that cannot be used as a results store as asked. One line: ``DIR: problem``."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        super().__init__(self.path, None, problem)


def now_iso() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_versions() -> dict[str, str | None]:
    """Installed versions of alliance-sim and the packages its results depend on."""
    versions: dict[str, str | None] = {}
    for name in ("alliance-sim", *PACKAGES):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def own_version() -> str | None:
    """The installed version of alliance-sim (None when it is not installed)."""
    try:
        return metadata.version("alliance-sim")
    except metadata.PackageNotFoundError:
        return None


def _git(root: Path, *args: str) -> str | None:
    """The output of ``git ARGS`` in ``root``, or None when git is missing or refuses.

    git's variables of a calling process (``GIT_DIR`` in a hook) are dropped, and the
    checkout is marked safe for this call: git refuses by default a checkout owned by
    another user ("dubious ownership"), which is where the code being run comes from.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    command = ["git", "-c", f"safe.directory={root}", "--no-optional-locks", "-C", str(root)]
    try:
        result = subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=10, check=False, env=env
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def git_state(root: Path | None = None) -> dict[str, Any]:
    """``commit`` and ``dirty`` (tracked files changed) of the checkout the code runs from.

    Both are None when the code does not run from a git checkout (an installed package).
    """
    root = root if root is not None else Path(__file__).resolve().parent.parent.parent
    if not (root / ".git").exists():
        return {"commit": None, "dirty": None}
    commit = (_git(root, "rev-parse", "HEAD") or "").strip() or None
    changes = _git(root, "status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": None if changes is None else bool(changes.strip())}


def new_invocation(action: str, command: str | None = None) -> dict[str, Any]:
    """The record of one command that writes a store, started now (``finished`` unset)."""
    return {
        "id": secrets.token_hex(6),
        "action": action,
        "command": command if command is not None else " ".join(sys.argv),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": now_iso(),
        "finished": None,
        "runs": 0,
        "alliance_sim_version": own_version(),
    }


def invocations(manifest: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A manifest's invocations; a manifest written before they were recorded gives one.

    Each records the ``alliance_sim_version`` that ran it; one recorded before
    invocations kept their version gets the manifest's (that of the last writer then).
    """
    if not manifest:
        return []
    if isinstance(manifest.get("invocations"), list):
        entries = [dict(entry) for entry in manifest["invocations"]]
        for entry in entries:  # recorded before invocations kept their version
            entry.setdefault("alliance_sim_version", manifest.get("alliance_sim_version"))
        return entries
    last = manifest.get("last_session") or {}
    return [
        {
            "action": "merge" if manifest.get("merged_from") else "sweep",
            "command": manifest.get("command"),
            "started": manifest.get("started"),
            "finished": manifest.get("finished"),
            "runs": last.get("ran"),
            "alliance_sim_version": manifest.get("alliance_sim_version"),
        }
    ]


def _identity(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What tells invocations apart (an id; older records have none)."""
    return tuple(entry.get(key) for key in ("id", "host", "pid", "started", "command"))


def with_invocation(
    manifest: dict[str, Any], others: list[dict[str, Any]], invocation: dict[str, Any]
) -> dict[str, Any]:
    """``manifest`` with ``invocation`` added to (or updated in) ``others`` (each once).

    ``started`` becomes the first invocation's start and ``finished`` the last end
    (None while no invocation has ended).
    """
    unique = {_identity(entry): entry for entry in [*others, dict(invocation)]}
    entries = sorted(unique.values(), key=lambda entry: str(entry.get("started")))
    ends = [str(entry["finished"]) for entry in entries if entry.get("finished")]
    starts = [str(entry["started"]) for entry in entries if entry.get("started")]
    return {
        **manifest,
        "invocations": entries,
        "started": min(starts) if starts else None,
        "finished": max(ends) if ends else None,
    }


def first_difference(old: Any, new: Any, prefix: str = "") -> str | None:
    """Dotted path of the first place two JSON-like values differ, or None."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                return path
            found = first_difference(old[key], new[key], path)
            if found:
                return found
        return None
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        if len(old) != len(new):
            return prefix
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found = first_difference(a, b, f"{prefix}[{index}]")
            if found:
                return found
        return None
    return None if old == new else prefix or "(value)"


def jsonable(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, other objects strings)."""
    return json.loads(json.dumps(value, default=str))


def read_manifest(path: str | os.PathLike[str], *, any_version: bool = False) -> dict[str, Any]:
    """A store's manifest, checked; raises :class:`StoreError` when there is none, it is
    unreadable, of another store format (:func:`check_version`) or a field has the wrong
    type (:func:`check_manifest`). ``any_version``: only check that it is a JSON object
    (a store that ``--force`` replaces)."""
    folder = Path(path)
    manifest = folder / MANIFEST
    if not folder.is_dir():
        raise StoreError(folder, "no such folder")
    if not manifest.exists():
        raise StoreError(folder, "not a results store (no manifest.json)")
    if not manifest.is_file():
        raise StoreError(manifest, "not a regular file")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StoreError(manifest, f"unreadable ({err})") from None
    if not isinstance(data, dict):
        raise StoreError(manifest, f"not a JSON object (a {type(data).__name__})")
    if any_version:
        return data
    check_version(manifest, data)
    check_manifest(manifest, data)
    return data


def check_version(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a manifest of another store format than :data:`STORE_SCHEMA_VERSION`
    (missing, not an integer, or another number): :class:`StoreError` naming ``path``."""
    key = "store_schema_version"
    version = manifest.get(key)
    made = manifest.get("alliance_sim_version")
    by = f" (made by alliance-sim {made})" if isinstance(made, str) and made else ""
    if key not in manifest:
        problem = f"missing{by}"
    elif not _is_int(version):
        problem = f"expected the integer {STORE_SCHEMA_VERSION}, got {_shown(version)}{by}"
    elif version != STORE_SCHEMA_VERSION:
        problem = f"{version}{by}"
    else:
        return
    command = "calibrate" if store_kind(manifest) == "calibration" else "sweep"
    raise StoreError(
        path,
        f"{key}: {problem}; this alliance-sim reads version {STORE_SCHEMA_VERSION} only "
        f"(use the version that made the store; {command} --force would replace it and lose "
        "its runs)",
    )


_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "text": ((str,), "a string"),
    "integer": ((int,), "an integer"),
    "number": ((int, float), "a number"),
    "flag": ((bool,), "true or false"),
    "object": ((dict,), "a JSON object"),
    "list": ((list,), "a list"),
}
MANIFEST_FIELDS: dict[str, str] = {
    "alliance_sim_version": "text?",
    "name": "text",
    "kind": "text?",
    "experiment": "object",
    "experiment.source": "text?",
    "experiment.sha256": "text?",
    "experiment.content": "text?",
    "experiment_history": "list",
    "model": "text?",
    "base_dir": "text?",
    "scenario": "object?",
    "scenario.name": "text?",
    "root_seed": "integer?",
    "fingerprint": "object",
    "fingerprint.horizon": "integer?",
    "fingerprint.timeseries_every": "integer?",
    "design": "object",
    "design.method": "text?",
    "design.samples": "integer?",
    "design.replications": "integer?",
    "design.second_order": "flag?",
    "design.planned_runs": "integer?",
    "design.points": "integer?",
    "timeseries_every": "integer?",
    "precision": "object?",
    "precision.outcome": "text",
    "precision.half_width": "number",
    "precision.confidence": "number?",
    "precision.min": "integer?",
    "precision.step": "integer?",
    "calibration": "object",
    "packages": "object",
    "git_commit": "text?",
    "git_dirty": "flag?",
    "python": "text?",
    "platform": "text?",
    "command": "text?",
    "invocations": "list",
    "started": "text?",
    "finished": "text?",
    "last_session": "object?",
    "merged_from": "list",
    "schemas": "object?",
}
"""The type of each field a manifest may hold (``?``: or null). A field is optional, but
a field of an object present (``precision.outcome``) is required unless it has ``?``."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fits(value: Any, kind: str) -> bool:
    if kind.endswith("?") and value is None:
        return True
    types, _ = _TYPES[kind.rstrip("?")]
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Check the type of every field of :data:`MANIFEST_FIELDS` that ``manifest`` holds
    (and the invocations are objects): :class:`StoreError` naming ``path`` and the key."""
    for key, kind in MANIFEST_FIELDS.items():
        owner, _, name = key.rpartition(".")
        table = manifest.get(owner) if owner else manifest
        if not isinstance(table, dict):
            continue
        if name not in table:
            if owner and not kind.endswith("?") and table:
                raise StoreError(path, f"{key}: missing")
            continue
        value = table[name]
        if not _fits(value, kind):
            what = _TYPES[kind.rstrip("?")][1] + (" or null" if kind.endswith("?") else "")
            raise StoreError(path, f"{key}: expected {what}, got {_shown(value)}")
    for index, entry in enumerate(manifest.get("invocations") or []):
        if not isinstance(entry, dict):
            raise StoreError(
                path, f"invocations[{index}]: expected a JSON object, got {_shown(entry)}"
            )


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically (a temporary file renamed into place)."""
    temp = path / f".{MANIFEST}.{secrets.token_hex(4)}.tmp"
    try:
        temp.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        fault("manifest-temp", path / MANIFEST)
        os.replace(temp, path / MANIFEST)
    except OSError as err:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        raise OSError(err.errno, err.strerror or str(err), os.fspath(path / MANIFEST)) from None


def new_manifest(
    experiment: Experiment, design: Design, history: list[str], command: str | None
) -> dict[str, Any]:
    """The manifest of a store that ``experiment`` starts or extends (no invocations yet).

    An adaptive experiment's ``[precision]`` table is recorded as ``precision``.
    """
    precision = (
        {} if experiment.precision is None else {"precision": experiment.precision.to_dict()}
    )
    return base_manifest(
        experiment,
        history,
        command,
        {
            "design": {
                "method": experiment.method,
                "samples": experiment.samples,
                "replications": experiment.replications,
                "common_random_numbers": experiment.common_random_numbers,
                "second_order": experiment.second_order,
                "num_levels": experiment.num_levels,
                "problem": design.problem,
                "planned_runs": len(design.runs),
                "points": int(design.runs["point_id"].nunique()),
            },
            "timeseries_every": experiment.timeseries_every,
            **precision,
        },
    )


def base_manifest(
    experiment: Experiment,
    history: list[str],
    command: str | None,
    middle: dict[str, Any],
    fingerprint: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A manifest's provenance (experiment, scenario, seed, versions, git, platform,
    command) around ``middle``, what the kind of store adds (a sweep's design)."""
    git = git_state()
    manifest = {
        "store_schema_version": STORE_SCHEMA_VERSION,
        "alliance_sim_version": package_versions().get("alliance-sim"),
        "name": experiment.name,
        "experiment": {
            "source": experiment.source,
            "sha256": experiment.sha256,
            "content": experiment.text,
        },
        "experiment_history": history,
        "model": experiment.model or "alliance",
        "base_dir": str(experiment.base_dir),
        "scenario": experiment.spec.to_dict() if experiment.spec is not None else None,
        "root_seed": experiment.seed,
        "fingerprint": jsonable(fingerprint or experiment.fingerprint()),
        **middle,
        "packages": package_versions(),
        "git_commit": git["commit"],
        "git_dirty": git["dirty"],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": command if command is not None else " ".join(sys.argv),
    }
    return manifest
