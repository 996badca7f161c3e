"""Machine learning on the lake: ALS recommendations, splits, ranking evaluation, MLflow tracking.

Every transform here is ``DataFrame -> DataFrame`` computed in Spark; jobs in ``jobs/`` do the
reading and writing of lake tables.
"""
