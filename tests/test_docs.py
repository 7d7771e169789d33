"""docs/model.md stays true to the code: constants, mechanisms, step order."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from sim.kernel import schedule as mechanisms
from sim.parameters import CONSTANTS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
AGE_TRUST = "survey, each run at a drawn month: age and mean trust (Pearson r)"
"""scripts/trust_performance.py's name for the age-trust correlation of its survey."""


def test_constants_table_in_the_docs_is_current(load_script):
    script = load_script("constants_table")
    assert script.documented_table(DOC) == script.table(), (
        "run: python scripts/constants_table.py --write"
    )


def test_every_constant_is_described():
    for constant in CONSTANTS:
        assert f"`{constant.name}`" in DOC, constant.name


def test_the_step_is_listed_in_the_order_the_code_calls_it():
    source = inspect.getsource(mechanisms.step)
    calls = re.findall(r"^\s+(?:if )?(\w+)\(s, ", source, re.MULTILINE)
    assert len(calls) >= 15
    schedule = DOC[DOC.index("### 1.3") : DOC.index("## 2.")]
    positions = []
    for name in calls:
        assert f"`{name}(" in schedule, name
        positions.append(schedule.index(f"`{name}("))
    assert positions == sorted(positions), "docs/model.md lists the step out of order"


def _is_call(node: object, name: str) -> bool:
    import ast

    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _switch_readers() -> dict[str, set[tuple[str, str]]]:
    """For each kernel function: the (quality, switch) pairs of its ``quality_level`` calls,
    the switch resolved from the module's ``SW_NAME = _ix("switch_name")`` lines."""
    import ast

    found: dict[str, set[tuple[str, str]]] = {}
    for path in (ROOT / "sim" / "kernel").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        index = dict(re.findall(r'^(SW_\w+) = _ix\("switch_(\w+)"\)', source, re.M))
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef):
                continue
            for inner in ast.walk(node):
                if _is_call(inner, "quality_level"):
                    quality, switch = inner.args[2], inner.args[3]
                    assert isinstance(quality, ast.Attribute) and isinstance(switch, ast.Name)
                    pair = (quality.attr.lower(), index[switch.id])
                    found.setdefault(node.name, set()).add(pair)
    return found


def test_each_mechanism_switch_is_read_once_with_its_own_quality():
    """Every switch of ``MECHANISM_SWITCHES`` guards exactly one read of its quality in the
    kernel, and every read of a quality (concentration aside) goes through a switch."""
    from sim.parameters import MECHANISM_SWITCHES

    pairs = [pair for found in _switch_readers().values() for pair in found]
    expected = [(quality, name) for name, quality, _ in MECHANISM_SWITCHES]
    assert sorted(pairs) == sorted(expected)
    plain = {q for info in _quality_readers().values() for q in info["plain"]}
    assert plain <= {"concentration"}


def _quality_readers() -> dict[str, dict[str, set[str]]]:
    """For each kernel function reading ``q[L.NAME]``: the names it reads and the
    functions it calls (by the AST of ``sim/kernel/*.py``)."""
    import ast

    readers: dict[str, dict[str, set[str]]] = {}
    for path in (ROOT / "sim" / "kernel").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            read, calls, plain = set(), set(), set()
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Subscript)
                    and isinstance(inner.value, ast.Name)
                    and inner.value.id == "q"
                    and isinstance(inner.slice, ast.Attribute)
                ):
                    read.add(inner.slice.attr.lower())
                    plain.add(inner.slice.attr.lower())
                if _is_call(inner, "quality_level") and isinstance(inner.args[2], ast.Attribute):
                    read.add(inner.args[2].attr.lower())
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name):
                    calls.add(inner.func.id)
            if read:
                readers[node.name] = {"reads": read, "calls": calls, "plain": plain}
    return readers


def test_each_quality_acts_only_through_the_mechanisms_the_docs_name():
    """Where a quality's value is read in the kernel is where docs/model.md 3.4 says it
    acts (the function itself, or a mechanism it calls): no undocumented path."""
    from sim.names import QUALITIES

    section = DOC[DOC.index("### 3.4 Quality-to-mechanism map") : DOC.index("### 3.5")]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| [0-9-]+ \| `(\w+)` \| ([^|]*)\|", line)
        if match:
            rows[match.group(1)] = set(re.findall(r"`(\w+)`", match.group(2)))
    assert set(QUALITIES) <= set(rows)
    readers = _quality_readers()
    for quality in QUALITIES:
        found = [name for name, info in readers.items() if quality in info["reads"]]
        assert found, quality
        for name in found:
            named = name in rows[quality] or readers[name]["calls"] & rows[quality]
            assert named, f"{quality} is read in {name}, which docs/model.md 3.4 does not name"


def _section(start: str, end: str) -> str:
    return DOC[DOC.index(start) : DOC.index(end)]


def test_every_summary_key_metric_and_crisis_field_is_defined_in_the_docs():
    from sim import simulate
    from sim.names import METRICS

    section = _section("#### 3.3.19", "### 3.4")
    table_rows = [line for line in section.splitlines() if line.startswith("| `")]
    summary = simulate("scandal", rng=3)
    assert summary["crises"], "the scandal run has a crisis to read the fields from"
    names = [*METRICS, *summary, *summary["crises"][0]]
    assert set(summary["metrics"]) == set(METRICS)
    for name in names:
        listed = any(f"`{name}`" in row.split(" | ")[0] for row in table_rows)
        assert (
            listed
            or re.search(rf"^{name}\s+=", section, re.MULTILINE)
            or (f"`{name}`" in section.split("```")[0])
        ), f"{name} is not defined in docs/model.md 3.3.19"


def test_the_docs_count_the_targets_of_the_code():
    from sim.validation.targets import OPEN_TARGETS, TARGETS

    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen")  # fmt: skip
    section = _section("## 4. Calibration targets", "## 5.")
    listed = re.findall(r"^(\d+)\. \*\*", section, re.MULTILINE)
    assert len(listed) == len(TARGETS) + len(OPEN_TARGETS)
    assert (
        f"runs the {words[len(TARGETS)]} targets of `sim.validation.targets.TARGETS`"
        in " ".join(section.split())
    )
    opened = (
        "the open target of"
        if len(OPEN_TARGETS) == 1
        else f"the {words[len(OPEN_TARGETS)]} open targets of"
    )
    assert opened in " ".join(section.split())


def test_the_documented_fragmentation_figures_are_the_scripts(load_script):
    """Item 22 and Known limitations quote scripts/dissolution_sensitivity.py."""
    script = load_script("dissolution_sensitivity")
    low = script.runs({}, script.LOW)
    fragmented = [state for summary, state in low if summary["outcome"] == "fragmentation"]
    assert f"{script.share(low, 'fragmentation'):.3f} at the defaults" in DOC
    assert f"{len(fragmented)} of target\n  14's {script.RUNS} runs end fragmented" in DOC
    since = sum(script.split_since_founding(state) for state in fragmented)
    assert f"In {since} of them the camps have been apart since the first month" in DOC


def test_the_documented_degraded_figures_are_the_script(load_script):
    """Known limitations quotes scripts/degraded_members.py."""
    script = load_script("degraded_members")
    found = script.figures()
    text = " ".join(DOC.split())
    show, base = found["regime-shift"], found["baseline"]
    assert (
        f"Of target 14's {script.SHOWCASE_RUNS} `regime-shift` showcase runs, "
        f"{show['degraded']} end degraded. Over their later life they kept a median "
        f"{show['kept']:.2f} of their founding members, and their performance per active "
        f"member stood at a median {show['ratio']:.2f} times its founding level; none of them "
        f"kept {script.SHARE:g} of its members, and in none did that ratio fall below "
        f"{script.SHARE:g}." in text
    )
    assert show["kept their members"] == 0 and show["ratio below the share"] == 0
    assert (
        f"Of {script.BASELINE_RUNS} baseline runs at the preset, {base['degraded']} end "
        f"degraded, with {base['kept']:.2f} and {base['ratio']:.2f}; "
        f"{base['kept their members']} of them kept {script.SHARE:g} of their members, and in "
        f"{base['ratio below the share']} the ratio fell below {script.SHARE:g}" in text
    )


def test_the_documented_trust_performance_figures_are_the_script(load_script):
    """Known limitations (open target 6) quotes scripts/trust_performance.py."""
    found = load_script("trust_performance").figures()
    last_year_cut = "without collapsed runs' last 12 months"
    text = " ".join(DOC.split())
    residual = next(v for k, v in found.items() if k.startswith("Pearson r of the residuals"))
    assert f"the Pearson correlation is {residual:.2f} ({found['Pearson r']:.2f} before)" in text
    munificence = found["all runs without munificence (munificence_spread 0)"]
    assert f"Without munificence it is {munificence:.2f} (the same script" in text
    assert (
        f"Among survivors the correlation is {found['survivors']:.2f}, among collapsed runs "
        f"{found['collapsed']:.2f}; a run's mean trust correlates "
        f"{found['lifetime and mean trust']:.2f} with its lifetime, its mean performance "
        f"{found['lifetime and mean performance']:.2f}. Over the first 36 months of every run "
        f"it is {found['months 1-36 only']:.2f}, over the first 60 months "
        f"{found['months 1-60 only']:.2f}, and without the last 12 months of collapsed runs "
        f"{found[last_year_cut]:.2f}" in text
    )
    age = found[AGE_TRUST]
    assert f"alliance's age and its mean trust is {age:.2f} (" in text
    assert age > 0.5  # large by Cohen's conventions, as the text says
    median = found["survivors' median trust in month 120"]
    spread = found["survivors' standard deviation of trust in month 120"]
    assert (
        f"in month 120 its median is {median:.2f} and its standard deviation across "
        f"surviving alliances {spread:.2f}" in text
    )


def test_the_documented_survey_figures_are_the_script(load_script):
    """Known limitations (open target 6) quotes the surveys of scripts/trust_performance.py."""
    script = load_script("trust_performance")
    found, without_link = (
        script.figures(overrides=overrides)
        for overrides in (None, {"constants.shortfall_distrust": 0.0})
    )
    text = " ".join(DOC.split())

    def same_month(figures):
        values = [
            figures[f"survey of every alliance existing at month {m}"] for m in script.SURVEY_AT
        ]
        return f"{min(values):.2f}-{max(values):.2f}"

    months = ", ".join(str(m) for m in script.SURVEY_AT[:-1]) + f" and {script.SURVEY_AT[-1]}"
    drawn = found["survey, each run at a drawn month"]
    given = found["survey, each run at a drawn month, given that month (partial)"]
    assert (
        f"the correlation is {same_month(found)} when every run is surveyed at the same month "
        f"(months {months})" in text
    )
    assert f"and {drawn:.2f} when each run is surveyed at a month drawn uniformly" in text
    assert f"given the survey month that falls to {given:.2f}" in text
    assert f"the same-month surveys give {same_month(without_link)}" in text
    assert (
        f"Given the lifetime, the partial rank correlation is "
        f"{found['all runs, given lifetime (partial)']:.2f}" in text
    )


def test_the_documented_levers_of_the_trust_performance_link_are_the_script(load_script):
    """Known limitations (open target 6) quotes the levers of scripts/trust_performance.py."""
    found = list(load_script("trust_performance").lever_figures().values())
    over_all, age = ([pair[k] for pair in found] for k in (0, 1))
    text = " ".join(DOC.split())
    assert f"120, it is {over_all[0]:.2f}; with trust built twice as fast" in text
    assert f"(`trust_build` 0.08), {over_all[1]:.2f}; with partners' delivery" in text
    assert f"(`shortfall_distrust` 0.6), {over_all[2]:.2f}. A stronger channel" in text
    assert (
        f"{age[0]:.2f} with the founding trust at 0.85, {age[1]:.2f} with trust built twice "
        f"as fast, {age[2]:.2f} with delivery twice as dependent on trust, and {age[3]:.2f} "
        "with the founding trust at 0.85 and members expecting it" in text
    )
    assert f"the correlation over all runs is then {over_all[3]:.2f})" in text


@pytest.mark.slow
def test_the_documented_trust_performance_figures_on_2000_runs_are_the_script(load_script):
    """Known limitations quotes scripts/trust_performance.py 2000 (about 20 s)."""
    found = load_script("trust_performance").figures(2000)
    text = " ".join(DOC.split())
    command = "`python scripts/trust_performance.py 2000`"
    last_year_cut = found["without collapsed runs' last 12 months"]
    given = found["survey, each run at a drawn month, given that month (partial)"]
    assert f"on 2,000 runs ({command}) it is {found['all runs']:.2f}" in text
    assert (
        f"{command} gives {found['survivors']:.2f} among survivors, "
        f"{found['months 1-36 only']:.2f} over the first 36 months and "
        f"{last_year_cut:.2f} without the last year" in text
    )
    assert f"({given:.2f} on 2,000 runs), so the" in text
    assert f"({found[AGE_TRUST]:.2f} on 2,000 runs), large by" in text


def test_a_survey_takes_the_year_up_to_its_month_of_an_alliance_that_still_exists(
    load_script,
):
    script = load_script("trust_performance")
    steps = np.arange(0, 51)
    series = {"step": steps, "mean_trust": steps / 100, "performance": steps / 10}
    collapsed = {"outcome": "collapse", "lifetime": 50, "series": series}
    assert script.survey(collapsed, 50) is None and script.survey(collapsed, 51) is None
    assert script.survey(collapsed, 49) == pytest.approx((0.435, 4.35))  # months 38..49
    survivor = {"outcome": "recovery", "lifetime": 50, "series": series}
    assert script.survey(survivor, 50) == pytest.approx((0.445, 4.45))
    no_ties = dict(series, mean_trust=np.full(51, np.nan))
    assert script.survey({"outcome": "recovery", "lifetime": 50, "series": no_ties}, 30) is None
    months = script.survey_months(5000, 3, 40)
    assert months.min() == script.SURVEY_WINDOW and months.max() == 40
    table = np.array([[0.2, 0.0, 12.0], [0.4, 0.0, 24.0], [0.3, 0.0, 36.0]])
    assert script.age_trust(table) == pytest.approx(0.5)  # r of (12, 24, 36) and (.2, .4, .3)


def test_the_trust_performance_script_reads_only_the_months_a_shorter_horizon_has(load_script):
    script = load_script("trust_performance")
    found = script.figures(30, {"horizon": 100})
    assert "survey of every alliance existing at month 90" in found
    assert not any(key.endswith(f"month {month}") for key in found for month in (120, 150, 180))
    assert "survivors' standard deviation of trust in month 100" in found


@pytest.mark.slow
def test_the_documented_performance_need_moves_are_the_script(load_script):
    """Known limitations quotes scripts/knife_edge.py on 2,000 pairs (about 20 s)."""
    script = load_script("knife_edge")
    text = " ".join(DOC.split())
    found = {
        seed: [max(abs(v) for v in change.values()) for change in script.moves(
            "performance_need", 2000, seed).values()]
        for seed in (20261139, 14, 1)
    }  # fmt: skip
    (a, b), (c, d), (e, f) = found.values()
    assert (
        f"are {a:.3f} and {b:.3f} on target 11's own seeds (20261139), {c:.3f} and {d:.3f} on "
        f"root seed 3's (14) and {e:.3f} and {f:.3f} on a third set (1)" in text
    )


@pytest.mark.slow
def test_the_quoted_sweep_and_discovery_figures_are_the_script(load_script):
    """README and docs/sweeps.md quote scripts/sweep_figures.py (about 45 s)."""
    found = load_script("sweep_figures").figures()
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    sweeps = " ".join((ROOT / "docs" / "sweeps.md").read_text(encoding="utf-8").split())
    runs, fixed = (
        found["quickstart-precise runs"],
        found["fixed runs for every point to reach 0.05"],
    )
    assert (
        f"needs {runs} runs, where a fixed sweep precise to 0.05 at every point needs {fixed}"
        in readme
    )
    replicates = found["quickstart-precise replicates per point"]
    assert f"It needed {runs} runs in {found['quickstart-precise rounds']} rounds" in sweeps
    assert f"a fixed sweep needs {max(replicates)} replicates per point, {fixed} runs" in sweeps
    low, high = found["quickstart survival shares"]
    assert f"share between {low:.2f} and {high:.2f}" in sweeps
    aimed = list(found["adaptive runs aimed at the quickstart's largest half-width"].values())
    assert (
        f"largest half-width of {found['quickstart largest half-width']} over its points; an "
        f"adaptive sweep with {found['quickstart largest half-width']} as its target needs "
        f"{aimed[0]} runs" in sweeps
    )
    assert f"{aimed[1]} with `min = step = 10` and {aimed[2]} with `min = 10, step = 5`" in sweeps
    share = 100 * found["collapse share"]
    assert f"Of the {found['runs']:,} runs, {share:.1f}% collapse" in readme
    assert f"box {found['chosen box']} of {found['boxes']}:" in readme
    coverage, density = found["chosen coverage"], found["chosen density"]
    assert (
        f"holds {round(100 * coverage)}% of the collapses at a density of {density:.2f}" in readme
    )
    limits = found["chosen limits (parameter, low end or None, high end or None, quasi-p)"]
    last = (found["last box coverage"], found["last box density"], found["last box restrictions"])
    assert (
        f"coverage {last[0]:.2f} at density {last[1]:.2f} with {last[2]} restrictions, against "
        f"{coverage:.2f} at {density:.2f} with {len(limits)})" in sweeps
    )
    paradox = limits[0]
    assert paradox[0] == "leadership.paradox_navigation"
    assert f"dealing with paradoxes at most {paradox[2]:.2f}" in readme
