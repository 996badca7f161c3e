"""Each lake operation as the commit Delta's own writers make of it: name, ``operationParameters``, ``operationMetrics``.

Metrics come from what the commit adds and removes (row counts from the files' statistics), so
they cost no extra pass over the data; a merge's written files also count their rows by origin
(see :data:`~shoplake.lake.deltars.merge.ORIGIN`).
"""
from __future__ import annotations

from shoplake.lake.deltars.commit import Change, NewFile
from shoplake.lake.deltars.merge import COPIED, INSERTED, UPDATED
from shoplake.lake.deltars.snapshot import DataFile
from shoplake.lake.merge_source import DELETE_FLAG


def write(adds: list[NewFile], removes: list[DataFile], mode: str, partition_by: list[str], *, dynamic: bool = False) -> Change:
    """``WRITE`` in mode ``Append`` or ``Overwrite`` (of the whole table, or with ``dynamic`` of the partitions written)."""
    parameters = {"mode": mode, "partitionBy": partition_by}
    if dynamic:
        parameters["dynamicPartitionOverwrite"] = "true"
    metrics = {"numFiles": len(adds), "numOutputRows": _rows(adds), "numOutputBytes": _bytes(adds)}
    if mode == "Overwrite":
        metrics |= {"numRemovedFiles": len(removes), "numRemovedBytes": _bytes(removes)}
    scope = [dict(p) for p in {tuple(a.partition.items()) for a in adds}] if dynamic else None
    return Change("WRITE", adds, removes, parameters, metrics, blind_append=mode == "Append", scope=scope)


def merge(adds: list[NewFile], removes: list[DataFile], keys: list[str], order_by: str | None) -> Change:
    """``MERGE`` on ``keys``: the newest source row updates (or, flagged, deletes) its match; the rest are inserted."""
    wins = f"(t.`{order_by}` IS NULL OR s.`{order_by}` >= t.`{order_by}`)" if order_by else "true"
    matched = [{"predicate": f"{wins} AND s.`{DELETE_FLAG}`", "actionType": "delete"}, {"predicate": wins, "actionType": "update"}]
    tally = {origin: sum(f.tally.get(origin, 0) for f in adds) for origin in (COPIED, UPDATED, INSERTED)}
    parameters = {
        "predicate": [" AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)],
        "matchedPredicates": matched,
        "notMatchedPredicates": [{"predicate": f"NOT s.`{DELETE_FLAG}`", "actionType": "insert"}],
        "notMatchedBySourcePredicates": [],
    }
    metrics = {
        "numTargetRowsInserted": tally[INSERTED],
        "numTargetRowsUpdated": tally[UPDATED],
        "numTargetRowsDeleted": _rows(removes) - tally[COPIED] - tally[UPDATED],
        "numTargetRowsCopied": tally[COPIED],
        "numOutputRows": _rows(adds),
        "numTargetFilesAdded": len(adds),
        "numTargetFilesRemoved": len(removes),
        "numTargetBytesAdded": _bytes(adds),
        "numTargetBytesRemoved": _bytes(removes),
    }
    return Change("MERGE", adds, removes, parameters, metrics)


def delete(adds: list[NewFile], removes: list[DataFile], condition_sql: str) -> Change:
    """``DELETE`` of the rows matching ``condition_sql``: the files holding them are rewritten without them."""
    metrics = {
        "numRemovedFiles": len(removes),
        "numAddedFiles": len(adds),
        "numDeletedRows": _rows(removes) - _rows(adds),
        "numCopiedRows": _rows(adds),
        "numRemovedBytes": _bytes(removes),
        "numAddedBytes": _bytes(adds),
    }
    return Change("DELETE", adds, removes, {"predicate": [condition_sql]}, metrics)


def optimize(adds: list[NewFile], removes: list[DataFile], target_bytes: int) -> Change:
    """``OPTIMIZE`` (bin-packing compaction): the same rows in fewer files."""
    sizes = sorted(f.size for f in adds)
    metrics = {
        "numRemovedFiles": len(removes),
        "numAddedFiles": len(adds),
        "numRemovedBytes": _bytes(removes),
        "numAddedBytes": _bytes(adds),
        "minFileSize": sizes[0] if sizes else 0,
        "maxFileSize": sizes[-1] if sizes else 0,
        "numBatches": 1,
    }
    parameters = {"predicate": [], "zOrderBy": [], "auto": "false", "maxFileSize": str(target_bytes)}
    return Change("OPTIMIZE", adds, removes, parameters, metrics, data_change=False)


def _rows(files: list) -> int:
    return sum(f.records or 0 for f in files)


def _bytes(files: list) -> int:
    return sum(f.size for f in files)
