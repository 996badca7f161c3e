"""The embedded Delta backend: Spark does the distributed work; the driver writes Delta's commit
files (:mod:`~shoplake.lake.deltars.log`) and delta-rs (``deltalake``) reads the log, writes its
checkpoints and vacuums.

:class:`~shoplake.lake.deltars.backend.DeltaRsLake` is the backend; the executors import only
:mod:`~shoplake.lake.deltars.files` (with :mod:`~shoplake.lake.deltars.partitions`,
:mod:`~shoplake.lake.deltars.stats` and :mod:`~shoplake.lake.object_store`, which reaches S3).
On an ``s3a://`` lake every client of this backend takes its settings from Spark's s3a ones.
"""
