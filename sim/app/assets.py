"""Solara's front-end assets for the demo, served from a local folder.

Solara's page loads its Vue/Vuetify application, RequireJS and Font Awesome from a CDN,
through a proxy in the Solara server that first looks in a local cache folder. This module
reads the exact npm packages the installed Solara asks for (from its page template), finds
the folder to serve them from (:func:`assets_dir`), and fetches a missing package's tarball
from the npm registry, checks its integrity and unpacks it there as ``NAME@VERSION/...``,
the layout the proxy serves. A package already unpacked (marked by a ``.complete`` file)
is never fetched again.

The registry is ``$NPM_CONFIG_REGISTRY`` or https://registry.npmjs.org.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.locations import user_cache_dir

MARKER = ".complete"
TIMEOUT = 60
STALE_AFTER_S = 3600
"""Age in seconds after which a staging folder is taken as left by an interrupted fetch."""
CACHE_ENV = "SOLARA_ASSETS_PROXY_CACHE_DIR"
"""Solara's setting for its proxy's folder; set, it is the demo's folder too."""
# ``{{cdn}}/NAME@X.Y.Z/`` in Solara's page template, NAME optionally scoped.
CDN_REF = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.+-]*)/")
# ``/NAME@X.Y.Z/...`` in a settings path such as the Font Awesome stylesheet.
PATH_REF = re.compile(r"^/?((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.+-]*)/")
FETCH_ERRORS = (urllib.error.URLError, TimeoutError, OSError, tarfile.TarError, ValueError)
"""What fetching a package can raise besides :class:`FetchError`."""


class FetchError(RuntimeError):
    """A package could not be fetched or unpacked."""


def _vue3() -> bool:
    import ipyvue

    return ipyvue.__version__.startswith("3")


def required_packages() -> list[tuple[str, str]]:
    """The ``(name, version)`` npm packages the installed Solara's page loads from its CDN."""
    import solara.server
    import solara.server.settings as server_settings

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    found = CDN_REF.findall(template.read_text(encoding="utf-8"))
    if server_settings.assets.fontawesome_enabled:
        match = PATH_REF.match(server_settings.assets.fontawesome_path)
        if match:
            found.append((match.group(1), match.group(2)))
    # The template names both Vuetify apps; the page loads the one for the installed ipyvue.
    unused = "@widgetti/solara-vuetify-app" if _vue3() else "@widgetti/solara-vuetify3-app"
    packages: list[tuple[str, str]] = []
    for name, version in found:
        if name != unused and (name, version) not in packages:
            packages.append((name, version))
    if not any(name.startswith("@widgetti/solara-vuetify") for name, _ in packages):
        raise FetchError(f"no Vuetify app version found in {template}")
    return packages


def is_present(root: Path, name: str, version: str) -> bool:
    """Whether ``name@version`` is completely unpacked under ``root``."""
    return (root / f"{name}@{version}" / MARKER).is_file()


def missing_packages(root: Path) -> list[tuple[str, str]]:
    """The required packages not completely unpacked under ``root``."""
    return [(n, v) for n, v in required_packages() if not is_present(root, n, v)]


def assets_dir() -> Path:
    """The folder the demo serves the assets from (and fetches missing ones into).

    ``$SOLARA_ASSETS_PROXY_CACHE_DIR`` when set; else Solara's own folder in the Python
    environment (``<prefix>/share/solara/cdn``) when it holds every package; else the
    user's cache folder (``$XDG_CACHE_HOME/alliance-sim/solara-cdn``), shared by every
    environment of the user.
    """
    import solara.server.settings as server_settings

    configured = Path(server_settings.assets.proxy_cache_dir)
    if os.environ.get(CACHE_ENV) or not missing_packages(configured):
        return configured
    return user_cache_dir() / "solara-cdn"


def missing_assets() -> list[str]:
    """``NAME@VERSION`` of each package missing from :func:`assets_dir`."""
    return [f"{name}@{version}" for name, version in missing_packages(assets_dir())]


def registry() -> str:
    """The npm registry base URL, without a trailing slash."""
    return os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "alliance-sim-asset-fetch"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.read()


def _check_integrity(data: bytes, dist: dict[str, Any], label: str) -> None:
    integrity = dist.get("integrity", "")
    if integrity.startswith("sha512-"):
        expected = base64.b64decode(integrity.removeprefix("sha512-"))
        if hashlib.sha512(data).digest() != expected:
            raise FetchError(f"{label}: tarball does not match the registry's sha512")
    elif dist.get("shasum"):
        if hashlib.sha1(data).hexdigest() != dist["shasum"]:
            raise FetchError(f"{label}: tarball does not match the registry's shasum")


def _unpack(data: bytes, dest: Path) -> int:
    """Unpack an npm tarball's ``package/`` folder into ``dest``; returns the file count."""
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            parts = Path(member.name).parts
            if len(parts) < 2 or any(part in ("..", "") for part in parts) or parts[0] == "/":
                continue
            target = dest.joinpath(*parts[1:])  # drop the top folder ("package")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            target.write_bytes(source.read())
            count += 1
    return count


def _remove_stale_staging(folder: Path) -> None:
    """Remove the staging folders an interrupted fetch left in ``folder``: those older
    than :data:`STALE_AFTER_S`, not the one a fetch running now (another demo) fills."""
    for staging in folder.glob(".fetch-*"):
        try:
            age = time.time() - staging.stat().st_mtime
        except OSError:
            continue  # removed meanwhile
        if age > STALE_AFTER_S:
            shutil.rmtree(staging, ignore_errors=True)


def fetch_package(root: Path, name: str, version: str) -> int:
    """Download, verify and unpack one package into ``root``; returns the file count."""
    label = f"{name}@{version}"
    quoted = urllib.parse.quote(name, safe="@")
    meta = json.loads(_get(f"{registry()}/{quoted}/{version}"))
    dist = meta.get("dist") or {}
    tarball = dist.get("tarball")
    if not tarball:
        raise FetchError(f"{label}: the registry lists no tarball")
    data = _get(tarball)
    _check_integrity(data, dist, label)
    final = root / label
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(final.parent)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=final.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the server may run as another user
    try:
        count = _unpack(data, staging)
        (staging / MARKER).write_text(f"{label}\n{tarball}\n", encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return count


def fetch_missing(root: Path, report: Callable[[int, int, str, int], None]) -> None:
    """Fetch every package missing from ``root``; ``report(done, total, label, files)`` after
    each. Raises :class:`FetchError` (or one of :data:`FETCH_ERRORS`) naming the package."""
    missing = missing_packages(root)
    for done, (name, version) in enumerate(missing, start=1):
        label = f"{name}@{version}"
        try:
            files = fetch_package(root, name, version)
        except (urllib.error.URLError, TimeoutError) as err:
            reason = getattr(err, "reason", err)
            raise FetchError(
                f"{label}: cannot reach the npm registry {registry()} ({reason})"
            ) from None
        report(done, len(missing), label, files)
