"""The report of a calibration's store: the posterior, its figures and its predictive check.

:func:`write_calibration_report` reads a calibration's store
(:func:`sim.store.calibration.load_calibration`) and writes ``DIR/report.md`` with the
provenance, each parameter's posterior median and 90% credible interval against its
prior and its default, ``posterior.toml``, the generations, and three figures: the
marginal posteriors, the pairs of parameters, and the posterior predictive check (the
statistics simulated again at draws from the posterior, with what was observed). The
numbers behind them go to ``DIR/figures/data/`` as CSV; the same store gives the same
bytes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes

from sim.calibration.smc import weighted_summary
from sim.figures import style
from sim.figures.labels import axis_label
from sim.figures.report import FigureWriter, _table, write_provenance
from sim.store.calibration import CalibrationResults, load_calibration

BINS = 20
PANELS_PER_ROW = 3
OBSERVED_COLOUR = style.OKABE_ITO[1]
POSTERIOR_COLOUR = style.OKABE_ITO[0]


def _prior_text(prior: Any) -> str:
    kind = "log-uniform" if prior.log else "uniform"
    return f"{kind} [{prior.low:g}, {prior.high:g}]"


def posterior_table(res: CalibrationResults) -> pd.DataFrame:
    """Each parameter's posterior median and 90% interval, its prior and its default."""
    final = res.final
    scenario = res.manifest.get("scenario")
    rows = []
    for prior in res.spec.priors:
        values = final[prior.name].to_numpy(dtype=float)
        median, low, high = weighted_summary(values, final["weight"].to_numpy(dtype=float))
        rows.append(
            {
                "parameter": prior.name,
                "prior": _prior_text(prior),
                "median": median,
                "low_5": low,
                "high_95": high,
                "width_share_of_prior": (high - low) / (prior.high - prior.low),
                "default": _default(scenario, prior.name),
            }
        )
    return pd.DataFrame(rows)


def _default(scenario: dict[str, Any] | None, key: str) -> float:
    """The value of ``key`` in the calibrated scenario (NaN for another model)."""
    if scenario is None:
        return math.nan
    from sim.scenario import ScenarioSpec

    return float(ScenarioSpec.from_dict(scenario, "manifest").get(key))


def _observed_text(observation: Any) -> str:
    if observation.value is not None:
        return f"{observation.value:g} (scale {observation.scale:g})"
    return f"[{observation.low:g}, {observation.high:g}] (scale {observation.scale:g})"


def predictive_table(res: CalibrationResults) -> pd.DataFrame:
    """Each statistic: what was observed, and its posterior predictive median and 90% range."""
    rows = []
    for (name, text), observation in zip(res.spec.statistics, res.spec.observed, strict=True):
        values = res.predictive[name].to_numpy(dtype=float) if name in res.predictive else []
        values = np.asarray([v for v in values if math.isfinite(v)])
        low, median, high = (
            np.quantile(values, [0.05, 0.5, 0.95]) if len(values) else [math.nan] * 3
        )
        reach = 1.0 if observation.value is not None else 0.0
        near = [observation.distance(v) <= reach for v in values]
        rows.append(
            {
                "statistic": name,
                "computed_as": text,
                "observed": _observed_text(observation),
                "median": median,
                "low_5": low,
                "high_95": high,
                "share_near": float(np.mean(near)) if near else math.nan,
                "draws": len(values),
            }
        )
    return pd.DataFrame(rows)


def _log_axis(ax: Axes, prior: Any, axis: str = "x") -> None:
    """The axis over the prior's range; logarithmic for a log-uniform prior, its ticks
    at 1, 2 and 5 times powers of ten written as plain numbers."""
    which = ax.xaxis if axis == "x" else ax.yaxis
    if prior.log:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
        which.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        which.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        which.set_minor_formatter(ticker.NullFormatter())
    (ax.set_xlim if axis == "x" else ax.set_ylim)(prior.low, prior.high)


def _bins(prior: Any) -> list[float]:
    """Histogram bins over the prior's range (even in the logarithm for a log prior)."""
    spaced = np.geomspace if prior.log else np.linspace
    return [float(edge) for edge in spaced(prior.low, prior.high, BINS + 1)]


def marginal(ax: Axes, values: np.ndarray, weights: np.ndarray, prior: Any, row: Any) -> Axes:
    """A parameter's weighted posterior histogram over its prior's range, with its median,
    its 90% interval and its default."""
    ax.hist(values, bins=_bins(prior), weights=weights, color=POSTERIOR_COLOUR, alpha=0.6)
    ax.axvline(row["median"], color="black", lw=1.0, label="median")
    for end in (row["low_5"], row["high_95"]):
        ax.axvline(end, color="black", lw=0.8, ls="--")
    if math.isfinite(row["default"]):
        ax.axvline(row["default"], color=OBSERVED_COLOUR, lw=1.0, ls=":", label="default")
    _log_axis(ax, prior)
    ax.set_xlabel(axis_label(prior.name))
    ax.set_ylabel("posterior weight")
    return ax


def _grid(count: int, width: str, aspect: float) -> tuple[Any, list[Axes]]:
    cols = min(count, PANELS_PER_ROW)
    rows = math.ceil(count / cols)
    fig, axes = style.new_figure(
        width, aspect=aspect * rows / cols, nrows=rows, ncols=cols, squeeze=False
    )
    flat = [ax for line in axes for ax in line]
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def _marginals(w: FigureWriter, res: CalibrationResults, table: pd.DataFrame) -> None:
    final = res.final
    data = w.csv(final, "posterior_particles")
    fig, axes = _grid(len(res.spec.priors), "two", 0.8)
    weights = final["weight"].to_numpy(dtype=float)
    for ax, prior, (_, row) in zip(axes, res.spec.priors, table.iterrows(), strict=True):
        marginal(ax, final[prior.name].to_numpy(dtype=float), weights, prior, row)
    axes[0].legend(loc="upper right")
    w.figure(
        fig,
        "posterior_marginals",
        "Marginal posteriors: weighted histograms of the last generation's particles over "
        "each prior's range; solid: median, dashed: 90% credible interval, dotted: default",
        data,
    )


def _pairs(w: FigureWriter, res: CalibrationResults) -> None:
    priors = res.spec.priors
    if len(priors) < 2:
        return
    final = res.final
    d = len(priors)
    fig, axes = style.new_figure("two", aspect=1.0, nrows=d, ncols=d, squeeze=False)
    weights = final["weight"].to_numpy(dtype=float)
    sizes = 40 * weights / weights.max()
    for i, row_prior in enumerate(priors):
        for j, col_prior in enumerate(priors):
            ax = axes[i][j]
            if j > i:
                ax.set_visible(False)
                continue
            x = final[col_prior.name].to_numpy(dtype=float)
            if i == j:
                ax.hist(
                    x, bins=_bins(col_prior), weights=weights, color=POSTERIOR_COLOUR, alpha=0.6
                )
            else:
                y = final[row_prior.name].to_numpy(dtype=float)
                ax.scatter(x, y, s=sizes, color=POSTERIOR_COLOUR, alpha=0.5, lw=0)
                _log_axis(ax, row_prior, "y")
            _log_axis(ax, col_prior)
            ax.set_xlabel(axis_label(col_prior.name) if i == d - 1 else "")
            ax.set_ylabel(axis_label(row_prior.name) if j == 0 and i > 0 else "")
    w.figure(
        fig,
        "posterior_pairs",
        "Pairs of parameters: the last generation's particles (area: weight) over the priors' "
        "ranges, with each parameter's weighted histogram on the diagonal",
        None,
    )


def predictive_panel(ax: Axes, values: np.ndarray, observation: Any, label: str) -> Axes:
    """The predictive distribution of one statistic, with the observed value or range."""
    finite = values[np.isfinite(values)]
    if len(finite):
        ax.hist(finite, bins=BINS, color=POSTERIOR_COLOUR, alpha=0.6, label="posterior predictive")
    else:
        ax.text(0.5, 0.5, "n = 0, not drawn", transform=ax.transAxes, ha="center", color="0.35")
    if observation.value is not None:
        ax.axvline(observation.value, color=OBSERVED_COLOUR, lw=1.2, label="observed")
        ax.axvspan(
            observation.value - observation.scale,
            observation.value + observation.scale,
            color=OBSERVED_COLOUR,
            alpha=0.12,
            lw=0,
        )
    else:
        ax.axvspan(
            observation.low,
            observation.high,
            color=OBSERVED_COLOUR,
            alpha=0.15,
            lw=0,
            label="observed range",
        )
    ax.set_xlabel(label)
    ax.set_ylabel("posterior draws")
    return ax


def _predictive(w: FigureWriter, res: CalibrationResults) -> None:
    spec = res.spec
    w.add("## Posterior predictive check", "")
    if res.predictive.empty:
        w.add("No draws re-simulated (calibration.predictive = 0).", "")
        return
    table = predictive_table(res)
    data = w.csv(res.predictive, "predictive_draws")
    w.csv(table, "predictive_summary")
    w.add(
        f"{len(res.predictive)} draws from the posterior (particles picked by weight, each "
        f"draw seeded from the root seed), each simulated again with {spec.replications} "
        "runs; each statistic's median and 5-95% range over the draws, and the share of "
        "draws near the observation (within one scale of a value; inside a range):",
        "",
        _table(table),
    )
    fig, axes = _grid(len(spec.statistics), "two", 0.7)
    for ax, (name, text), observation in zip(axes, spec.statistics, spec.observed, strict=True):
        values = res.predictive[name].to_numpy(dtype=float)
        predictive_panel(ax, values, observation, f"{name} ({text})")
    axes[0].legend(loc="upper right")
    w.figure(
        fig,
        "posterior_predictive",
        "Posterior predictive check: each statistic over the draws from the posterior; "
        "the observed value (line, shaded: one scale either side) or range (shaded)",
        data,
    )


def _provenance(w: FigureWriter, res: CalibrationResults) -> None:
    m = res.manifest
    spec = res.spec
    experiment = m.get("experiment") or {}
    scenario = m.get("scenario") or {}
    method = (
        f"ABC-SMC, population {spec.population}, up to {spec.generations} generations, "
        f"tolerance: the {spec.quantile:g} quantile of the previous distances"
        if spec.method == "abc-smc"
        else f"rejection, {spec.samples} samples, the closest {spec.population} kept"
    )
    rows = [
        ("store", f"`{res.path.as_posix()}`"),
        ("experiment file", f"`{experiment.get('source', '?')}`"),
        ("experiment sha256", f"`{experiment.get('sha256', '?')}`"),
        ("method", method),
        ("runs per candidate", str(spec.replications)),
        ("distance", f"{spec.distance} of the statistics' scaled distances"),
        ("model", str(m.get("model", "alliance"))),
        ("scenario", str(scenario.get("name", "n/a"))),
        ("root seed", str(m.get("root_seed", "?"))),
    ]
    write_provenance(w, rows, m)


def _generations(w: FigureWriter, res: CalibrationResults) -> None:
    if res.generations.empty:
        return
    data = w.csv(res.generations, "generations")
    runs = int(res.generations["runs"].sum()) + len(res.predictive) * res.spec.replications
    w.add(
        "## Generations",
        "",
        f"{runs} runs in all (the candidates' and the predictive check's). A generation's "
        "tolerance is the largest distance it accepts (generation 0 of ABC-SMC takes the "
        "prior's draws); candidates: drawn until the population was full; evaluated: "
        "simulated (its last batch runs on past the one that filled it).",
        "",
        _table(res.generations),
        f"Data: [{Path(data).name}]({data})",
        "",
    )


def _posterior(w: FigureWriter, res: CalibrationResults) -> None:
    final = res.final
    generation = int(final["generation"].iloc[0])
    table = posterior_table(res)
    data = w.csv(table, "posterior_summary")
    w.add(
        "## Posterior",
        "",
        f"The {len(final)} weighted particles of generation {generation}: each parameter's "
        "weighted median and 90% credible interval (the weighted 5% and 95% quantiles), the "
        "interval's width as a share of the prior's, and the parameter's default.",
        "",
        _table(table),
        f"Data: [{Path(data).name}]({data})",
        "",
    )
    if res.posterior:
        w.add(
            "`posterior.toml`, the medians as a scenario snippet:",
            "",
            "```toml",
            res.posterior.rstrip(),
            "```",
            "",
        )
    _marginals(w, res, table)
    _pairs(w, res)


def write_calibration_report(
    path: str | os.PathLike[str], formats: Sequence[str] = style.FORMATS, width: str = "one"
) -> Path:
    """Write ``report.md``, its figures and their data for a calibration's store."""
    res = load_calibration(path)
    with FigureWriter(res.path, formats, width) as w:
        w.add(f"# {res.name}", "")
        stopped = (res.manifest.get("last_session") or {}).get("stopped")
        if stopped:
            w.add(f"> **Stopped early.** {stopped}.", "")
        if res.description:
            w.add(res.description, "")
        _provenance(w, res)
        if res.particles.empty:
            w.add("No posterior yet: no generation filled its population.", "")
            return w.write()
        with style.context():
            _posterior(w, res)
            _generations(w, res)
            _predictive(w, res)
        return w.write()
