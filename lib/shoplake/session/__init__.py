"""SparkSession factory and Delta backend detection."""

from shoplake.session.factory import build_session, delta_backend, delta_jvm_available, spark_conf

__all__ = ["build_session", "delta_backend", "delta_jvm_available", "spark_conf"]
