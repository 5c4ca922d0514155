"""Split a hash-pinned lock file in two for `make wheelhouse`, and pin the wheels built.

Usage: python deploy/split_lock.py split LOCK WHEELS_OUT SDIST_OUT NAME [NAME ...]
       python deploy/split_lock.py pin-built REQUIREMENTS WHEELHOUSE NAME [NAME ...]

LOCK is a requirements file made by `make lock` (``name==version \\`` followed by indented
``--hash=`` lines and ``# via`` comments). The requirements whose names are given (compared
as PEP 503 normalised names) go to SDIST_OUT, every other one to WHEELS_OUT, each with its
hashes, so both files still install with ``--require-hashes``.

Why: a few small pure-Python dependencies are published as source only (e.g.
django-ranged-response, pulled in by django-simple-captcha). ``pip download --only-binary``
for the server's platform cannot fetch them; the wheelhouse builds a wheel of each from its
hash-checked source instead (a pure-Python wheel runs on any platform).

``pin-built`` then adds the SHA-256 of each NAME's wheel in WHEELHOUSE to its requirement in
REQUIREMENTS (the wheelhouse's copy of the lock), beside the source's hash: the offline server
installs with ``--require-hashes`` and finds the wheel, whose hash the lock cannot know in
advance. The wheel was built on the preparing machine from the source whose hash the lock pins.

Raises SystemExit when a given NAME is not in LOCK (a stale list in the Makefile), or a NAME has no
wheel in WHEELHOUSE.
"""

import hashlib
import os
import re
import sys

REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==")


def normalise(name: str) -> str:
    """PEP 503 normalised project name: lower case, runs of ``-_.`` made one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def blocks(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """The lock as (normalised name or None for header lines, its lines) blocks, in order."""
    result: list[tuple[str | None, list[str]]] = []
    for line in lines:
        match = REQUIREMENT.match(line)
        if match:
            result.append((normalise(match.group(1)), [line]))
        elif result and result[-1][0] is not None and line[:1].isspace():
            result[-1][1].append(line)
        else:
            result.append((None, [line]))
    return result


def split(argv: list[str]) -> None:
    """``split LOCK WHEELS_OUT SDIST_OUT NAME...``: the lock in two, hashes kept."""
    lock, wheels_out, sdist_out, *names = argv
    wanted = {normalise(name) for name in names}
    with open(lock, encoding="utf-8") as handle:
        parsed = blocks(handle.read().splitlines(keepends=True))
    found = {name for name, _ in parsed if name in wanted}
    if wanted - found:
        raise SystemExit(f"not in {lock}: {', '.join(sorted(wanted - found))}")
    with (
        open(wheels_out, "w", encoding="utf-8") as wheels,
        open(sdist_out, "w", encoding="utf-8") as sdists,
    ):
        for name, text in parsed:
            if name is None:
                wheels.writelines(text)
            else:
                (sdists if name in wanted else wheels).writelines(text)


def pin_built(argv: list[str]) -> None:
    """``pin-built REQUIREMENTS WHEELHOUSE NAME...``: add each NAME's wheel hash to REQUIREMENTS."""
    requirements, wheelhouse, *names = argv
    # A wheel's file name starts with its project name, with "-" written as "_".
    wheels = {
        normalise(entry.split("-", 1)[0]): entry
        for entry in os.listdir(wheelhouse)
        if entry.endswith(".whl")
    }
    with open(requirements, encoding="utf-8") as handle:
        parsed = blocks(handle.read().splitlines(keepends=True))
    for project in map(normalise, names):
        if project not in wheels:
            raise SystemExit(f"no wheel of {project} in {wheelhouse}")
        with open(os.path.join(wheelhouse, wheels[project]), "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        for name, text in parsed:
            if name == project:
                text.insert(1, f"    --hash=sha256:{digest} \\\n")
                break
        else:
            raise SystemExit(f"{project} is not in {requirements}")
    with open(requirements, "w", encoding="utf-8") as handle:
        for _, text in parsed:
            handle.writelines(text)


if __name__ == "__main__":
    commands = {"split": split, "pin-built": pin_built}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        raise SystemExit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
