"""Run the project's command-line entry points as real subprocesses."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_command(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300):
    """Run ``args`` with the test's Python on PATH; return the CompletedProcess (text output)."""
    full_env = dict(os.environ, SHOPLAKE_PYTHON=sys.executable, **(env or {}))
    return subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def spark_submit(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300):
    """``spark-submit.sh ARGS`` from the repository."""
    return run_command([str(ROOT / "spark-submit.sh"), *args], cwd=cwd, env=env, timeout=timeout)
