"""A lake writer in its own process (its own Spark), driven by the failure and concurrency tests.

    python lake_process.py ROOT WORKDIR NAME PLAN_JSON [--hold | --peers N [--free-commits]] [--backend delta-spark]

PLAN_JSON is a list of steps ``{"op": "append"|"overwrite"|"merge", "ids": [...], "amount": 1.0,
"txn": ["app", 3]}`` applied to table ``silver.<NAME's table>`` (``"table"`` in each step). Test hooks
live here, not in the library: this process wraps the delta-rs backend's ``commit`` so that, once
a step's data files are written,

* ``--hold`` touches ``WORKDIR/ready`` and never commits (the test then kills the process), and
* ``--peers N`` waits until all N processes reach the same step's commit, so their commits race.

With ``--free-commits`` the peers only start each step together and commit as they come; it is
implied by ``--backend delta-spark``, whose commits happen inside Delta's JVM engine, out of reach
of the hooks (its peers must then pass ``--free-commits`` too).

Each step's outcome is appended to ``WORKDIR/NAME.jsonl``: committed (with the version) or conflict.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from datetime import date
from pathlib import Path

from shoplake.config import load_config
from shoplake.config.loader import CONF_DIR
from shoplake.lake import ConcurrentWriteConflict, open_lake
from shoplake.lake.deltars import backend
from shoplake.session import build_session

TIMEOUT_S = 300
# A short-lived JVM: the C1 compiler alone halves its CPU time (this machine has 2 cores).
JAVA_OPTIONS = f"-Dlog4j2.configurationFile=file:{CONF_DIR / 'log4j2.properties'} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def barrier(workdir: Path, tag: str, name: str, peers: int) -> None:
    """Wait until ``peers`` processes have reached ``tag``."""
    (workdir / f"{tag}.{name}.at").touch()
    deadline = time.time() + TIMEOUT_S
    while len(list(workdir.glob(f"{tag}.*.at"))) < peers:
        if time.time() > deadline:
            raise TimeoutError(f"barrier {tag}: peers did not arrive")
        time.sleep(0.05)


def gate_commits(workdir: Path, name: str, hold: bool, peers: int, step: list[int]) -> None:
    """Wrap the backend's commit with the test hook chosen on the command line."""
    original = backend.commit

    def gated(*args, **kwargs):
        if hold:
            (workdir / "ready").touch()
            time.sleep(TIMEOUT_S)
            raise SystemExit("held commit was not killed")
        barrier(workdir, f"{step[0]}-commit", name, peers)
        return original(*args, **kwargs)

    backend.commit = gated


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("name")
    parser.add_argument("plan")
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--peers", type=int, default=1)
    parser.add_argument("--free-commits", action="store_true")
    parser.add_argument("--backend", choices=("delta-rs", "delta-spark"), default="delta-rs")
    args = parser.parse_args()
    settings = load_config("test", overrides={"lake.root": args.root, "lake.backend": args.backend})
    spark_conf = {**settings.spark.conf, "spark.driver.extraJavaOptions": JAVA_OPTIONS}
    settings = dataclasses.replace(settings, spark=dataclasses.replace(settings.spark, conf=spark_conf))
    spark = build_session(settings)
    lake = open_lake(spark, settings)
    step = [0]
    if args.backend == "delta-rs" and not args.free_commits:
        gate_commits(args.workdir, args.name, args.hold, args.peers, step)
    for index, spec in enumerate(json.loads(args.plan)):
        step[0] = index
        df = spark.createDataFrame(
            [(i, f"{args.name}{i}", date(2024, 1, 1), float(spec.get("amount", 1.0))) for i in spec["ids"]],
            "id long, user string, day date, amount double",
        )
        txn = dict(zip(("txn_app_id", "txn_version"), spec.get("txn", ())))
        barrier(args.workdir, f"{index}-start", args.name, args.peers)
        try:
            if spec["op"] == "merge":
                version = lake.merge(df, spec["table"], keys=["id"], **txn)
            else:
                version = getattr(lake, spec["op"])(df, spec["table"], **txn)
            outcome = {"step": index, "outcome": "committed", "version": version}
        except ConcurrentWriteConflict as exc:
            outcome = {"step": index, "outcome": "conflict", "error": str(exc)}
        with open(args.workdir / f"{args.name}.jsonl", "a") as out:
            out.write(json.dumps(outcome) + "\n")
    spark.stop()


if __name__ == "__main__":
    main()
