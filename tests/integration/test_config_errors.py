"""A bad config or an unusable environment ends a real job process with exit code 2 and one line
that names the key, variable or path (no traceback unless asked for)."""
from __future__ import annotations

import socket
import sys
import time

import pytest

from shoplake.session.preflight import (
    UnreachableMaster,
    UnwritablePath,
    check_master_reachable,
    check_writable_folder,
    local_path,
    tracking_store_folder,
)
from tests.support.processes import ROOT, run_command, user_error_line
from tests.support.standalone import free_port

pytestmark = pytest.mark.slow


def run_job_process(job: str, tmp_path, env: dict[str, str], *args: str):
    """``python jobs/<job>.py --env test`` as a real process, its lake and MLflow store under ``tmp_path``."""
    base = {
        "SHOPLAKE__LAKE__ROOT": str(tmp_path / "lake"),
        "SHOPLAKE__MLFLOW__TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "SHOPLAKE__MLFLOW__ARTIFACT_ROOT": str(tmp_path / "mlartifacts"),
        "SHOPLAKE__PATHS__INPUTS": str(tmp_path / "inputs"),
    }
    return run_command([sys.executable, str(ROOT / "jobs" / f"{job}.py"), "--env", "test", *args],
                       cwd=tmp_path, env={**base, **env})


@pytest.mark.parametrize("env, names", [
    ({"SHOPLAKE__SPARK__CONF": "{"}, ["SHOPLAKE__SPARK__CONF", "not a valid YAML value"]),
    ({"SHOPLAKE__SPARK__CONF": "abc"}, ["SHOPLAKE__SPARK__CONF", "'spark.conf' must be a mapping"]),
    ({"SHOPLAKE__SPARK__MASTER": "bogus://x"}, ["spark.master: 'bogus://x'", "SHOPLAKE__SPARK__MASTER"]),
    ({"SHOPLAKE__SPARK__MASTER": "local[abc]"}, ["spark.master: 'local[abc]' is not a Spark master URL"]),
    ({"SHOPLAKE__SPARK__DRIVER_MEMORY": "lots"}, ["spark.driver_memory: 'lots'"]),
    ({"SHOPLAKE__LAKE__ROOT": "/proc/x"}, ["lake.root: /proc/x"]),
    ({"SHOPLAKE__MLFLOW__TRACKING_URI": "sqlite:////proc/x/mlflow.db"}, ["mlflow.tracking_uri: /proc/x"]),
    ({"SHOPLAKE__MLFLOW__ARTIFACT_ROOT": "/proc/x/artifacts"}, ["mlflow.artifact_root: /proc/x/artifacts"]),
])
def test_bad_setting_stops_the_job_with_one_line_naming_it(tmp_path, env, names):
    line = user_error_line(run_job_process("doctor", tmp_path, env))
    assert "job doctor not started" in line
    for name in names:
        assert name in line


def test_lake_root_below_a_file_is_named(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    root = tmp_path / "taken" / "lake"
    line = user_error_line(run_job_process("doctor", tmp_path, {"SHOPLAKE__LAKE__ROOT": str(root)}))
    assert f"lake.root: {root} cannot be created: {tmp_path / 'taken'} is a file, not a folder" in line


def test_unreachable_standalone_master_fails_fast_naming_it(tmp_path):
    master = f"spark://127.0.0.1:{free_port()}"
    started = time.monotonic()
    line = user_error_line(run_job_process("doctor", tmp_path, {"SHOPLAKE__SPARK__MASTER": master}))
    assert time.monotonic() - started < 30  # Spark itself gives up after about a minute
    assert f"spark.master: cannot reach the Spark master {master}" in line
    assert "Connection refused" in line


def test_debug_shows_the_traceback_and_keeps_exit_code_2(tmp_path):
    for env, args in (({"SHOPLAKE_DEBUG": "1"}, ()), ({}, ("--debug",))):
        result = run_job_process("doctor", tmp_path, {"SHOPLAKE__SPARK__MASTER": "local[abc]", **env}, *args)
        assert result.returncode == 2
        assert "Traceback" in result.stderr and "spark.master: 'local[abc]'" in result.stderr


def test_a_session_spark_refuses_to_start_is_one_line(tmp_path):
    bad_jvm = {"SHOPLAKE__SPARK__CONF": '{"spark.driver.memory": "lots"}'}  # past the checks, the JVM refuses it
    line = user_error_line(run_job_process("doctor", tmp_path, bad_jvm))
    assert "Spark did not start with spark.master=local[2]" in line
    assert "check spark.master and spark.conf" in line


def test_missing_required_key_stops_the_job_with_one_line(tmp_path):
    env = {"SHOPLAKE__PRIVACY__REQUIRE_KEY": "true", "SHOPLAKE_PSEUDONYM_KEY": "", "SHOPLAKE_AUDIT_KEY": ""}
    line = user_error_line(run_job_process("ingest_orders", tmp_path, env))
    assert "job ingest_orders stopped" in line
    assert "SHOPLAKE_PSEUDONYM_KEY" in line and "privacy.key" in line


def test_write_check_leaves_nothing_behind(tmp_path):
    check_writable_folder("lake.root", tmp_path / "lake" / "deeper")
    check_writable_folder("lake.root", tmp_path)
    assert list(tmp_path.iterdir()) == []  # the missing folder is not created, the probe is removed


def test_only_local_locations_are_checked():
    assert local_path("hdfs:///lake") is None and local_path("s3a://bucket/lake") is None
    assert str(local_path("file:///data/lake")) == "/data/lake"
    assert str(tracking_store_folder("sqlite:////data/mlflow.db")) == "/data"
    assert tracking_store_folder("http://mlflow:5000") is None
    check_writable_folder("lake.root", local_path("s3a://bucket/lake"))  # not ours to check: no error


def test_standalone_master_is_reachable_when_any_address_answers():
    closed = free_port()
    with socket.create_server(("127.0.0.1", 0)) as server:
        open_port = server.getsockname()[1]
        check_master_reachable(f"spark://127.0.0.1:{closed},127.0.0.1:{open_port}")
    with pytest.raises(UnreachableMaster, match=rf"127\.0\.0\.1:{closed} \(Connection refused\)"):
        check_master_reachable(f"spark://127.0.0.1:{closed}")
    check_master_reachable("yarn")  # only standalone masters are probed


def test_unwritable_folder_error_names_key_and_path():
    with pytest.raises(UnwritablePath, match=r"^lake\.root: /proc/x cannot be created in /proc"):
        check_writable_folder("lake.root", local_path("/proc/x"))


def test_dangling_symbolic_link_on_the_way_is_named(tmp_path):
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(UnwritablePath, match=r"lake\.root: .*/gone/lake cannot be created: .*/gone is a dangling symbolic link"):
        check_writable_folder("lake.root", tmp_path / "gone" / "lake")
