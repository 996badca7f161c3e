"""The embedded Delta backend: Spark does the distributed work, delta-rs (``deltalake``) owns the log.

:class:`~shoplake.lake.deltars.backend.DeltaRsLake` is the backend; the executors import only
:mod:`~shoplake.lake.deltars.files` (and :mod:`~shoplake.lake.deltars.partitions`).
"""
