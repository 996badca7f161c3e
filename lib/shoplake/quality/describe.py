"""One readable sentence per check result, for the gate's error and the report."""
from __future__ import annotations

from typing import Any

from shoplake.quality.results import CheckResult


def describe(result: CheckResult) -> str:
    """What was observed and what was expected, e.g. ``12 of 4481 rows unexpected (0.27%), e.g. 'x'``."""
    details = result.details_dict()
    if result.skipped:
        return f"skipped: {details.get('skipped', 'not run')}"
    if details.get("error"):
        return f"could not be evaluated: {details['error']}"
    observed, expected = result.observed(), details.get("expected", {})
    if isinstance(observed, dict) and "unexpected_count" in observed:
        text = (f"{observed['unexpected_count']} of {observed.get('element_count', '?')} rows unexpected "
                f"({observed.get('unexpected_percent') or 0:.2f}%)")
        examples = details.get("examples")
        return text + (f", e.g. {', '.join(repr(e) for e in examples[:3])}" if examples else "")
    if "reference" in details:
        return f"{observed} rows with a {result.column} that {details['reference']} does not have"
    if result.expectation == "expect_table_columns_to_match_set":
        mismatched = (details.get("details") or {}).get("mismatched") or {}
        parts = [f"{k} {', '.join(map(str, v))}" for k, v in mismatched.items() if v]
        return "columns differ: " + ("; ".join(parts) or str(observed))
    return f"observed {_short(observed)}{_bounds(expected)}"


def _bounds(expected: dict[str, Any]) -> str:
    if "threshold" in expected:
        return f", expected at most {_short(expected['threshold'])}"
    if "type_" in expected:
        return f", expected {expected['type_']}"
    low, high = expected.get("min_value"), expected.get("max_value")
    if low is not None and high is not None:
        return f", expected {_short(low)} to {_short(high)}"
    if low is not None:
        return f", expected {'above' if expected.get('strict_min') else 'at least'} {_short(low)}"
    if high is not None:
        return f", expected at most {_short(high)}"
    return ""


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
