"""Deep-learning benchmark: the petastorm-fed loader against in-memory tensors, and the models' quality figures.

1. Loader: the same ResNet (``dl.image_arch``) trained for one epoch and run for inference on the
   same Fashion-MNIST images, fed (a) by petastorm from a Spark DataFrame whose PNG bytes were
   decoded on the executors, (b) from in-memory torch tensors. Same batch size, same shuffling,
   same device (CUDA with mixed precision when present, else the CPU). Feeds alternate and each
   keeps its best of ``--repeats`` runs, so a busy machine hurts both alike. The ratio is
   petastorm samples/s over in-memory samples/s (1.0: the loader never starves the model);
   ``dl.loader_ratio`` is the lower of the training and inference ratios. Materialising the
   DataFrame for petastorm is a one-off cost per training run, reported apart.
2. Quality: the latest ``train_sentiment``, ``train_images`` and ``embed_images`` runs in the
   config's MLflow store, each stated as a full-size run (every row, full model) or a CPU-sized one,
   with the classical baseline each training run fitted on the same split as the figure's baseline
   (TF-IDF + logistic regression for sentiment, logistic regression on the pixels for the ResNet).

Run: ``.venv/bin/python bench/dl.py [--env local] [--images 4096] [--repeats 2]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
import torch  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402
from support import baseline_line, bench_line  # noqa: E402
from torch import nn  # noqa: E402

from shoplake.config import load_config  # noqa: E402
from shoplake.datasets import fashion_mnist  # noqa: E402
from shoplake.datasets.fetch import fetch  # noqa: E402
from shoplake.datasets.png import encode_gray  # noqa: E402
from shoplake.dl.device import describe, pick_device  # noqa: E402
from shoplake.dl.petastorm_bridge import PetastormBatches, TensorBatches, converted  # noqa: E402
from shoplake.dl.scorecard import training_run  # noqa: E402
from shoplake.dl.training import TrainSpec, predict, train  # noqa: E402
from shoplake.dl.vision.images import with_pixels  # noqa: E402
from shoplake.dl.vision.resnet import ResNet  # noqa: E402
from shoplake.tracking import experiment_name  # noqa: E402


def _forward(model: nn.Module, batch) -> torch.Tensor:
    return model(batch["pixels"])


def _loss(model: nn.Module, batch) -> tuple[torch.Tensor, int]:
    return nn.functional.cross_entropy(model(batch["pixels"]).float(), batch["label"].long()), len(batch["label"])


def train_rate(source, arch: str, device: torch.device, folder: Path) -> float:
    """Samples/s of one training epoch of a fresh model over ``source``."""
    torch.manual_seed(0)
    model = ResNet(arch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    spec = TrainSpec(epochs=1, checkpoint_folder=folder / f"run-{time.monotonic_ns()}", progress_every_s=1e9, name="bench")
    return train(model, optimizer, _loss, source, spec, device).history[0]["samples_per_s"]


def inference_rate(source, rows: int, arch: str, device: torch.device) -> float:
    """Samples/s of one pass of a model over ``source`` in evaluation mode."""
    model = ResNet(arch)
    started = time.monotonic()
    predict(model, source, device, _forward)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return rows / (time.monotonic() - started)


def loader_benchmark(spark, settings, count: int, repeats: int) -> dict[str, float]:
    dl = settings.dl
    images, labels = fashion_mnist.load(fetch("fashion-mnist", settings.paths.cache))
    images, labels = images[:count], labels[:count]
    frame = pd.DataFrame({"label": labels.astype("int32"), "image": [encode_gray(image) for image in images]})
    df = with_pixels(spark.createDataFrame(frame, "label int, image binary"), "image", 28).drop("skip_reason")
    memory = {"pixels": torch.tensor(images.reshape(count, -1), dtype=torch.float32) / 255.0,
              "label": torch.tensor(labels, dtype=torch.int32)}
    device = pick_device(dl.device)
    print(f"{count} Fashion-MNIST images, {dl.image_arch}, batch {dl.image_batch_size}, {describe(device)}")
    best: dict[str, float] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, converted(df, settings.dl) as converter:
        materialise_s = time.monotonic() - started
        feeds = {
            "memory": TensorBatches(memory, dl.image_batch_size, shuffle=True, seed=dl.seed),
            "petastorm": PetastormBatches(converter, dl.image_batch_size, shuffle=True, seed=dl.seed,
                                          workers=dl.reader_workers),
        }
        train_rate(TensorBatches({k: v[:4 * dl.image_batch_size] for k, v in memory.items()}, dl.image_batch_size),
                   dl.image_arch, device, Path(tmp))  # warm-up
        for _ in range(repeats):
            for name, source in feeds.items():
                best[f"{name}_train"] = max(best.get(f"{name}_train", 0.0), train_rate(source, dl.image_arch, device, Path(tmp)))
                best[f"{name}_inference"] = max(best.get(f"{name}_inference", 0.0),
                                                inference_rate(source, count, dl.image_arch, device))
    print("| feed | training samples/s | inference samples/s |\n| --- | --- | --- |")
    for name in ("memory", "petastorm"):
        print(f"| {name} | {best[f'{name}_train']:.1f} | {best[f'{name}_inference']:.1f} |")
    ratios = {stage: best[f"petastorm_{stage}"] / best[f"memory_{stage}"] for stage in ("train", "inference")}
    print(f"petastorm/in-memory: training {ratios['train']:.3f}, inference {ratios['inference']:.3f}; "
          f"decoding and materialising for petastorm once: {materialise_s:.1f}s")
    return {"ratio": min(ratios.values()), **ratios, **best, "device": device.type}


def _latest(client: MlflowClient, settings, family: str, run_name: str):
    experiment = client.get_experiment_by_name(experiment_name(settings.mlflow, family))
    if experiment is None:
        return None
    runs = client.search_runs([experiment.experiment_id], f"attributes.run_name = '{run_name}' and "
                              "attributes.status = 'FINISHED'", order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0] if runs else None


def _image_run_size(params) -> str:
    return "full-size" if params.get("train_rows") == "0" and params.get("test_rows") == "0" else "CPU-sized"


def _with_baseline(metrics: dict, name: str, metric: str, unit: str) -> list[str]:
    """The BENCH line of a training run's test metric and, when the run has one, its baseline's BASELINE line."""
    lines = [bench_line(name, metrics[metric], unit)]
    if f"baseline_{metric}" in metrics:
        lines.append(baseline_line(name, metrics[f"baseline_{metric}"], f"{unit}, baseline on the same split"))
    return lines


def quality_lines(settings) -> list[str]:
    """BENCH lines of the latest finished runs, each saying whether it was full-size or CPU-sized."""
    client = MlflowClient(settings.mlflow.tracking_uri)
    lines = []
    sentiment = _latest(client, settings, "sentiment", "train_sentiment")
    if sentiment:
        p, m = sentiment.data.params, sentiment.data.metrics
        size = "full-size" if p.get("rows") == "0" and p.get("encoder_layers") == "6" else "CPU-sized"
        print(f"sentiment: {size} run {sentiment.info.run_id} ({p.get('rows')} rows (0: all), "
              f"{p.get('encoder_layers')} layers, max_seq_len {p.get('max_seq_len')}, {p.get('epochs')} epochs, "
              f"{int(m.get('train_rows', 0))} training / {int(m.get('test_rows', 0))} held-out reviews)")
        lines += _with_baseline(m, "sentiment.auc_pos_neg", "test_auc_pos_neg", f"AUC ({size})")
        lines += _with_baseline(m, "sentiment.macro_f1", "test_macro_f1", f"macro-F1 ({size})")
    images = _latest(client, settings, "images", "train_images")
    if images:
        p, m = images.data.params, images.data.metrics
        size = _image_run_size(p)
        print(f"resnet: {size} run {images.info.run_id} ({p.get('arch')}, {p.get('epochs')} epochs, "
              f"{int(m.get('train_rows', 0))} training / {int(m.get('test_rows', 0))} held-out images)")
        lines += _with_baseline(m, "resnet.test_accuracy", "test_accuracy", f"accuracy ({size})")
    embed = _latest(client, settings, "images", "embed_images")
    if embed:
        m, model = embed.data.metrics, embed.data.params.get("model", "")
        trained = training_run(settings.mlflow, model)
        size = _image_run_size(trained.data.params) if trained else "unknown-size"
        print(f"similar items: run {embed.info.run_id} ({int(m.get('products_embedded', 0))} products, "
              f"model {model}, trained in a {size} run)")
        key = next((k for k in m if k.startswith("similar_precision_at_")), None)
        if key:
            lines.append(bench_line("similar.precision10", m[key],
                                    f"precision@{key.rsplit('_', 1)[1]} ({size} model)"))
    if not lines:
        print(f"no training run in {settings.mlflow.tracking_uri}: run train_sentiment, train_image_model and "
              "embed_images first for the quality figures")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="local", help="config environment (default: local)")
    parser.add_argument("--images", type=int, default=4096, help="images per epoch in the loader benchmark")
    parser.add_argument("--repeats", type=int, default=2, help="runs per feed; the best counts")
    args = parser.parse_args()
    settings = load_config(args.env, environ=os.environ)
    from shoplake.session import build_session

    spark = build_session(settings)
    try:
        result = loader_benchmark(spark, settings, args.images, args.repeats)
    finally:
        spark.stop()
    lines = [
        bench_line("dl.loader_ratio", result["ratio"], f"petastorm/in-memory ({result['device']})"),
        bench_line("dl.loader_ratio_train", result["train"], f"petastorm/in-memory ({result['device']})"),
        bench_line("dl.loader_ratio_inference", result["inference"], f"petastorm/in-memory ({result['device']})"),
        bench_line("dl.petastorm_train_samples_per_s", result["petastorm_train"], f"samples/s ({result['device']})"),
        baseline_line("dl.petastorm_train_samples_per_s", result["memory_train"], f"samples/s in memory ({result['device']})"),
    ]
    lines += quality_lines(settings)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
