"""Start the teaching demo: the Solara app in :mod:`sim.app`, offline, on 127.0.0.1.

The server runs in Solara's production mode (no install check calling solara.dev, minified
front-end), with its usage telemetry and version check off, and its CDN proxy pointed at a
closed loopback port, so every asset comes from the local folder of :mod:`sim.app.assets`
(filled from the npm registry on the first start) and the server never calls an outside host.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from sim.app.assets import (
    CACHE_ENV,
    FETCH_ERRORS,
    FetchError,
    assets_dir,
    fetch_missing,
    missing_packages,
)

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
_PAGE_REF = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
_CDN_REF = re.compile(r"\{\{\s*cdn\s*\}\}/(@widgetti/solara-vuetify3?-app)@(\d+\.\d+\.\d+)/")


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for an offline Solara server (``base`` defaults to ``os.environ``)."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env.setdefault("SOLARA_ASSETS_CDN", OFFLINE_CDN)
    env.setdefault(CACHE_ENV, str(assets_dir()))
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


def port_in_use(port: int, host: str = HOST) -> bool:
    """Whether another process listens on ``host:port`` (the server's own bind test)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


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


def prepare_assets() -> bool:
    """Fetch the front-end assets the demo lacks, with one line and a progress line.

    Returns:
        False (after one line on stderr) when they cannot be fetched.
    """
    root = assets_dir()
    tty = sys.stdout.isatty()

    def report(done: int, total: int, label: str, files: int) -> None:
        end = "\n" if done == total or not tty else ""
        print(f"\r  {done}/{total} packages ({label}, {files} files)", end=end, flush=True)

    try:
        if missing_packages(root):
            print(
                "alliance-sim demo: fetching the front-end assets once from the npm registry "
                f"into {root}",
                flush=True,
            )
            fetch_missing(root, report)
    except (FetchError, *FETCH_ERRORS) as err:
        print(f"error: alliance-sim demo: front-end assets: {err}", file=sys.stderr)
        return False
    return True


def run_demo(port: int = DEFAULT_PORT) -> int:
    """Serve the demo on 127.0.0.1:``port`` until interrupted; returns an exit code.

    Args:
        port: TCP port on 127.0.0.1 (0 picks a free one).

    Returns:
        The server's exit code (0 after Ctrl-C), or 1 when the front-end assets are missing
        and cannot be fetched (a set-up problem, not bad input).
    """
    if not prepare_assets():
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


def check_demo(port: int | None = None) -> int:
    """Start the server, fetch the page and its local assets once over HTTP, stop it.

    Args:
        port: TCP port on 127.0.0.1 (None or 0: a free one).

    Returns:
        0 after one line with the URL it was served at; 1 after one line saying why not.
    """
    if not prepare_assets():
        return 1
    port = port or free_port()
    url = _url(port)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(server_command(port), env=server_env(), stdout=log, stderr=log)
        try:
            wait_ready(process, url, READY_TIMEOUT)
            served = _fetch_assets(url)
        except (RuntimeError, _NotServed) as err:
            log.seek(0)
            last = (log.read().decode(errors="replace").strip().splitlines() or [""])[-1]
            print(f"error: alliance-sim demo --check: {err}: {last}".rstrip(": "), file=sys.stderr)
            return 1
        finally:
            stop_server(process)
    print(f"alliance-sim demo: served at {url} (the page and {served} front-end assets)")
    return 0


class _NotServed(RuntimeError):
    """The server did not serve the page or one of its assets."""


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _fetch_assets(url: str) -> int:
    """Fetch the page and every front-end asset it loads from the server (its CDN proxy);
    returns the number of assets. Raises :class:`_NotServed`."""
    try:
        page = _get(url).decode("utf-8", errors="replace")
        local = {urllib.parse.urljoin(url, ref) for ref in _PAGE_REF.findall(page)}
        assets = sorted(ref for ref in local if ref.startswith(url) and "/cdn/" in ref)
        for asset in assets:
            _get(asset)
    except OSError as err:
        raise _NotServed(f"{getattr(err, 'url', url)}: {err}") from None
    if not assets:
        raise _NotServed(f"{url}: the page loads no front-end asset from the server")
    return len(assets)


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
