"""``alliance-sim bench --demo``: how quickly the teaching demo responds in a browser.

The demo is served as ``alliance-sim demo`` serves it (:mod:`sim.app.server`) on a free
127.0.0.1 port and driven in headless Chromium through Playwright. Times are taken in the
page itself (``performance.now()``, polled once per animation frame):

- page ready: from navigation to the Step button being enabled (the first usable
  control), and to the network figure being shown; on a fresh server, then on a reload;
- Step: from the click to the month counter showing the next month, and to every figure
  showing the new month (median and max over a number of steps);
- Play at one month per frame: months shown per second over a window of seconds.

In the same run, in this process: the time of one month of :class:`sim.model.AllianceModel`
(``model.step()``) and of one Step of the page rendered without a browser (the month and
the redraw of its components and figures), so that the browser's figures read also as a
ratio of what the server itself spends.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

TARGETS: dict[str, tuple[str, str, float]] = {
    "ready_s": ("page usable after navigation", "<=", 3.0),
    "step_s": ("Step, click to the next month (median)", "<=", 0.3),
    "play_months_per_s": ("Play at one month per frame", ">=", 5.0),
}
"""Target key -> (what, comparison, limit)."""

FULL: dict[str, Any] = {"steps": 10, "play_seconds": 10.0, "inprocess_repeats": 20}
QUICK: dict[str, Any] = {"steps": 2, "play_seconds": 2.0, "inprocess_repeats": 2}
PAGE_TIMEOUT_MS = 120_000

_MONTH = "() => parseInt(document.querySelector('.alliance-month').innerText.split(' ')[1])"

_READY_JS = """async (timeout) => {
  const enabled = () => [...document.querySelectorAll('button.step-btn')].some(
    (b) => !b.disabled && b.offsetParent !== null);
  const figure = () => document.querySelector('.alliance-network img');
  const times = {};
  return await new Promise((resolve, reject) => {
    const tick = () => {
      const now = performance.now();
      if (times.ready === undefined && enabled()) times.ready = now;
      if (times.figure === undefined && figure()) times.figure = now;
      if (times.ready !== undefined && times.figure !== undefined) resolve(times);
      else if (now > timeout) reject(new Error('page not ready'));
      else requestAnimationFrame(tick);
    };
    tick();
  });
}"""

_STEP_JS = (
    """async (timeout) => {
  const month = """
    + _MONTH
    + """;
  const sources = () => [...document.querySelectorAll('.alliance-figure img')].map((i) => i.src);
  const before = month(), images = sources();
  const button = document.querySelector('button.step-btn');
  const start = performance.now();
  button.click();
  const times = {};
  return await new Promise((resolve, reject) => {
    const tick = () => {
      const now = performance.now() - start;
      if (times.counter === undefined && month() !== before) times.counter = now;
      const shown = sources();
      if (times.figures === undefined && shown.every((src, k) => src !== images[k]))
        times.figures = now;
      if (times.counter !== undefined && times.figures !== undefined) resolve(times);
      else if (now > timeout) reject(new Error('Step did not show the next month'));
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}"""
)

_PLAY_JS = (
    """async (seconds) => {
  const month = """
    + _MONTH
    + """;
  const first = month();
  document.querySelector('button.play-btn').click();
  return await new Promise((resolve) => {
    const begun = performance.now();
    let start, startMonth, last, lastTime;
    const tick = () => {
      const now = performance.now(), shown = month();
      if (start === undefined && shown !== first) {
        start = now; startMonth = shown;
      }
      if (start !== undefined && shown !== last) {
        last = shown; lastTime = now;
      }
      if (start === undefined) {
        if (now - begun > 30000) resolve({months: 0, seconds: (now - begun) / 1000});
        else requestAnimationFrame(tick);
        return;
      }
      const ended = now - lastTime > 3000;
      if (now - start >= seconds * 1000 || ended) {
        const end = ended ? lastTime : now;
        resolve({months: last - startMonth, seconds: (end - start) / 1000});
      } else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}"""
)


def unavailable() -> str | None:
    """Why the demo bench cannot run here (no Chromium, Playwright or front-end files), or None."""
    import importlib.util

    from sim.app.assets import missing_assets
    from sim.app.server import CHROMIUM

    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (install it with: sudo apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (install it with: pip install playwright)"
    missing = missing_assets()
    if missing:
        return (
            f"Solara's front-end assets are missing ({', '.join(missing)}); "
            "start 'alliance-sim demo' once while online: it fetches them"
        )
    return None


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


# ----------------------------------------------------------------------------------------
# In this process: the model's month and the figures' redraw
# ----------------------------------------------------------------------------------------


def bench_inprocess(repeats: int) -> dict[str, float]:
    """Median seconds of one month of the demo's model, and of one Step of its page.

    The page is rendered here with ``solara.render`` (no browser, no server): a Step is
    the model's month plus the page's redraw (its components and figures).
    """
    import solara

    from sim.app import Page, new_state

    model = new_state().models.value[0]
    state = new_state()
    _, context = solara.render(Page(state=state), handle_error=False)
    try:
        steps, pages = [], []
        for _ in range(repeats):
            steps.append(_seconds(model.step))
            pages.append(_seconds(state.step))
    finally:
        context.close()
    return {"repeats": repeats, "model_step_s": _median(steps), "page_step_s": _median(pages)}


def _seconds(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# ----------------------------------------------------------------------------------------
# In the browser
# ----------------------------------------------------------------------------------------


def _open(browser: Any, url: str) -> tuple[Any, dict[str, float]]:
    """A new page at ``url`` and its ready times (seconds from navigation)."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
    times = page.evaluate(_READY_JS, PAGE_TIMEOUT_MS)
    return page, {key: value / 1000 for key, value in times.items()}


_AT_ZERO = "() => document.querySelector('.alliance-month').innerText.startsWith('Month 0 ')"


def drive(url: str, steps: int, play_seconds: float) -> dict[str, Any]:
    """Open the demo at ``url`` in headless Chromium and time page ready, Step and Play."""
    from playwright.sync_api import sync_playwright

    from sim.app.server import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            page, first = _open(browser, url)
            page.close()
            page, again = _open(browser, url)
            step_times = []
            for _ in range(steps):
                step_times.append(page.evaluate(_STEP_JS, PAGE_TIMEOUT_MS))
                page.wait_for_timeout(300)
            page.locator("button.reset-btn").last.click()
            page.wait_for_function(_AT_ZERO)
            play = page.evaluate(_PLAY_JS, play_seconds)
            pause = page.get_by_role("button", name="Pause")
            if pause.count():
                pause.click()
        finally:
            browser.close()
    counter = [t["counter"] / 1000 for t in step_times]
    figures = [t["figures"] / 1000 for t in step_times]
    return {
        "ready_first_s": first["ready"],
        "figure_first_s": first["figure"],
        "ready_again_s": again["ready"],
        "figure_again_s": again["figure"],
        "steps": steps,
        "step_median_s": _median(counter),
        "step_max_s": max(counter),
        "step_figures_median_s": _median(figures),
        "step_figures_max_s": max(figures),
        "play_months": int(play["months"]),
        "play_seconds": float(play["seconds"]),
        "play_months_per_s": play["months"] / max(play["seconds"], 1e-9),
    }


def serve_and_drive(steps: int, play_seconds: float) -> dict[str, Any]:
    """Start the demo's server as ``alliance-sim demo`` does, drive it, and stop it."""
    from sim.app.server import HOST, free_port, server_env, start_server, stop_server, warm_up
    from sim.locations import PACKAGE_DIR, child_environment

    warm_up()
    env = child_environment(server_env())
    port = free_port()
    with tempfile.TemporaryFile() as log:
        try:
            process = start_server(port, env, PACKAGE_DIR.parent, log)
        except RuntimeError as err:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{err}: {' / '.join(tail)}") from None
        try:
            return drive(f"http://{HOST}:{port}/", steps, play_seconds)
        finally:
            stop_server(process)


# ----------------------------------------------------------------------------------------
# The whole demo bench
# ----------------------------------------------------------------------------------------


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met."""
    browser = results["browser"]
    values = {
        "ready_s": browser["ready_first_s"],
        "step_s": browser["step_median_s"],
        "play_months_per_s": browser["play_months_per_s"],
    }
    from sim.bench.run import compare

    return compare(values, TARGETS)


def format_report(results: dict[str, Any]) -> str:
    """The demo bench's results for humans."""
    b, own = results["browser"], results["inprocess"]
    met = {c["target"]: "met" if c["met"] else "MISSED" for c in results["targets"]}
    lines = [
        f"alliance-sim bench --demo ({results['cores']} cores, load average "
        f"{results['load_before']:.2f} before; headless Chromium)",
        f"  page ready     Step usable {b['ready_first_s']:.2f} s after navigation, network "
        f"shown {b['figure_first_s']:.2f} s (fresh server); reload {b['ready_again_s']:.2f} s "
        f"and {b['figure_again_s']:.2f} s   target <= 3 s: {met['ready_s']}",
        f"  Step           click to the next month: median {b['step_median_s']:.3f} s, max "
        f"{b['step_max_s']:.3f} s; to every figure: median {b['step_figures_median_s']:.3f} "
        f"s, max {b['step_figures_max_s']:.3f} s ({b['steps']} steps)   target <= 0.3 s: "
        f"{met['step_s']}",
        f"  Play           one month per frame: {b['play_months_per_s']:.1f} months/s "
        f"({b['play_months']} months in {b['play_seconds']:.1f} s)   target >= 5: "
        f"{met['play_months_per_s']}",
        f"  in this process: one month of the model {own['model_step_s'] * 1e3:.2f} ms; one "
        f"Step of the page without a browser {own['page_step_s'] * 1e3:.0f} ms (medians of "
        f"{own['repeats']})",
        f"  ratios         browser Step / page Step in this process "
        f"{results['step_over_page']:.1f}; Play frame time / page Step in this process "
        f"{results['frame_over_page']:.1f}",
    ]
    missed = [c["target"] for c in results["targets"] if not c["met"]]
    lines.append("  all targets met" if not missed else f"  targets missed: {', '.join(missed)}")
    return "\n".join(lines)


def run_demo_bench(json_output: bool = False, quick: bool = False) -> dict[str, Any]:
    """Run the demo bench, print its report (text, or JSON) and return it.

    ``quick`` takes two steps and two seconds of Play (a check that it works).
    """
    from sim.sweeps.executors import default_workers

    sizes = QUICK if quick else FULL
    results: dict[str, Any] = {
        "cores": default_workers(),
        "quick": quick,
        "load_before": os.getloadavg()[0],
    }
    results["inprocess"] = bench_inprocess(sizes["inprocess_repeats"])
    results["browser"] = serve_and_drive(sizes["steps"], sizes["play_seconds"])
    page_step = results["inprocess"]["page_step_s"]
    results["step_over_page"] = results["browser"]["step_median_s"] / page_step
    frame = 1 / max(results["browser"]["play_months_per_s"], 1e-9)
    results["frame_over_page"] = frame / page_step
    results["targets"] = check_targets(results)
    results["all_met"] = all(c["met"] for c in results["targets"])
    if json_output:
        print(json.dumps(results, indent=2))
    else:
        print(format_report(results))
    sys.stdout.flush()
    return results
