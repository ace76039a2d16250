"""Check that requirements.lock pins a fitting version of every dependency pyproject.toml declares.

Usage: .venv/bin/python scripts/check_lock.py   (`make setup` runs it after installing the lock)

`pip check` sees only the app's own dependencies once installed; this also covers the `test` and `dev`
extras, so a package added to pyproject.toml without `make lock` is named here rather than missing on a
fresh machine.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in ("test", "dev", "bench"):
        declared += project["optional-dependencies"].get(extra, [])
    locked = {
        canonicalize_name(name): version
        for name, version in PIN.findall((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    }
    problems = []
    for line in declared:
        requirement = Requirement(line)
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} in requirements.lock does not fit {requirement}")
    for problem in problems:
        print(f"check_lock: {problem}")
    if problems:
        print("check_lock: run `make lock` after changing the dependencies in pyproject.toml, and commit both.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
