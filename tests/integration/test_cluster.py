"""The cluster path end to end: spark-submit.sh against a real standalone master and worker."""
from __future__ import annotations

import json

import pytest

from tests.support.processes import spark_submit
from tests.support.standalone import standalone_cluster

pytestmark = [pytest.mark.slow, pytest.mark.cluster]


def test_submit_to_standalone_cluster(tmp_path):
    out = tmp_path / "report.json"
    with standalone_cluster(tmp_path, workers=1, cores=2) as cluster:
        result = spark_submit(
            "--env", "test", "--master", cluster.master_url, "doctor", "--rows", "20000", "--output", str(out),
            cwd=tmp_path, timeout=400,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        apps = cluster.state()["completedapps"] + cluster.state()["activeapps"]
    report = json.loads(out.read_text())
    assert report["master"] == cluster.master_url
    assert report["sum_of_squares"] == sum(i * i for i in range(20000))
    executor_pids = {p["pid"] for p in report["partitions"]}
    assert report["driver_pid"] not in executor_pids  # the work ran in the worker's executor
    assert all("shoplake.zip" in p["shoplake_from"] for p in report["partitions"])
    assert report["app_id"] in {app["id"] for app in apps}
