"""Data quality: Great Expectations suites for every bronze, silver and gold table, run on Spark.

- :mod:`~shoplake.quality.specs`: which rules a table is checked by: its entry in
  :mod:`shoplake.catalog` (columns, keys, allowed values, ranges, references, freshness, drift
  columns), or generic volume and null-share drift.
- :mod:`~shoplake.quality.suites`: a table's checks as GE expectations, with severities from the config
  and bounds from the previous successful run (volume, drift).
- :mod:`~shoplake.quality.quarantine_volume`: each source's share of quarantined records in
  ``bronze.quarantine``, held to ``ingest.max_quarantine_share`` like each ingest batch.
- :mod:`~shoplake.quality.checks`: :func:`check_tables` validates tables (one GE validation each),
  appends one row per check to ``ops.dq_results`` and logs Data Docs to MLflow.
- :mod:`~shoplake.quality.references`: the versions of the tables a referential check ran against, the
  skipped result of a reference to a table the lake does not have, and the results a change makes stale.
- :mod:`~shoplake.quality.gate`: :func:`require_passing`, which downstream jobs call before reading.
- :mod:`~shoplake.quality.summary`: the readable summary behind ``shoplake dq report``.
"""
from __future__ import annotations

import importlib

# Exported lazily: importing Great Expectations takes seconds, and ``shoplake --help`` should not.
_EXPORTS = {
    "QualityError": "errors", "QualityGateFailed": "errors", "require_passing": "gate",
    "QualityRun": "checks", "check_layer": "checks", "check_tables": "checks",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"shoplake.quality.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'shoplake.quality' has no attribute {name!r}")
