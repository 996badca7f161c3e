"""Build the SparkSession from settings, for local runs and under spark-submit.

Under ``spark-submit`` (``spark-submit.sh``) the master, packages and Spark
settings were already given on the command line, so only what is missing is
filled in here; a local run (``shoplake run``, tests) sets everything.
"""
from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from shoplake.config import Settings
from shoplake.config.loader import CONF_DIR
from shoplake.config.settings import SparkSettings
from shoplake.errors import ConfigurationError, EnvironmentProblem, exception_line
from shoplake.session.java import ensure_java_home
from shoplake.session.preflight import check_master_reachable
from shoplake.log import get_logger, setup_logging

log = get_logger(__name__)

DELTA_EXTENSION_CLASS = "io.delta.sql.DeltaSparkSessionExtension"


class SessionStartFailed(EnvironmentProblem):
    """Spark refused to start a session with the configured master and settings."""


class DeltaJvmMissing(ConfigurationError):
    """``lake.backend: delta-spark`` was asked for but the Delta JVM classes are not on the classpath."""


def spark_conf(spark: SparkSettings) -> dict[str, str]:
    """The Spark settings implied by the ``spark`` section (shared by the factory and spark-submit.sh)."""
    conf = {
        "spark.app.name": spark.app_name,
        "spark.sql.shuffle.partitions": str(spark.shuffle_partitions),
        "spark.ui.enabled": str(spark.ui).lower(),
        "spark.driver.memory": spark.driver_memory,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{CONF_DIR / 'log4j2.properties'}",
    }
    if spark.packages:
        conf["spark.jars.packages"] = ",".join(spark.packages)
    conf.update(spark.conf)
    return conf


def launched_by_spark_submit() -> bool:
    """True when this Python process is the driver started by spark-submit."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def build_session(settings: Settings) -> SparkSession:
    """Return a SparkSession configured from ``settings`` and log the active Delta backend.

    A session that cannot start (an unreachable ``spark://`` master, no supported Java, a JVM
    that refuses the settings) raises an :class:`~shoplake.errors.EnvironmentProblem` naming it.
    """
    setup_logging(settings.logging.level)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    submitted = launched_by_spark_submit()
    if not submitted:
        check_master_reachable(settings.spark.master)
        ensure_java_home()
    builder = SparkSession.builder
    if not submitted:
        builder = builder.master(settings.spark.master)
        for key, value in spark_conf(settings.spark).items():
            builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j and pyspark raise several unrelated types for a failed start
        master = "the master given to spark-submit" if submitted else f"spark.master={settings.spark.master}"
        raise SessionStartFailed(
            f"Spark did not start with {master}: {exception_line(exc)}; check spark.master and spark.conf "
            "in the config (SHOPLAKE_DEBUG=1 shows the full error)"
        ) from exc
    session.sparkContext.setLogLevel(settings.logging.spark_level)
    backend = delta_backend(session, settings.lake.backend)
    log.info(
        "spark %s master=%s delta backend=%s (%s, %s)",
        session.version,
        session.sparkContext.master,
        backend,
        delta_engine_version(session, backend),
        "spark-submit" if submitted else "local launch",
    )
    return session


def _delta_extension(session: SparkSession):
    """delta-spark's session extension class, or None when its jars are not on the classpath."""
    try:
        return session._jvm.java.lang.Class.forName(
            DELTA_EXTENSION_CLASS, False, session._jvm.java.lang.Thread.currentThread().getContextClassLoader()
        )
    except Exception:  # py4j raises Py4JJavaError wrapping ClassNotFoundException
        return None


def delta_jvm_available(session: SparkSession) -> bool:
    """True when delta-spark's JVM classes are on the session's classpath."""
    return _delta_extension(session) is not None


def delta_engine_version(session: SparkSession, backend: str) -> str:
    """The Delta library behind ``backend``: ``delta-spark 4.0.1`` (its jar's version) or ``deltalake 1.6.6``."""
    if backend == "delta-spark":
        extension = _delta_extension(session)
        version = extension.getPackage().getImplementationVersion() if extension is not None else None
        return f"delta-spark {version or 'unknown'}"
    import deltalake

    return f"deltalake {deltalake.__version__}"


def delta_backend(session: SparkSession, requested: str = "auto") -> str:
    """Resolve the Delta engine: ``delta-spark`` when its jars are present, else ``delta-rs``."""
    if requested == "delta-spark" and not delta_jvm_available(session):
        raise DeltaJvmMissing(
            "lake.backend is 'delta-spark' but the Delta JVM classes are not on the classpath; "
            "add io.delta:delta-spark_2.13 to spark.packages or use lake.backend: auto"
        )
    if requested != "auto":
        return requested
    return "delta-spark" if delta_jvm_available(session) else "delta-rs"
