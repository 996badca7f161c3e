"""spark-submit.sh and the shoplake command run real jobs in local mode."""
from __future__ import annotations

import json
import sys

import deltalake
import pytest

from shoplake.config import load_config

from tests.support.processes import run_command, spark_submit
from tests.support.standalone import free_port

pytestmark = pytest.mark.slow


def test_submit_runs_job_with_config_and_shipped_library(tmp_path):
    out = tmp_path / "report.json"
    result = spark_submit(
        "--env", "test", "doctor", "--rows", "5000", "--partitions", "3", "--output", str(out),
        cwd=tmp_path, env={"SHOPLAKE__SPARK__SHUFFLE_PARTITIONS": "3"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["master"] == "local[2]"
    assert report["rows"] == 5000
    assert report["sum_of_squares"] == sum(i * i for i in range(5000))
    assert report["shuffle_partitions"] == 3  # environment override reached the submitted job
    assert report["delta_backend"] == "delta-rs"
    assert report["delta_version"] == f"deltalake {deltalake.__version__}"
    assert len(report["partitions"]) == 3
    # executors imported shoplake from the --py-files archive, not from the source tree
    assert all("shoplake.zip" in p["shoplake_from"] for p in report["partitions"])
    assert "shoplake.session.factory: spark 4.0" in result.stdout + result.stderr


def delta_spark_release() -> str:
    """The delta-spark release conf/test.yaml asks for in ``spark.packages``."""
    package = next(p for p in load_config("test").spark.packages if p.startswith("io.delta:delta-spark_"))
    return package.rsplit(":", 1)[1]


def test_doctor_reports_the_delta_spark_backend_and_its_version(tmp_path):
    """conf/test.yaml puts delta-spark on the classpath: asking for that backend gets Delta's JVM engine."""
    out = tmp_path / "report.json"
    result = spark_submit("--env", "test", "doctor", "--rows", "100", "--output", str(out), cwd=tmp_path,
                          env={"SHOPLAKE__LAKE__BACKEND": "delta-spark"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["delta_backend"] == "delta-spark"
    assert report["delta_version"] == f"delta-spark {delta_spark_release()}"


def test_submit_help_lists_jobs(tmp_path):
    result = spark_submit("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: spark-submit.sh" in result.stdout
    assert "doctor" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["no_such_job"], "unknown job 'no_such_job'; known jobs: "),
        (["--env", "staging", "doctor"], "unknown env 'staging'; known: cluster full local test"),
        (["--bogus", "doctor"], "unknown option --bogus"),
        ([], "no job given"),
    ],
)
def test_submit_fails_clearly(tmp_path, args, message):
    result = spark_submit(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_submit_rejects_invalid_config_before_starting_spark(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("lake:\n  backend: iceberg\n")
    result = spark_submit("--env", str(bad), "doctor", cwd=tmp_path)
    assert result.returncode == 2
    assert "lake.backend: 'iceberg' is not one of" in result.stderr
    assert "SparkContext" not in result.stderr


@pytest.mark.parametrize(
    "args, env, message",
    [
        ([], {"SHOPLAKE__SPARK__CONF": "{"}, "error: environment variable SHOPLAKE__SPARK__CONF: not a valid YAML value"),
        (["--master", "local[abc]"], {}, "error: --master (spark.master): 'local[abc]' is not a Spark master URL"),
        ([], {"SHOPLAKE__SPARK__MASTER": "bogus://x"}, "(set by environment variable SHOPLAKE__SPARK__MASTER)"),
        (["--master", "spark://127.0.0.1:{port}"], {}, "error: spark.master: cannot reach the Spark master spark://127.0.0.1:"),
        ([], {"SHOPLAKE__LAKE__ROOT": "/proc/x"}, "error: lake.root: /proc/x cannot be created in /proc"),
    ],
)
def test_submit_config_and_environment_errors_are_one_line_before_spark(tmp_path, args, env, message):
    args = [arg.format(port=free_port()) for arg in args]
    result = spark_submit("--env", "test", *args, "doctor", cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines() == [result.stderr.strip()]  # exactly one line
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "SparkContext" not in result.stderr


def test_shoplake_command_lists_and_runs_jobs(tmp_path):
    listing = run_command([sys.executable, "-m", "shoplake.cli", "jobs"], cwd=tmp_path)
    assert listing.returncode == 0
    assert any(line.startswith("doctor ") for line in listing.stdout.splitlines())

    out = tmp_path / "report.json"
    result = run_command(
        [sys.executable, "-m", "shoplake.cli", "run", "doctor", "--env", "test", "--rows", "100", "--output", str(out)],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["sum_of_squares"] == sum(i * i for i in range(100))
    assert report["env"] == "test"

    unknown = run_command([sys.executable, "-m", "shoplake.cli", "run", "nope"], cwd=tmp_path)
    assert unknown.returncode != 0
    assert "unknown job 'nope'" in unknown.stderr


def test_a_job_whose_step_has_nothing_to_work_with_yet_ends_with_its_reason_and_exit_code_1(tmp_path):
    script = (
        "import sys\n"
        "from shoplake.runner import Job, run_job\n"
        "from shoplake.steps.context import StepNotRun\n"
        "def step(ctx):\n"
        "    raise StepNotRun(\"no version of model 'm' is registered\")\n"
        "sys.exit(run_job(Job('nothing_yet', step, 'a job with nothing to work with'), ['--env', 'test']))\n"
    )
    result = run_command([sys.executable, "-c", script], cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "job nothing_yet not run: no version of model 'm' is registered" in result.stderr
    assert "Traceback" not in result.stderr
