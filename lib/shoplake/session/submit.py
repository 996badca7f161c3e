"""Turn a config into spark-submit arguments, and pack ``lib/`` for the executors.

``spark-submit.sh`` calls ``python -m shoplake.session.submit --config FILE [--master URL]
--archive-dir DIR`` and reads one argument per line (NUL-free, newline-separated). A bad config,
a malformed ``--master``, a standalone master that does not answer or an unwritable local lake
or MLflow folder ends it with one error line on stderr and exit code 2, before spark-submit
starts a JVM.
"""
from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

from shoplake.config import ConfigError, load_config
from shoplake.config.settings import SparkSettings, master_problem
from shoplake.errors import EXIT_USER_ERROR, UserFacingError
from shoplake.session.factory import spark_conf
from shoplake.session.preflight import check_folders, check_master_reachable

PACKAGE_DIR = Path(__file__).resolve().parents[1]

# Settings that spark-submit takes as flags of their own rather than --conf.
_FLAG_KEYS = {"spark.app.name": "--name", "spark.driver.memory": "--driver-memory", "spark.jars.packages": "--packages"}


def pack_library(archive_dir: Path) -> Path:
    """Zip the ``shoplake`` package (sources only) for ``--py-files``."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    archive = archive_dir / "shoplake.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(PACKAGE_DIR.rglob("*.py")):
            zf.write(path, path.relative_to(PACKAGE_DIR.parent))
    return archive


def submit_arguments(spark: SparkSettings, master: str | None, archive: Path) -> list[str]:
    """The spark-submit options (before the application file) implied by ``spark``."""
    args = ["--master", master or spark.master]
    for key, value in spark_conf(spark).items():
        if key in _FLAG_KEYS:
            args += [_FLAG_KEYS[key], value]
        else:
            args += ["--conf", f"{key}={value}"]
    args += ["--py-files", str(archive)]
    return args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, help="config environment name or YAML path")
    parser.add_argument("--master")
    parser.add_argument("--archive-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        settings = load_config(args.config, environ=os.environ)
        problem = None if args.master is None else master_problem(args.master)
        if problem:
            raise ConfigError(f"--master (spark.master): {problem}")
        check_folders(settings)
        check_master_reachable(args.master or settings.spark.master)
    except UserFacingError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return EXIT_USER_ERROR
    for arg in submit_arguments(settings.spark, args.master, pack_library(args.archive_dir)):
        if "\n" in arg:
            print(f"error: spark setting contains a newline: {arg!r}", file=sys.stderr)
            return EXIT_USER_ERROR
        print(arg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
