"""Generate a synthetic shop's input files and ground truth (the demo data the pipeline starts from)."""
from __future__ import annotations

from shoplake.config.settings import INPUT_SOURCES
from shoplake.datasets.generator import default_truth_dir, generate
from shoplake.datasets.generator.flags import config_from_args
from shoplake.ingest.incremental import folder_exists
from shoplake.steps.context import StepContext, StepOutcome


def generate_data_step(ctx: StepContext) -> StepOutcome:
    """Write the shop the generator flags describe into ``--out`` (default: ``paths.inputs``)."""
    out = ctx.option("out", ctx.settings.paths.inputs)
    return _generate(ctx, out, ctx.option("truth", default_truth_dir(out)), force=ctx.option("force", False))


def demo_data_step(ctx: StepContext) -> StepOutcome:
    """The demo shop into ``paths.inputs``, unless that folder already holds inputs (on any filesystem)."""
    inputs = ctx.settings.paths.inputs
    if any(folder_exists(ctx.spark, f"{inputs}/{source}") for source in INPUT_SOURCES):
        return StepOutcome(figures={"inputs": inputs, "generated": False})
    return _generate(ctx, inputs, default_truth_dir(inputs), force=False)


def _generate(ctx: StepContext, out: str, truth: str, force: bool) -> StepOutcome:
    config = config_from_args(ctx.args)
    manifest = generate(ctx.spark, config, out, truth, ctx.settings.paths.cache, force=force)
    return StepOutcome(figures={"inputs": out, "generated": True, "dates": f"{config.start_date}..{config.end_date}",
                                "events": manifest["counts"].get("clickstream_records", 0)})
