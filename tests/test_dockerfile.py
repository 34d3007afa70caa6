"""The Docker image without Docker: every system library the installed native code links against must
be in the image. ``python:3.11-slim`` carries the C and C++ runtimes and zlib, nothing more; LightGBM's
``lib_lightgbm.so`` (the default answer model) and xllamacpp (the bundled LLM) also need OpenMP's
``libgomp.so.1``, which a fresh ``docker build`` would lack: the build's own smoke test (``citewire
ask``) and every answer in the container would fail with ``OSError: libgomp.so.1``."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

# Debian packages a python:*-slim image already has (its Python, apt and dpkg need them).
SLIM_BASE = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}
# Stages that run Citewire, and the native packages whose libraries they load.
NATIVE = {"build": ["lightgbm"], "runtime": ["lightgbm"], "runtime-local-model": ["lightgbm", "xllamacpp"]}


def native_libraries(package: str) -> list[Path]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations)))
    return [p for p in folder.rglob("*.so*") if p.is_file()]


def debian_package(path: str) -> str | None:
    resolved = str(Path(path).resolve())
    for candidate in (resolved, resolved.removeprefix("/usr")):
        found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.split(":", 1)[0]
    return None


def system_packages(library: Path) -> set[str]:
    """The Debian packages that provide what ``library`` links against, outside the Python environment."""
    linked = subprocess.run(["ldd", str(library)], capture_output=True, text=True, check=True).stdout
    paths = re.findall(r"=> (/\S+)", linked)
    return {pkg for p in paths if "site-packages" not in p and (pkg := debian_package(p))}


def stages(dockerfile: str) -> dict[str, tuple[str, str]]:
    """name -> (parent stage or image, the stage's instructions)."""
    out: dict[str, tuple[str, str]] = {}
    for block in re.split(r"^(?=FROM )", dockerfile, flags=re.M)[1:]:
        head = re.match(r"FROM (\S+)(?: AS (\S+))?", block)
        out[head.group(2) or head.group(1)] = (head.group(1), block)
    return out


def apt_installed(all_stages: dict[str, tuple[str, str]], name: str) -> set[str]:
    packages: set[str] = set()
    while name in all_stages:
        parent, body = all_stages[name]
        for command in re.findall(r"apt-get install ([^&\n\\]+)", body):
            packages |= {word for word in command.split() if not word.startswith("-")}
        name = parent
    return packages


@pytest.mark.skipif(not (shutil.which("ldd") and shutil.which("dpkg")), reason="needs ldd and dpkg (Debian)")
def test_every_system_library_the_native_code_links_is_installed_in_the_image():
    all_stages = stages((REPO / "Dockerfile").read_text())
    checked = 0
    for stage, packages in NATIVE.items():
        assert stage in all_stages, stage
        installed = apt_installed(all_stages, stage)
        for package in packages:
            libraries = native_libraries(package)
            if not libraries:
                continue  # not installed here (xllamacpp is the [local] extra)
            needed = set().union(*(system_packages(lib) for lib in libraries)) - SLIM_BASE
            checked += 1
            assert needed <= installed, f"stage {stage}: {package} needs {sorted(needed - installed)}"
    assert checked, "lightgbm is a runtime dependency: its library must have been checked"
