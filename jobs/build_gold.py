"""Rebuild the gold tables (daily item sales, user-item interactions, user features, daily funnel) from silver."""
from __future__ import annotations

import sys

from shoplake.runner import Job, run_job
from shoplake.steps.gold import build_gold_step


JOB = Job("build_gold", build_gold_step, __doc__)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
