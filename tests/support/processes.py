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


def user_error_line(result) -> str:
    """The one error line of a process that stopped on a configuration or environment error.

    Asserts exit code 2, no traceback, and exactly one ``ERROR`` log line on stderr.
    """
    assert result.returncode == 2, (result.stdout + result.stderr)[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, result.stderr[-3000:]
    return errors[0]
