"""Finding the model an experiment names, and how a sweep calls it.

A model is named ``package.module:name`` or ``path/file.py:name``; the experiment
file's folder and the current folder are importable. :func:`call_plan` says how each
run builds it:

- ``scenario``: a Mesa model whose constructor takes ``scenario`` (Mesa 3.5's
  convention) gets an instance of its ``Scenario`` class carrying the run's parameters
  and its seed as ``rng``; parameters that are constructor keywords instead go there;
- ``keywords``: a Mesa model class called with the parameters and ``rng=seed``;
- ``function``: a plain function called with the parameters and ``rng=`` a numpy
  ``Generator`` seeded with the run's seed.

This module imports neither Mesa nor pandas: a sweep's workers load it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MESA_SCENARIO = "mesa.experimental.scenarios:Scenario"
"""Mesa's base ``Scenario`` class, as ``module:name``."""
SEEDING_HELP = "see 'Bring your own model' in docs/sweeps.md"
"""Where the docs show how a model takes its seed."""

_MODEL_CACHE: dict[tuple[str, str | None], Any] = {}


class ModelError(ValueError):
    """A model that a sweep cannot call: one line with a hint, and the key at fault.

    Attributes:
        problem: what is wrong and what to change.
        key: the experiment key at fault: ``model``, ``scenario`` or a parameter's name.
    """

    def __init__(self, problem: str, key: str = "model") -> None:
        super().__init__(problem)
        self.problem = problem
        self.key = key


def importable(base_dir: str | os.PathLike[str] | None) -> None:
    """Put ``base_dir`` and the current folder on ``sys.path`` (after what is there)."""
    for folder in (base_dir, os.getcwd()):
        if folder is not None and os.fspath(folder) not in sys.path:
            sys.path.append(os.fspath(folder))


def _load_file(path: Path) -> types.ModuleType:
    """The module of a ``.py`` file, loaded once under a name unique to its path."""
    unique = "alliance_sim_model_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    module = sys.modules.get(unique)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[unique]
        raise
    return module


def _module(module_name: str, base_dir: str | os.PathLike[str] | None) -> types.ModuleType:
    if not module_name.endswith(".py"):
        importable(base_dir)
        return importlib.import_module(module_name)
    path = Path(module_name)
    if not path.is_absolute() and base_dir is not None and not path.exists():
        path = Path(base_dir) / path
    path = path.resolve()
    if not path.is_file():
        raise ImportError(f"no file {path}")
    return _load_file(path)


def resolve_model(ref: str, base_dir: str | os.PathLike[str] | None = None) -> Any:
    """The object that ``"package.module:name"`` or ``"path/file.py:name"`` names.

    Args:
        ref: the reference; a module part ending in ``.py`` is a file path.
        base_dir: the experiment's folder: a relative file path is found there, and a
            module name there or in the current folder.
    """
    key = (ref, os.fspath(base_dir) if base_dir is not None else None)
    if key in _MODEL_CACHE:
        return _MODEL_CACHE[key]
    module_name, _, attribute = ref.partition(":")
    target: Any = _module(module_name, base_dir)
    for part in attribute.split("."):
        target = getattr(target, part)
    _MODEL_CACHE[key] = target
    return target


@dataclass(frozen=True)
class CallPlan:
    """How each run of a sweep builds its model.

    Attributes:
        style: ``scenario``, ``keywords`` or ``function``.
        scenario: ``module:name`` of the Scenario class (``scenario`` style only).
        scenario_keys: the parameters that go into the scenario; the others are
            constructor keywords.
    """

    style: str
    scenario: str | None = None
    scenario_keys: tuple[str, ...] = ()


def _keywords(function: Any) -> set[str] | None:
    """The keyword parameters of ``function`` (None: it takes ``**kwargs`` or is opaque)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return {
        name
        for name, p in parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name != "self"
    }


def _constructor(model: type) -> Any:
    """The ``__init__`` of a model class."""
    return model.__init__  # type: ignore[misc]


def takes_scenario(model: Any) -> bool:
    """Whether ``model`` is a class whose constructor has a ``scenario`` parameter."""
    if not inspect.isclass(model):
        return False
    try:
        return "scenario" in inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False


def _is_scenario(value: Any) -> bool:
    """Whether ``value`` is a subclass of Mesa's ``Scenario`` (without importing Mesa)."""
    base = sys.modules.get("mesa.experimental.scenarios.scenario")
    scenario = getattr(base, "Scenario", None)
    return inspect.isclass(value) and scenario is not None and issubclass(value, scenario)


def _annotated(model: type) -> list[type]:
    """Scenario classes named by the annotation of the constructor's ``scenario``."""
    try:
        hints = typing.get_type_hints(_constructor(model))
    except Exception:
        return []
    hint = hints.get("scenario")
    options = typing.get_args(hint) if typing.get_args(hint) else (hint,)
    return [option for option in options if _is_scenario(option)]


def _generic(model: type) -> list[type]:
    """Scenario classes given as type arguments of the model's bases (``Model[A, S]``)."""
    found = []
    for klass in model.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            found += [arg for arg in typing.get_args(base) if _is_scenario(arg)]
    return found


def _in_module(model: type) -> list[type]:
    """Scenario subclasses defined in the model's module."""
    module = sys.modules.get(model.__module__)
    values = vars(module).values() if module is not None else ()
    return [v for v in values if _is_scenario(v) and v.__module__ == model.__module__]


def _scenario_ref(model_ref: str, model: type, scenario: type) -> str:
    """``module:name`` of ``scenario``, by the model's file path when it lives beside it."""
    if scenario.__module__ == model.__module__:
        return f"{model_ref.partition(':')[0]}:{scenario.__qualname__}"
    return f"{scenario.__module__}:{scenario.__qualname__}"


def find_scenario(model_ref: str, model: type) -> str:
    """``module:name`` of the Scenario class of a Scenario-style model.

    Looked for in the annotation of the constructor's ``scenario``, then in the model's
    generic bases, then among the Scenario subclasses of its module; Mesa's base
    ``Scenario`` when there is none. Raises :class:`ModelError` when several qualify.
    """
    importlib.import_module(MESA_SCENARIO.partition(":")[0])
    for finder in (_annotated, _generic, _in_module):
        found = list(dict.fromkeys(finder(model)))
        if len(found) == 1:
            return _scenario_ref(model_ref, model, found[0])
        if len(found) > 1:
            names = ", ".join(klass.__name__ for klass in found)
            raise ModelError(
                f"{model_ref} could take any of {names}; name one with "
                f"scenario = '{model_ref.partition(':')[0]}:{found[0].__name__}'"
            )
    return MESA_SCENARIO


def scenario_fields(scenario: type) -> set[str]:
    """The parameters a Scenario class declares (its defaults), ``rng`` aside."""
    defaults = getattr(scenario, "_scenario_defaults", {})
    return {name for name in defaults if name != "rng"}


def _split(
    model_ref: str, model: type, scenario_ref: str, scenario: type, names: Iterable[str]
) -> CallPlan:
    """Send each parameter to the scenario (a field) or the constructor (a keyword)."""
    fields = scenario_fields(scenario)
    keywords = _keywords(model)
    open_scenario = not fields
    to_scenario = []
    for name in names:
        if name in fields or (open_scenario and (keywords is None or name not in keywords)):
            to_scenario.append(name)
        elif keywords is not None and name not in keywords:
            shown = ", ".join(sorted(fields))
            raise ModelError(
                f"{model_ref} takes no keyword {name!r} and {scenario.__name__} has no "
                f"such field (its fields: {shown})",
                name,
            )
    return CallPlan("scenario", scenario_ref, tuple(to_scenario))


def call_plan(
    model_ref: str,
    names: Iterable[str],
    scenario_ref: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> CallPlan:
    """How a sweep calls the model ``model_ref`` with parameters ``names``.

    Raises:
        ModelError: the model cannot take a parameter or a seed; the message says
            what to change.
    """
    model = resolve_model(model_ref, base_dir)
    if scenario_ref is not None and not takes_scenario(model):
        raise ModelError(f"{model_ref} takes no 'scenario' keyword", "scenario")
    if takes_scenario(model):
        scenario_ref = scenario_ref or find_scenario(model_ref, model)
        scenario = resolve_model(scenario_ref, base_dir)
        if not _is_scenario(scenario):
            raise ModelError(f"{scenario_ref} is not a Mesa Scenario class", "scenario")
        return _split(model_ref, model, scenario_ref, scenario, names)
    keywords = _keywords(model)
    if keywords is not None and "rng" not in keywords:
        raise ModelError(
            f"{model_ref} takes neither 'scenario' nor 'rng', so a sweep cannot seed it; "
            f"add an rng keyword passed on to super().__init__(rng=rng) ({SEEDING_HELP})"
        )
    for name in names:
        if keywords is not None and name not in keywords:
            raise ModelError(f"{model_ref} takes no such keyword", name)
    return CallPlan("keywords" if inspect.isclass(model) else "function")
