"""Log the progress of running Spark stages (completed/total tasks) from a background thread."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from pyspark import SparkContext

from shoplake.log import get_logger

log = get_logger(__name__)


@contextmanager
def spark_progress(sc: SparkContext, what: str, every_s: float = 5.0):
    """While the block runs, log ``what: stage N: done/total tasks`` every ``every_s`` seconds."""
    stop = threading.Event()

    def poll() -> None:
        last = None
        while not stop.wait(every_s):
            tracker = sc.statusTracker()
            stages = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
            state = [(s.stageId, s.numCompletedTasks, s.numTasks) for s in stages if s]
            if state and state != last:
                for stage, done, total in state:
                    log.info("%s: stage %d: %d/%d tasks done", what, stage, done, total)
                last = state

    thread = threading.Thread(target=poll, name="spark-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
