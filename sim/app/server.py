"""Start the teaching demo: the Solara app in :mod:`sim.app`, offline, on 127.0.0.1.

The server runs in Solara's production mode (no install check calling solara.dev, minified
front-end), with its usage telemetry and version check off, and its CDN proxy pointed at a
closed loopback port, so every asset comes from the local cache that
``scripts/fetch_solara_assets.py`` fills and the server never calls an outside host.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

APP = "sim.app:page"
HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Where Solara's CDN proxy would fetch an asset missing from the local cache: a closed
#: loopback port, so a missing asset fails visibly instead of reaching the internet.
OFFLINE_CDN = "http://127.0.0.1:9/npm/"
#: Set (to "1") in the server's environment: importing :mod:`sim.app` then draws one page
#: offscreen, so the first visitor does not wait for the one-time costs.
WARM_UP_VARIABLE = "ALLIANCE_SIM_DEMO_WARM_UP"
#: Debian's Chromium, which the browser tests and ``alliance-sim bench --demo`` drive headless.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
_ASSET_REF = re.compile(r"""(?:src|href)=["']([^"'#?]+\.(?:js|css)(?:\?[^"']*)?)["']""")
#: Seconds the demo's server may take to start answering.
READY_TIMEOUT = 120.0
_CDN_REF = re.compile(r"\{\{\s*cdn\s*\}\}/(@widgetti/solara-vuetify3?-app)@(\d+\.\d+\.\d+)/")


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for an offline Solara server (``base`` defaults to ``os.environ``)."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env.setdefault("SOLARA_ASSETS_CDN", OFFLINE_CDN)
    env.setdefault("SOLARA_THEME_TITLE", "Alliance under pressure")
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    env["PYTHONUNBUFFERED"] = "1"
    env[WARM_UP_VARIABLE] = "1"
    # plain http on 127.0.0.1 is intended: keep Solara's https cookie advice off the terminal
    warning = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(filter(None, (env.get("PYTHONWARNINGS"), warning)))
    return env


def server_command(port: int, app: str = APP, host: str = HOST) -> list[str]:
    """The command line that serves ``app`` in production mode on ``host:port``."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        app,
        "--production",
        "--host",
        host,
        "--port",
        str(port),
        "--no-open",
        "--no-check-version",
    ]


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    """Wait until the server at ``url`` answers its ``readyz`` check.

    Raises:
        RuntimeError: the server exited, or was not ready within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"demo server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url + "readyz", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"demo server not ready after {timeout:g} s") from None
            time.sleep(0.25)


def fetch_page(url: str) -> None:
    """Fetch the page at ``url`` and the files it names, as a browser's first visit does.

    The server compresses each front-end file the first time it is asked for it (a few
    megabytes of JavaScript and CSS); asking once before the first visitor does spares
    them that wait.
    """
    with urllib.request.urlopen(url, timeout=30) as response:
        html = response.read().decode("utf-8", errors="replace")
    for ref in sorted(set(_ASSET_REF.findall(html))):
        request = urllib.request.Request(
            urllib.parse.urljoin(url, ref), headers={"Accept-Encoding": "gzip"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except OSError:
            continue  # a file the page does not need at once; the browser reports it


def missing_assets() -> list[str]:
    """The Vuetify app packages the page needs that the local CDN cache lacks."""
    import ipyvue
    import solara.server
    import solara.server.settings as server_settings

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    wanted = (
        "@widgetti/solara-vuetify3-app"
        if ipyvue.__version__.startswith("3")
        else "@widgetti/solara-vuetify-app"
    )
    root = Path(server_settings.assets.proxy_cache_dir)
    missing = []
    for name, version in set(_CDN_REF.findall(template.read_text(encoding="utf-8"))):
        if name == wanted and not (root / f"{name}@{version}" / ".complete").is_file():
            missing.append(f"{name}@{version}")
    return sorted(missing)


def warm_up() -> float:
    """Build and run a tiny alliance once, so the compiled model is ready (and cached on disk).

    Returns:
        The seconds it took (long only the first time after the model's code changed).
    """
    start = time.perf_counter()
    from sim.model.model import AllianceModel

    model = AllianceModel(horizon=3, rng=0)
    model.trigger_shock("global", severity=0.5)
    while model.running:
        model.step()
    return time.perf_counter() - start


def run_demo(port: int = DEFAULT_PORT) -> int:
    """Serve the demo on 127.0.0.1:``port`` until interrupted; returns an exit code.

    Args:
        port: TCP port on 127.0.0.1 (0 picks a free one).

    Returns:
        The server's exit code (0 after Ctrl-C), or 1 when the front-end assets are missing
        (a set-up problem, not bad input).
    """
    missing = missing_assets()
    if missing:
        print(
            f"error: Solara's front-end assets are missing ({', '.join(missing)}); "
            "run 'make setup' or 'python scripts/fetch_solara_assets.py' once while online",
            file=sys.stderr,
        )
        return 1
    print("alliance-sim demo: preparing the model (the first run compiles it)...", flush=True)
    warm_up()
    port = port or free_port()
    try:
        process = start_server(port)
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"alliance-sim demo: open {_url(port)} in a browser (Ctrl-C stops it)", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_server(process)


def _url(port: int) -> str:
    return f"http://{HOST}:{port}/"


def start_server(
    port: int, env: dict[str, str] | None = None, cwd: Path | None = None, log: Any = None
) -> subprocess.Popen[bytes]:
    """Start the demo's server on ``port`` and return it once it serves its page.

    Args:
        port: TCP port on 127.0.0.1.
        env: the server's environment (:func:`server_env` when None).
        cwd: its working folder (this one when None).
        log: a file for its output (the terminal when None).

    Raises:
        RuntimeError: the server exited, or did not answer within :data:`READY_TIMEOUT`.
    """
    process = subprocess.Popen(
        server_command(port),
        env=server_env() if env is None else env,
        cwd=cwd,
        stdout=log,
        stderr=None if log is None else subprocess.STDOUT,
    )
    try:
        wait_ready(process, _url(port), READY_TIMEOUT)
        fetch_page(_url(port))
    except BaseException:
        stop_server(process)
        raise
    return process


def stop_server(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop a server process: terminate it, and kill it after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


if __name__ == "__main__":
    sys.exit(run_demo(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PORT))
