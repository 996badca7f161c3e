"""A benchmark checks its optional packages before any work, and says how to get a missing one."""
from __future__ import annotations

import sys

import pytest

from bench.support import require


def test_installed_packages_pass_and_a_missing_one_stops_with_one_line_naming_it_and_make_bench(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/repo/bench/als.py", "--sizes", "1m"])
    require("json", "pytest")
    with pytest.raises(SystemExit) as stopped:
        require("json", "no_such_bench_package")
    message = str(stopped.value.code)
    assert message.startswith("bench/als.py needs no_such_bench_package, not installed: run `make bench`")
    assert "\n" not in message and "json" not in message
