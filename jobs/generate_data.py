"""Generate a synthetic shop's input files (clickstream, orders, products, reviews) and their ground truth.

Sizes come from --preset (small: tests in seconds; medium: over 1M events; large: over 10M events)
and --users/--days/--products. Output goes to --out (default: the config's paths.inputs), ground
truth to --truth (default: <out>-truth). The last day is yesterday (UTC) unless --end-date or
--start-date pins the dates; the same --seed and dates give the same bytes.
"""
from __future__ import annotations

import sys

from shoplake.datasets.generator.flags import add_generator_arguments
from shoplake.runner import Job, run_job
from shoplake.steps.demo_data import generate_data_step


JOB = Job("generate_data", generate_data_step, __doc__, add_generator_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
