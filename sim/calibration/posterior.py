"""A calibration's posterior: its summary per parameter, and ``posterior.toml``.

The posterior is the last generation's particles with their weights. Each parameter is
summarised by its weighted median and its 90% credible interval (the weighted 5% and
95% quantiles). ``posterior.toml`` holds the medians as a scenario snippet, each
dotted key inside its table (``[constants]``, ``[leadership]``, ...; another model's
parameters under ``[parameters]``, as an experiment file fixes them), so it loads as a
scenario file and :func:`posterior_overrides` turns it into dotted overrides.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration.smc import weighted_summary
from sim.experiment.calibration import Prior

CREDIBLE = 0.90
"""The credible interval reported: the weighted 5% to 95% quantiles."""
MODEL_TABLE = "parameters"
"""The table of another model's parameters in ``posterior.toml``."""


@dataclass(frozen=True)
class ParameterSummary:
    """One parameter's posterior.

    Attributes:
        name: its key.
        median: the weighted median.
        low: the weighted 5% quantile.
        high: the weighted 95% quantile.
        prior: its prior.
        default: its value in the experiment's scenario (alliance model), else None.
    """

    name: str
    median: float
    low: float
    high: float
    prior: Prior
    default: float | None = None

    @property
    def width_share(self) -> float:
        """The credible interval's width as a share of the prior's."""
        return (self.high - self.low) / (self.prior.high - self.prior.low)

    def line(self) -> str:
        """One line for humans."""
        text = (
            f"{self.name}: median {self.median:.4g}, 90% interval [{self.low:.4g}, "
            f"{self.high:.4g}] (prior [{self.prior.low:g}, {self.prior.high:g}]"
        )
        return text + (f", default {self.default:g})" if self.default is not None else ")")


def summarise(
    priors: tuple[Prior, ...],
    values: np.ndarray,
    weights: np.ndarray,
    defaults: Mapping[str, float | None] | None = None,
) -> list[ParameterSummary]:
    """The summary of each parameter from the particles' ``values`` (shape ``(n, d)``)."""
    defaults = defaults or {}
    summaries = []
    for column, prior in enumerate(priors):
        median, low, high = weighted_summary(values[:, column], weights)
        summaries.append(
            ParameterSummary(prior.name, median, low, high, prior, defaults.get(prior.name))
        )
    return summaries


def _number(value: float) -> str:
    """A TOML float with six significant digits."""
    text = f"{value:.6g}"
    return text if any(ch in text for ch in ".eEn") else f"{text}.0"


def _table_and_key(name: str, model: bool) -> tuple[str, str]:
    if model:
        return MODEL_TABLE, name
    table, _, key = name.rpartition(".")
    return table, key


def _quoted(key: str) -> str:
    return key if key.replace("_", "a").replace("-", "a").isalnum() else f'"{key}"'


def posterior_toml(title: str, summaries: list[ParameterSummary], model: bool) -> str:
    """``posterior.toml``: the medians in their tables, each with its interval as a comment."""
    lines = [
        f"# {title}",
        "# Posterior medians, each with its 90% credible interval and its prior.",
    ]
    tables: dict[str, list[ParameterSummary]] = {}
    for summary in summaries:
        tables.setdefault(_table_and_key(summary.name, model)[0], []).append(summary)
    for table, members in tables.items():
        lines.append("")
        if table:
            lines.append(f"[{table}]")
        for summary in members:
            key = _table_and_key(summary.name, model)[1]
            lines.append(
                f"{_quoted(key)} = {_number(summary.median)}  # 90% [{summary.low:.4g}, "
                f"{summary.high:.4g}], prior [{summary.prior.low:g}, {summary.prior.high:g}]"
                + (" log-uniform" if summary.prior.log else "")
            )
    return "\n".join(lines) + "\n"


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def posterior_overrides(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The values of a ``posterior.toml`` as the experiment names them: dotted scenario keys
    (for ``ScenarioSpec.with_overrides`` or ``--set``), or another model's parameters."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    if MODEL_TABLE in data:
        return dict(data[MODEL_TABLE])
    return _flatten(data)
