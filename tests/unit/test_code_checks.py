"""The project's own static checks: ruff (with the complexity rule) everywhere, mypy on the core."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_finds_nothing():
    done = _run("ruff", "check", "states", "workflow", "notifications", "schedules", "tests",
                "bench")
    assert done.returncode == 0, done.stdout


def test_mypy_finds_nothing_in_states_and_workflow():
    done = _run("mypy")
    assert done.returncode == 0, done.stdout
