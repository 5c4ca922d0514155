"""The lock files in requirements/ (``make lock``) pin what pyproject.toml asks for: every
dependency at one exact version inside its range, with hashes, the same version in every lock
file. ``make`` installs from them with ``--require-hashes``, and ``make wheelhouse`` downloads
exactly these files for an offline server."""

import re
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(settings.BASE_DIR)
LOCKS = {"run": [], "dev": ["dev"], "ci": ["dev", "ci"]}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pins(name: str) -> dict[str, tuple[Version, int]]:
    """``{package: (version, number of hashes)}`` of ``requirements/<name>.txt``."""
    found = {}
    current = None
    for line in (ROOT / "requirements" / f"{name}.txt").read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            found[current] = [Version(match.group(2)), 0]
        if current and "--hash=sha256:" in line:
            found[current][1] += line.count("--hash=sha256:")
    return {package: tuple(value) for package, value in found.items()}


def asked(extras: list[str]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    for extra in extras:
        requirements += [Requirement(text) for text in project["optional-dependencies"][extra]]
    return requirements


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_lock_pins_every_dependency_inside_its_range_with_hashes(lock, extras):
    pinned = pins(lock)
    missing, outside = [], []
    for requirement in asked(extras):
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            missing.append(name)
        elif not requirement.specifier.contains(pinned[name][0], prereleases=True):
            outside.append(f"{name}=={pinned[name][0]} not in {requirement.specifier}")

    assert missing == [], f"run `make lock`: not pinned in requirements/{lock}.txt"
    assert outside == [], "run `make lock`: pins outside pyproject.toml's ranges"
    assert all(hashes >= 1 for _version, hashes in pinned.values())


def test_every_lock_pins_the_same_versions():
    run, dev, ci = pins("run"), pins("dev"), pins("ci")

    assert {name: v for name, (v, _h) in run.items()} == {
        name: v for name, (v, _h) in dev.items() if name in run
    }
    assert {name: v for name, (v, _h) in dev.items()} == {
        name: v for name, (v, _h) in ci.items() if name in dev
    }


def test_make_and_the_image_install_from_the_locks_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --require-hashes -r $(RUN_LOCK)" in makefile
    assert "pip install --require-hashes -r $(DEV_LOCK)" in makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements/run.txt" in dockerfile
