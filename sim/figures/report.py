"""The one-command report of a results store: figures, their data, and ``report.md``.

:func:`write_report` reads a store and writes ``DIR/figures/`` (each figure in each
format), ``DIR/figures/data/`` (the numbers behind every figure and table, as CSV)
and ``DIR/report.md``. The same store gives byte-identical files. A store from an
interrupted sweep is reported and flagged as partial. :func:`export_csv` writes
the store's tables as CSV.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import re
import secrets
import shutil
import signal
import socket
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import matplotlib.pyplot as plt
import pandas as pd

from sim import analysis
from sim.analysis import Results, SensitivityError, SensitivityWarning
from sim.errors import InputError
from sim.figures import plots, style
from sim.figures.labels import axis_label, name_label
from sim.names import DESIGN_COLUMNS, OUTCOME_LABELS, OUTCOMES, phase_name
from sim.store.create import abandoned, trash
from sim.store.lock import open_locked
from sim.store.manifest import CALIBRATION, StoreError, invocations, read_manifest, store_kind
from sim.store.status import with_parameters

SENSITIVITY_OUTCOMES: tuple[str, ...] = ("survived", "lifetime", "final_performance")
TRAJECTORY_SERIES: tuple[str, ...] = ("performance", "mean_trust")
PROVENANCE_PACKAGES: tuple[str, ...] = ("numpy", "scipy", "pandas", "pyarrow", "mesa", "SALib")
MAX_BY = 12
"""At most this many parameters get their own section (the most influential first)."""
MAX_POINT_ROWS = 60
"""An adaptive store's points listed in ``report.md`` (all of them are in the CSV)."""

log = logging.getLogger("sim.figures")


def slug(name: str) -> str:
    """A file-name-safe form of a parameter name (``leadership.relationships`` ->
    ``leadership-relationships``)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "x"


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.{digits}g}"
    return str(value)


def _named(name: str) -> str:
    """A parameter or outcome for headings: its label and its key (``Eye for relationships
    (`leadership.relationships`)``), or the key alone when it has no label."""
    shown = name_label(name)
    return f"{shown} (`{name}`)" if shown != name else f"`{name}`"


def _labelled(frame: pd.DataFrame, column: str, unit: bool = False) -> pd.DataFrame:
    """``frame`` with the names in ``column`` (parameters, measures, outcome classes)
    replaced by their labels, with their units when ``unit``."""
    show = axis_label if unit else name_label
    return frame.assign(**{column: [show(str(v)) for v in frame[column]]})


def _outcome_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Outcome classes as column headers by their display names."""
    return frame.rename(columns=OUTCOME_LABELS)


def _table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (values formatted, no index; column names in
    words: ``chi_square`` -> ``chi square``)."""
    if frame.empty:
        return "_(no rows)_\n"
    header = "| " + " | ".join(str(c).replace("_", " ") for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


class FigureWriter:
    """Collects a report's Markdown and writes its figures and their data for ``folder``.

    Everything is written into a staging folder beside them (``folder/.report-...``);
    :meth:`write` swaps it in at the end: ``figures/`` (with ``data/``) and
    ``report.md`` replace the earlier report's (whose stale figures go with it).
    Until then, a failure or an interruption leaves the earlier report as it was.
    One report of a folder at a time: the writer holds ``folder/.lock.report`` from its
    start (a second one waits for it, and says so) until it is discarded. Use as a
    context manager, which removes the staging folder when the report is not written,
    and releases the lock. Raises :class:`~sim.store.StoreError` up front when ``report.md`` or
    ``figures`` is in the way (not a file, not a folder, a symbolic link).
    """

    def __init__(self, folder: Path, formats: Sequence[str], width: str) -> None:
        self.folder = folder
        self.formats = tuple(formats)
        self.width = width
        self._lock = lock_report(folder)
        stage = None
        try:
            check_report_target(folder)
            stage = make_stage(folder)
            (stage / "figures" / "data").mkdir(parents=True)
        except BaseException:
            if stage is not None:
                shutil.rmtree(stage, ignore_errors=True)
            unlock_report(folder, self._lock)
            raise
        self.stage = stage
        self.figures = stage / "figures"
        self.data = self.figures / "data"
        self.lines: list[str] = []
        self.csvs: list[str] = []
        embed = [f for f in ("svg", "png", "pdf") if f in self.formats]
        self.embed = embed[0] if embed else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove the staging folder (nothing of the earlier report changes) and release
        the report lock."""
        shutil.rmtree(self.stage, ignore_errors=True)
        fd, self._lock = self._lock, None
        unlock_report(self.folder, fd)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def csv(self, frame: pd.DataFrame, name: str) -> str:
        path = self.data / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")
        relative = path.relative_to(self.stage).as_posix()
        self.csvs.append(relative)
        return relative

    def figure(self, fig: Any, name: str, caption: str, data: str | None) -> None:
        style.save(fig, self.figures / name, self.formats)
        plt.close(fig)
        files = ", ".join(f"[{f}](figures/{name}.{f})" for f in self.formats)
        if self.embed and self.embed != "pdf":
            self.add(f"![{caption}](figures/{name}.{self.embed})", "")
        source = f"; data: [{Path(data).name}]({data})" if data else ""
        self.add(f"*{caption}* ({files}{source})", "")

    def write(self) -> Path:
        """The data list, then ``report.md``; swaps the report in. Returns its path."""
        self.add("## Data", "", "The numbers behind every figure and table:", "")
        self.add(*(f"- [{Path(c).name}]({c})" for c in self.csvs), "")
        (self.stage / "report.md").write_text(
            "\n".join(self.lines).rstrip() + "\n", encoding="utf-8"
        )
        keep_foreign(self.folder / "figures", self.figures)
        swap_in(self.stage, self.folder)
        return self.folder / "report.md"


REPORT_LOCK = ".lock.report"
"""The lock file of a folder's report while one is written (removed after it)."""


def lock_report(folder: Path) -> int | None:
    """Hold the report lock of ``folder`` (``flock`` on :data:`REPORT_LOCK`), waiting while
    another report holds it. Returns the descriptor for :func:`unlock_report`; None on a
    file system without ``flock`` (reports are then not kept apart)."""
    path = folder / REPORT_LOCK
    try:
        fd = open_locked(path, fcntl.LOCK_EX)
    except BlockingIOError:
        log.warning("%s: another report of this store is being written; waiting for it", folder)
        fd = open_locked(path, fcntl.LOCK_EX, wait=True)
    if fd is None:
        path.unlink(missing_ok=True)
    return fd


def unlock_report(folder: Path, fd: int | None) -> None:
    """Remove the report lock file of ``folder`` and release the lock ``fd`` holds."""
    if fd is None:
        return
    (folder / REPORT_LOCK).unlink(missing_ok=True)
    os.close(fd)


STAGE = ".report-"
"""The name of a report's staging folder starts so (then host, process, a random part)."""


def check_report_target(folder: Path) -> None:
    """Refuse a report whose ``report.md`` is not a file or ``figures`` not a folder, or
    either is a symbolic link (the swap would replace the link, not write through it)."""
    report, figures = folder / "report.md", folder / "figures"
    for path in (report, figures):
        if path.is_symlink():
            raise StoreError(
                path,
                "a symbolic link; the report replaces it whole, so it cannot write "
                "through it (link the other way: to this one from where you need it)",
            )
    if report.exists() and not report.is_file():
        raise StoreError(report, "not a regular file; the report cannot replace it")
    if figures.exists() and not figures.is_dir():
        raise StoreError(figures, "not a folder; the report cannot replace it")


def make_stage(folder: Path) -> Path:
    """A new staging folder for a report of ``folder`` (abandoned ones removed first)."""
    for old in folder.glob(f"{STAGE}*"):
        if abandoned(old, STAGE):
            shutil.rmtree(old, ignore_errors=True)
    stage = folder / f"{STAGE}{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    stage.mkdir()
    return stage


def keep_foreign(old: Path, new: Path) -> None:
    """Hard-link into ``new`` what ``old`` (an earlier report's figures) holds that no
    report writes: files other than its figures and the CSV files directly in ``data/``.

    The files are not read: each gets a second name in ``new`` (the earlier figures keep
    theirs until the swap is done), a symbolic link is made again with the same target,
    a folder is made and filled likewise. Only a file that cannot be hard-linked (a file
    system without hard links, another user's file that the system will not link) is
    copied.
    """
    if old.is_dir():
        _keep_foreign(old, new, Path())


def _report_output(relative: Path) -> bool:
    """Whether the file ``relative`` (in ``figures/``) is one a report writes there."""
    figure = len(relative.parts) == 1 and relative.suffix.lstrip(".") in style.FORMATS
    data = len(relative.parts) == 2 and relative.parts[0] == "data"
    return figure or (data and relative.suffix == ".csv")


def _keep_foreign(old: Path, new: Path, relative: Path) -> None:
    with os.scandir(old / relative) as entries:
        for entry in entries:
            name = relative / entry.name
            source, target = Path(entry.path), new / name
            if entry.is_dir(follow_symlinks=False):
                if target.is_symlink() or (target.exists() and not target.is_dir()):
                    continue
                target.mkdir(exist_ok=True)
                _keep_foreign(old, new, name)
            elif _report_output(name) or target.exists() or target.is_symlink():
                continue
            elif entry.is_symlink():
                os.symlink(os.readlink(source), target)
            else:
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copy2(source, target)


HELD_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""The signals noted, not acted on, while a report is swapped in."""


@contextlib.contextmanager
def _noting_signals(arrived: list[int]) -> Iterator[None]:
    """Within the block, :data:`HELD_SIGNALS` are appended to ``arrived`` instead of acted
    on (in the main thread; in another, Python gives a thread no signal to handle).

    Python runs signal handlers in the main thread whichever thread the system gives the
    signal to, so handlers hold them where masking the main thread alone would not.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in HELD_SIGNALS}
    for number in HELD_SIGNALS:
        signal.signal(number, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def swap_in(stage: Path, folder: Path) -> None:
    """Move the report of ``stage`` into ``folder``: the earlier ``figures/`` to the trash,
    the new one in, then ``report.md``; then remove the trash and ``stage``. When a rename
    fails, the earlier ``figures/`` is put back (and the error raised).

    SIGINT, SIGTERM and SIGHUP are held until all this is done, then acted on: a SIGINT
    after the report was swapped in only says so (the report is complete; nothing was
    left to interrupt), the others are raised again.
    """
    arrived: list[int] = []
    done = False
    try:
        with _noting_signals(arrived):
            bin_ = trash(folder, ("figures",))
            try:
                os.rename(stage / "figures", folder / "figures")
                try:
                    os.replace(stage / "report.md", folder / "report.md")
                except OSError:
                    os.rename(folder / "figures", stage / "figures")
                    raise
            except OSError:
                # the earlier figures back beside the earlier report.md
                if (bin_ / "figures").exists() or (bin_ / "figures").is_symlink():
                    os.rename(bin_ / "figures", folder / "figures")
                shutil.rmtree(bin_, ignore_errors=True)
                raise
            shutil.rmtree(bin_, ignore_errors=True)
            shutil.rmtree(stage, ignore_errors=True)
            done = True
    finally:
        for signum in dict.fromkeys(arrived):
            if signum == signal.SIGINT and done:
                log.warning("%s: interrupted after the report was written; it is complete", folder)
            else:
                signal.raise_signal(signum)


class _Writer(FigureWriter):
    """A sweep's report writer: the store's results beside the figures."""

    def __init__(self, res: Results, formats: Sequence[str], width: str) -> None:
        super().__init__(res.path, formats, width)
        self.res = res


def _order_by_sensitivity(res: Results, params: list[str]) -> tuple[list[str], str | None]:
    if res.method not in ("sobol", "morris") or not params:
        return params, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SensitivityWarning)
            outcomes = _outcomes(res, res.ok)
            if not outcomes:
                return params, None
            indices = analysis.sensitivity(res, outcomes[0], num_resamples=100)
    except (SensitivityError, KeyError, ValueError):
        return params, None
    key = "ST" if "ST" in indices.columns else "mu_star"
    ranked = [p for p in indices["parameter"] if p in params]
    rest = [p for p in params if p not in ranked]
    return ranked + rest, key


def _commit(manifest: dict[str, Any]) -> str:
    """The git commit the store was written from, and whether the checkout was changed."""
    commit = manifest.get("git_commit")
    if not commit:
        return "not from a git checkout"
    dirty = manifest.get("git_dirty")
    if dirty is None:
        return f"commit `{commit}` (uncommitted changes not recorded)"
    return f"commit `{commit}`" + (", with uncommitted changes" if dirty else "")


def _versions(manifest: dict[str, Any]) -> str:
    """The alliance-sim version of the last writer, and the others that wrote the store."""
    last = manifest.get("alliance_sim_version") or "n/a"
    recorded = {entry.get("alliance_sim_version") for entry in invocations(manifest)}
    others = sorted(str(v) for v in recorded - {last, None})
    return f"{last} (earlier invocations: {', '.join(others)})" if others else last


def _times(manifest: dict[str, Any]) -> str:
    """First start, last end and the number of invocations that wrote the store."""
    count = len(invocations(manifest))
    return f"{manifest.get('started') or '?'}, {manifest.get('finished') or '?'}, {count}"


def write_provenance(
    w: FigureWriter, rows: list[tuple[str, str]], manifest: dict[str, Any]
) -> None:
    """The report's provenance table: ``rows`` (what the kind of store records), then the
    software, the platform and the invocations every store's manifest records."""
    packages = manifest.get("packages") or {}
    rows = [
        *rows,
        ("alliance-sim", f"{_versions(manifest)}, {_commit(manifest)}"),
        (
            "packages",
            ", ".join(f"{p} {packages[p]}" for p in PROVENANCE_PACKAGES if packages.get(p)),
        ),
        ("python, platform", f"{manifest.get('python', '?')}, {manifest.get('platform', '?')}"),
        ("first start, last end, invocations", _times(manifest)),
    ]
    w.add("## Provenance", "", "| | |", "|---|---|")
    w.add(*(f"| {k} | {v} |" for k, v in rows))
    w.add("")


def _provenance(w: _Writer) -> None:
    res = w.res
    m = res.manifest
    status = res.status
    design = m.get("design") or {}
    experiment = m.get("experiment") or {}
    scenario = m.get("scenario") or {}
    swept = res.parameters
    fixed = [c for c in res.parameter_columns if c not in swept]
    fixed_text = ", ".join(f"{c} = {_fmt(res.design[c].iloc[0])}" for c in fixed) or "none"
    points = design.get("points", res.design["point_id"].nunique())
    most = "at most " if res.precision is not None else ""
    planned = "needed so far" if res.precision is not None else "planned"
    unit = "months" if m.get("model", "alliance") == "alliance" else "steps"
    rows = [
        ("store", f"`{res.path.as_posix()}`"),
        ("experiment file", f"`{experiment.get('source', '?')}`"),
        ("experiment sha256", f"`{experiment.get('sha256', '?')}`"),
        (
            "design",
            f"{res.method}, {points} points x {most}{design.get('replications', '?')} replicates"
            + (f", samples {design['samples']}" if design.get("samples") else ""),
        ),
        ("swept", ", ".join(f"`{p}`" for p in swept) or "none"),
        ("fixed", fixed_text),
        ("model", str(m.get("model", "alliance"))),
        (
            "scenario",
            f"{scenario.get('name', 'n/a')}"
            + (f", horizon {res.horizon} {unit}" if res.horizon else ""),
        ),
        ("root seed", str(m.get("root_seed", "?"))),
        (
            "runs",
            f"{status['planned']} {planned}, {status['done']} done, "
            f"{status['failed']} failed, {status['pending']} pending",
        ),
    ]
    write_provenance(w, rows, m)


def _precision(w: _Writer) -> None:
    """An adaptive store's rule, the points that stopped at the maximum, and the
    replicates of every point (none for a fixed sweep's store)."""
    res = w.res
    if res.precision is None or res.progress is None:
        return
    points = with_parameters(res.progress, res.design)
    maximum = int(res.design["replicate"].max()) + 1
    states = points["state"].value_counts()
    w.add(
        "## Precision",
        "",
        f"Adaptive replication: {res.precision.describe()}, at most {maximum} per point. "
        f"{states.get('target', 0)} of {len(points)} points reached the half-width, "
        f"{states.get('maximum', 0)} stopped at the maximum ({maximum} replicates) before "
        f"reaching it, {states.get('pending', 0)} are pending. Shares, means and tests over "
        "several points below weight each point by its replicates.",
        "",
    )
    table = points[["point_index", *res.parameters, "stored", "half_width", "state"]]
    table = table.rename(columns={"point_index": "point", "stored": "replicates"})
    data = w.csv(table, "precision")
    at_maximum = table[table["state"] == "maximum"]
    if len(at_maximum):
        w.add(
            "Points that stopped at the maximum:", "", _table(_worded(at_maximum, res.parameters))
        )
    shown = table.head(MAX_POINT_ROWS)
    more = f" (the first {MAX_POINT_ROWS} of {len(table)})" if len(table) > len(shown) else ""
    w.add(f"Replicates per point{more}:", "", _table(_worded(shown, res.parameters)))
    w.add(f"Data: [{Path(data).name}]({data})", "")


def _worded(frame: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """``frame`` with its ``parameters`` columns headed by their labels, with units."""
    return frame.rename(columns={name: axis_label(name) for name in parameters})


def _overview(w: _Writer, ok: pd.DataFrame) -> None:
    w.add("## Overview", "")
    n = len(ok)
    if "survived" in ok.columns:
        alive = int(ok["survived"].astype(bool).sum())
        low, high = analysis.wilson(alive, n)
        w.add(
            f"{n} finished runs; {alive} alliances ({alive / n:.0%}, 95% CI "
            f"{float(low):.0%} to {float(high):.0%}) survived to the horizon."
        )
    if {"lifetime", "survived"} <= set(ok.columns):
        med = analysis.median_lifetime(ok).iloc[0]
        if math.isnan(med["median"]):
            w.add("The median lifetime is beyond the horizon (more than half survived).")
        else:
            w.add(
                f"Median lifetime {_fmt(med['median'])} months "
                f"(95% CI {_fmt(med['lower'])} to {_fmt(med['upper'])})."
            )
    if not {"survived", "lifetime"} & set(ok.columns):
        w.add(f"{len(ok)} finished runs; the model records no survival (see the figures below).")
    w.add("")
    if "outcome" in ok.columns:
        profile = analysis.outcome_profile(ok)
        data = w.csv(profile, "outcomes_all")
        shown = _labelled(profile[["outcome", "count", "share", "lower", "upper"]], "outcome")
        w.add(
            "Outcome classes over all finished runs (share of runs, with its 95% Wilson interval):",
            "",
            _table(shown),
        )
        w.add(f"Data: [{Path(data).name}]({data})", "")


def _ranking(w: _Writer, ok: pd.DataFrame, params: list[str]) -> None:
    """The parameters ranked by how much survival differs across their levels."""
    rows = []
    for name in params:
        if name not in ok.columns or name == "outcome":
            continue
        lev = analysis.levels(ok, name)
        if len(lev.cat.categories) < 2:
            continue
        test = analysis.logrank(ok, name)
        shares = ok.assign(_l=lev.to_numpy()).groupby("_l", observed=True)["survived"].mean()
        rows.append(
            {
                "parameter": name,
                "levels": test["levels"],
                "chi_square": test["statistic"],
                "df": test["df"],
                "p": test["p"],
                "survived_lowest": float(shares.min()),
                "survived_highest": float(shares.max()),
            }
        )
    if not rows:
        return
    table = pd.DataFrame(rows).sort_values(["p", "chi_square"], ascending=[True, False])
    data = w.csv(table, "logrank_by_parameter")
    w.add(
        "Parameters ranked by the log-rank test of equal survival across their levels "
        "(survived: the lowest and highest share surviving over the levels):",
        "",
        _table(_labelled(table, "parameter")),
        f"Data: [{Path(data).name}]({data})",
        "",
    )


def _sensitivity(w: _Writer, ok: pd.DataFrame) -> None:
    res = w.res
    w.add("## Sensitivity", "")
    label = {"sobol": "Sobol indices", "morris": "Morris elementary effects"}[res.method]
    w.add(
        f"{label} of each outcome, from the mean over replicates at each design point "
        "(SALib; 95% bootstrap intervals).",
        "",
    )
    for outcome in _outcomes(w.res, ok)[:3]:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SensitivityWarning)
                indices = analysis.sensitivity(res, outcome)
        except SensitivityError as err:
            w.add(f"Sensitivity of {_named(outcome)} not computed: {err}", "")
            continue
        name = f"sensitivity_{slug(outcome)}"
        data = w.csv(indices, name)
        w.add(f"### {axis_label(outcome)}", "", _table(_labelled(indices, "parameter")))
        for warning in caught:
            if issubclass(warning.category, SensitivityWarning):
                w.add(f"> Warning: {warning.message}", "")
        fig, ax = style.new_figure(w.width, aspect=0.25 + 0.07 * len(indices))
        plots.sensitivity_bars(indices, ax, outcome=outcome)
        w.figure(fig, name, _sensitivity_caption(res.method, outcome), data)
        if res.method == "sobol" and (res.manifest.get("design") or {}).get("second_order"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SensitivityWarning)
                pairs = analysis.sensitivity_pairs(res, outcome)
            data = w.csv(pairs, f"sensitivity_pairs_{slug(outcome)}")
            top = pairs.sort_values("S2", ascending=False, kind="stable").head(10)
            top = _labelled(_labelled(top, "parameter_a"), "parameter_b")
            w.add("Second-order indices (largest first):", "", _table(top))


def _sensitivity_caption(method: str | None, outcome: str) -> str:
    if method == "sobol":
        return (
            f"Sensitivity of {name_label(outcome)}: Sobol indices with their 95% "
            "bootstrap intervals, clipped to [0, 1]"
        )
    return f"Sensitivity of {name_label(outcome)}: Morris elementary effects"


BOOKKEEPING = frozenset({*DESIGN_COLUMNS, "status", "duration_s", "error"})


def _outcomes(res: Results, ok: pd.DataFrame) -> list[str]:
    """The outcomes to report: the alliance's usual ones, else every numeric outcome."""
    usual = [o for o in SENSITIVITY_OUTCOMES if o in ok.columns]
    if usual:
        return usual
    skip = BOOKKEEPING | set(res.parameter_columns)
    return [
        c
        for c in ok.columns
        if c not in skip
        and (pd.api.types.is_numeric_dtype(ok[c]) or pd.api.types.is_bool_dtype(ok[c]))
    ]


def _means(w: _Writer, ok: pd.DataFrame, by: str, outcomes: list[str]) -> None:
    """Mean of each numeric outcome per level (models without survival columns)."""
    lev = analysis.levels(ok, by)
    frame = ok[outcomes].astype(float).assign(level=lev.to_numpy())
    grouped = frame.groupby("level", observed=True, sort=True)
    table = grouped.mean().reset_index()
    table.insert(1, "n", grouped.size().to_numpy())
    w.csv(table, f"means_{slug(by)}")
    w.add("Mean of each outcome per level:", "", _table(table))


def _by_section(w: _Writer, ok: pd.DataFrame, by: str) -> None:
    s = slug(by)
    w.add(f"## By {_named(by)}", "")
    lev = analysis.levels(ok, by)
    counts = lev.value_counts(sort=False)
    if ok[by].nunique() > analysis.MAX_LEVELS:
        w.add(
            f"{_named(by)} is continuous here: binned into {len(counts)} quantile levels "
            f"({', '.join(map(str, counts.index))}).",
            "",
        )
    if {"lifetime", "survived"} <= set(ok.columns):
        km = analysis.kaplan_meier(ok, by)
        km_data = w.csv(km, f"survival_{s}")
        test = analysis.logrank(ok, by) if len(counts) > 1 else None
        fig, ax = style.new_figure(w.width)
        plots.survival_curves(km, ax, p=test["p"] if test else None, horizon=w.res.horizon)
        w.figure(fig, f"survival_{s}", _survival_caption(by), km_data)
        median = analysis.median_lifetime(ok, by)
        grid_share = ok.assign(_l=lev.to_numpy()).groupby("_l", observed=True)["survived"]
        median["survived_share"] = grid_share.mean().reindex(median["level"]).to_numpy()
        w.csv(median, f"median_lifetime_{s}")
        shown = median[["level", "n", "events", "survived_share", "median", "lower", "upper"]]
        w.add(
            "Median lifetime in months with its 95% interval (n/a: not reached before the "
            "horizon):",
            "",
            _table(shown),
        )
        if test is not None:
            w.add(
                f"Log-rank test across the {test['levels']} levels: chi-square "
                f"{test['statistic']:.2f}, df {test['df']}, {plots.format_p(test['p'])}.",
                "",
            )
            pairs = analysis.pairwise_logrank(ok, by)
            w.csv(pairs, f"logrank_pairs_{s}")
            w.add(
                "Adjacent levels (Holm-adjusted):",
                "",
                _table(pairs[["level_a", "level_b", "statistic", "p", "p_holm"]]),
            )
        w.csv(analysis.hazard(ok, by), f"hazard_{s}")
    else:
        outcomes = _outcomes(w.res, ok)
        if outcomes:
            _means(w, ok, by, outcomes)
    if "outcome" in ok.columns:
        profile = analysis.outcome_profile(ok, by)
        data = w.csv(profile, f"outcomes_{s}")
        fig, ax = style.new_figure(w.width, aspect=0.6)
        plots.outcome_bars(profile, ax)
        w.figure(fig, f"outcomes_{s}", f"Outcome classes by {name_label(by)}", data)
        wide = profile.pivot_table(index="level", columns="outcome", values="share", sort=False)
        wide = wide[[c for c in OUTCOMES if c in wide.columns]].reset_index()
        w.add("Shares of the outcome classes:", "", _table(_outcome_columns(wide)))


def _survival_caption(by: str) -> str:
    return (
        f"Kaplan-Meier survival by {name_label(by)}, with pointwise 95% log-log bands "
        "(they stay inside [0, 1])"
    )


def _grid(w: _Writer, ok: pd.DataFrame, x: str, y: str) -> None:
    grid = analysis.survival_grid(ok, x, y)
    name = f"grid_{slug(x)}_{slug(y)}"
    data = w.csv(grid, name)
    w.add(f"## Survival over {_named(x)} and {_named(y)}", "")
    w.add(
        "Share of alliances surviving to the horizon in each cell, with its 95% Wilson "
        "interval (lower to upper bound).",
        "",
    )
    fig, ax = style.new_figure(w.width, aspect=0.85)
    plots.survival_heatmap(grid, ax)
    caption = f"Survival over {name_label(x)} and {name_label(y)}"
    w.figure(fig, name, caption, data)


def _transformation(w: _Writer, ok: pd.DataFrame) -> None:
    if "outcome" not in ok.columns:
        return
    summary = analysis.transformation_summary(ok, "outcome")
    if summary.empty:
        return
    w.add("## Transformation", "")
    data = w.csv(summary, "transformation_by_outcome")
    summary = summary.assign(
        value=[
            f"{_fmt(m)} ({_fmt(a)} to {_fmt(b)})"
            for m, a, b in zip(summary["median"], summary["q25"], summary["q75"], strict=True)
        ]
    )
    wide = summary.pivot_table(index="metric", columns="level", values="value", aggfunc="first")
    order = [m for m in analysis.TRANSFORMATION_METRICS if m in wide.index]
    wide = wide.reindex(order)[[c for c in OUTCOMES if c in wide.columns]]
    w.add(
        "How alliances changed, by outcome class: median (interquartile range).",
        "",
        _table(_labelled(_outcome_columns(wide).reset_index(), "metric", unit=True)),
        f"Data: [{Path(data).name}]({data})",
        "",
    )
    _trajectories(w, ok)


def _trajectories(w: _Writer, ok: pd.DataFrame) -> None:
    """Median trajectories with their bands, one panel per series and outcome class."""
    res = w.res
    series = [s for s in TRAJECTORY_SERIES if s in res.columns("timeseries")]
    if not series:
        return
    bands = pd.concat([analysis.trajectory_bands(res, s) for s in series], ignore_index=True)
    data = w.csv(bands, "trajectories_by_outcome")
    classes = [c for c in OUTCOMES if (bands["level"] == c).any()]
    fig, axes = style.new_figure(
        "two",
        aspect=0.24 * len(series),
        nrows=len(series),
        ncols=len(classes),
        sharex=True,
        sharey="row",
        squeeze=False,
    )
    for row, name in enumerate(series):
        for col, outcome in enumerate(classes):
            ax = axes[row][col]
            part = bands[(bands["series"] == name) & (bands["level"] == outcome)]
            plots.trajectory_fan(part, ax, legend=False)
            if row == 0:
                runs = int((ok["outcome"] == outcome).sum())
                ax.set_title(f"{OUTCOME_LABELS.get(outcome, outcome)} (n = {runs})")
            if row < len(series) - 1:
                ax.set_xlabel("")
            if col > 0:
                ax.set_ylabel("")
    # the panels share the x-axis: span every class's months, not the first panel's
    axes[0][0].set_xlim(0, float(bands["step"].max()))
    w.figure(
        fig,
        "trajectories_by_outcome",
        "Trajectories by outcome class (n: runs): median, and the bands holding the middle "
        "50% and 90% of the runs still going (quantiles of the runs, drawn where at least "
        f"{plots.MIN_RUNS} runs go on)",
        data,
    )


def _crises(w: _Writer) -> None:
    if "outcome" not in w.res.ok.columns:
        return
    crises = analysis.crisis_metrics(w.res, "outcome")
    metrics = [m for m in ("robustness", "recovery_time") if m in crises.columns]
    if crises.empty or not metrics:
        return
    w.add("## Crises", "")
    summary = analysis.resilience_summary(w.res, "outcome")
    w.csv(summary, "resilience_by_outcome")
    data = w.csv(crises, "crises_by_outcome")
    shown = _labelled(summary[["level", "metric", "n", "median", "q25", "q75"]], "level")
    w.add(
        f"{len(crises)} crisis episodes. Robustness is the lowest performance over the "
        "performance before the crisis; recovery time is in months.",
        "",
        _table(_labelled(shown, "metric", unit=True)),
    )
    fig, axes = style.new_figure("two", aspect=0.42, ncols=len(metrics))
    axes = list(axes) if len(metrics) > 1 else [axes]
    for ax, metric in zip(axes, metrics, strict=True):
        plots.resilience_distributions(crises, ax, metric)
    caption = "Per-crisis resilience by outcome class (n: crises per class; whiskers to 1.5 IQR)"
    w.figure(fig, "resilience_by_outcome", caption, data)


def _report_parameters(res: Results, by: str | Sequence[str] | None) -> list[str]:
    """The parameters to report by: ``by``, or the swept ones, most influential first."""
    if by is None:
        params, _ = _order_by_sensitivity(res, res.parameters)
        return params[:MAX_BY]
    params = [by] if isinstance(by, str) else list(by)
    known = set(res.parameter_columns) | ({"outcome"} if "outcome" in res.ok.columns else set())
    for name in params:
        if name not in known:
            raise InputError(
                "--by",
                name,
                f"not a parameter of the store {res.path} "
                f"(parameters: {', '.join(res.parameter_columns) or 'none'})",
            )
    return params


def _header(w: _Writer) -> None:
    """Title, the partial-results warning, the description and the provenance."""
    res = w.res
    status = res.status
    w.add(f"# {res.name}", "")
    if res.partial or status["failed"]:
        w.add(
            f"> **Partial results.** {status['done']} of {status['planned']} planned runs are "
            f"done ({status['pending']} pending, {status['failed']} failed); everything below "
            "covers the finished runs only. Run the same sweep command again (or the missing "
            "shards) to complete it.",
            "",
        )
    if res.description:
        w.add(res.description, "")
    _provenance(w)


def _hazard(w: _Writer, ok: pd.DataFrame) -> None:
    hz = analysis.hazard(ok, None)
    data = w.csv(hz, "hazard_all")
    fig, ax = style.new_figure(w.width, aspect=0.6)
    plots.hazard_steps(hz, ax)
    w.add("## Hazard by age", "")
    w.figure(fig, "hazard_all", "Ends per alliance-year by age (95% intervals)", data)


def _body(w: _Writer, ok: pd.DataFrame, params: list[str]) -> None:
    """Every section of the report, in order, for the finished runs ``ok``."""
    survival = {"lifetime", "survived"} <= set(ok.columns)
    _overview(w, ok)
    if survival:
        _ranking(w, ok, params)
    if w.res.method in ("sobol", "morris"):
        _sensitivity(w, ok)
    for name in params:
        if name in ok.columns:
            _by_section(w, ok, name)
    swept = [p for p in params if p in ok.columns and p != "outcome"]
    if len(swept) >= 2 and "survived" in ok.columns:
        _grid(w, ok, swept[0], swept[1])
    _transformation(w, ok)
    if survival:
        _hazard(w, ok)
    _crises(w)


def write_report(
    path: str | os.PathLike[str],
    formats: Sequence[str] = style.FORMATS,
    by: str | Sequence[str] | None = None,
    *,
    width: str = "one",
) -> Path:
    """Write the report of a results store.

    Args:
        path: the store folder.
        formats: figure formats (``pdf``, ``svg``, ``png``).
        by: the parameter(s) to report by; default every swept parameter, the most
            influential first when the design gives sensitivity indices.
        width: figure width, ``"one"`` or ``"two"`` columns.

    A calibration's store gets its own report (:mod:`sim.figures.calibration`).

    Returns:
        The path of ``report.md``.

    Raises:
        StoreError: not a readable store.
        InputError: unknown format or ``by`` not a column of the runs.
    """
    for fmt in formats:
        if fmt not in style.FORMATS:
            raise InputError(
                "--format",
                None,
                f"unknown figure format {fmt!r} (one of {', '.join(style.FORMATS)})",
            )
    if store_kind(read_manifest(path)) == CALIBRATION:
        if by is not None:
            raise InputError("--by", None, "applies to a sweep's store, not a calibration's")
        from sim.figures.calibration import write_calibration_report

        return write_calibration_report(path, formats, width)
    res = analysis.load(path)
    params = _report_parameters(res, by)
    with _Writer(res, formats, width) as w:
        _header(w)
        _precision(w)
        if res.ok.empty:
            w.add("No finished runs yet.", "")
        else:
            with style.context():
                _body(w, res.ok, params)
        return w.write()


def export_csv(
    path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Write the store's tables as CSV files (for people who don't use Python).

    An alliance store's ``phase`` series is written by name (``sim.names.PHASES``).

    Args:
        path: the store folder.
        out: the folder for the CSV files (default ``DIR/csv``).

    Returns:
        The files written: ``design.csv``, ``runs.csv``, and when present
        ``sample.csv``, ``crises.csv``, ``timeseries.csv``.

    Raises:
        StoreError: the store cannot be read (nothing is written), the folder is a file
            or a CSV file's name is taken by something else. Every table is read, then
            written under a temporary name; the files replace the earlier ones at the end.
    """
    res = analysis.load(path)
    folder = Path(out) if out is not None else res.path / "csv"
    tables = {"design": res.design, "runs": res.runs}
    if res.sample is not None:
        tables["sample"] = res.sample
    tables["crises"] = res.crises
    tables["timeseries"] = res.timeseries
    if res.manifest.get("model", "alliance") == "alliance" and "phase" in res.timeseries:
        tables["timeseries"] = res.timeseries.assign(phase=res.timeseries["phase"].map(phase_name))
    tables = {
        name: frame
        for name, frame in tables.items()
        if not (frame.empty and name in ("crises", "timeseries"))
    }
    if folder.exists() and not folder.is_dir():
        raise StoreError(folder, "not a folder; export cannot write into it")
    for name in tables:
        target = folder / f"{name}.csv"
        if target.exists() and not target.is_file():
            raise StoreError(target, "not a regular file; export cannot replace it")
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    temporaries: dict[Path, Path] = {}
    try:
        for name, frame in tables.items():
            target = folder / f"{name}.csv"
            temporaries[target] = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
            frame.to_csv(temporaries[target], index=False, lineterminator="\n")
        for target, temporary in temporaries.items():
            os.replace(temporary, target)
    except BaseException:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return list(temporaries)
