"""A Spark standalone cluster on 127.0.0.1 (one master, N workers) started from the pyspark wheel."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pyspark

from shoplake.session.java import find_java_home

SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StandaloneCluster:
    """Handles of a running master and its workers."""

    def __init__(self, master_url: str, ui_url: str, master: subprocess.Popen, workers: list[subprocess.Popen]):
        self.master_url = master_url
        self.ui_url = ui_url
        self.master = master
        self.workers = workers

    def state(self) -> dict:
        """The master's JSON status (workers, applications)."""
        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as resp:
            return json.load(resp)

    def alive_workers(self) -> int:
        return sum(1 for w in self.state().get("workers", []) if w.get("state") == "ALIVE")

    def kill_worker(self, index: int) -> None:
        """``kill -9`` one worker and the executors it launched (its process group), like a lost node."""
        _kill_group(self.workers[index])


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _wait(condition, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.5)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


@contextlib.contextmanager
def standalone_cluster(workdir: Path, workers: int = 1, cores: int = 1, memory: str = "1g"):
    """Start a master and ``workers`` workers; stop every process on exit, also on failure."""
    env = dict(os.environ, JAVA_HOME=str(find_java_home()), SPARK_LOCAL_IP="127.0.0.1",
               SPARK_WORKER_DIR=str(workdir / "work"), SPARK_LOG_DIR=str(workdir / "logs"))
    port, ui_port = free_port(), free_port()
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(workdir / f"{name}.log", "w")
        proc = subprocess.Popen([str(SPARK_CLASS), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(proc)
        return proc

    try:
        master = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                       "--port", str(port), "--webui-port", str(ui_port))
        url = f"spark://127.0.0.1:{port}"
        cluster = StandaloneCluster(url, f"http://127.0.0.1:{ui_port}", master, [])
        _wait(lambda: cluster.state()["status"] == "ALIVE", "the master")
        for i in range(workers):
            cluster.workers.append(start(f"worker{i}", "org.apache.spark.deploy.worker.Worker", url,
                                         "--host", "127.0.0.1", "--cores", str(cores), "--memory", memory,
                                         "--webui-port", str(free_port())))
        _wait(lambda: cluster.alive_workers() == workers, f"{workers} worker(s) to register")
        yield cluster
    finally:
        for proc in reversed(procs):
            _kill_group(proc)
