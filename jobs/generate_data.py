"""Generate a synthetic shop's input files (clickstream, orders, products, reviews) and their ground truth.

Sizes come from --preset (small: tests in seconds; medium: over 1M events; large: over 10M events)
and --users/--days/--products. Output goes to --out (default: the config's paths.inputs), ground
truth to --truth (default: <out>-truth). The last day is yesterday (UTC) unless --end-date or
--start-date pins the dates; the same --seed and dates give the same bytes.
"""
from __future__ import annotations

import sys

from shoplake.datasets.cli import add_generator_arguments, config_from_args
from shoplake.datasets.generator import default_truth_dir, generate
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    add_generator_arguments(parser)


def main(ctx: JobContext) -> None:
    out = ctx.args.out or ctx.settings.paths.inputs
    truth = ctx.args.truth or default_truth_dir(out)
    generate(ctx.spark, config_from_args(ctx.args), out, truth, ctx.settings.paths.cache, force=ctx.args.force)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
