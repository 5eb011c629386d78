"""The package type-checks as `mypy --strict` would (pyproject.toml makes assistant/ strict): ~13 s without a cache."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_assistant_package_passes_strict_mypy():
    # No cache: nothing is written, and a stale cache cannot hide an error.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir=/dev/null", "assistant"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.stdout.startswith("Success"), run.stdout
