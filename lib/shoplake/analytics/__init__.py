"""Shop analytics: funnel, cohort retention, RFM segments, bundles, order anomalies and churn.

Each analysis is a module of DataFrame -> DataFrame transforms (no I/O); :mod:`.on_lake` reads the
lake, writes the gold tables and logs each analysis as one MLflow run of the ``analytics``
family; :func:`shoplake.analytics.on_lake.run_analytics` runs any subset of them.
"""
