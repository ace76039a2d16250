"""Audit requirements.lock with pip-audit: fail on any known vulnerability of a locked version.

Usage: .venv/bin/python scripts/audit.py   (`make lint` and `make audit` run it)

pip-audit asks PyPI's per-release JSON API (`/pypi/NAME/VERSION/json`) for each locked package. Where that
API cannot be reached, pip-audit reports every package as "not found" instead of failing: this script tells
that case apart and says so loudly. It is then an error only with AUDIT_STRICT=1 (`make audit`), so that
`make test` still runs on a machine that reaches the package index but not that API. A package that alone
could not be audited, while others were, is always an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"


def main() -> int:
    strict = os.environ.get("AUDIT_STRICT", "") not in ("", "0")
    command = [
        sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes", "--requirement", str(LOCK),
        "--format", "json", "--progress-spinner", "off", "--timeout", "10",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        dependencies = json.loads(done.stdout)["dependencies"]
    except (ValueError, KeyError):
        sys.stderr.write(done.stderr)
        return _unaudited("pip-audit gave no report (above)", strict)
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in: {fixes})")
    if vulnerable:
        print(f"audit: {len(vulnerable)} locked package(s) with known vulnerabilities: upgrade them in "
              "requirements.lock (make lock LOCK_ARGS='--upgrade-package NAME').")  # fmt: skip
        return 1
    if skipped and len(skipped) == len(dependencies):
        return _unaudited(f"none of the {len(dependencies)} locked packages could be looked up", strict)
    if skipped:
        for dependency in skipped:
            print(f"{dependency['name']}: {dependency['skip_reason']}")
        print(f"audit: {len(skipped)} locked package(s) could not be audited.")
        return 1
    print(f"audit: no known vulnerability in the {len(dependencies)} locked packages.")
    return 0


def _unaudited(why: str, strict: bool) -> int:
    print(
        f"audit: NOT AUDITED: pip-audit's vulnerability service (PyPI's per-release JSON API) is out of reach "
        f"from here: {why}." + ("" if strict else " Not an error without AUDIT_STRICT=1; run `make audit` "
                                "where the service answers.")
    )  # fmt: skip
    return 1 if strict else 0


if __name__ == "__main__":
    sys.exit(main())
