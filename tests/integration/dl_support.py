"""Shared pieces of the deep-learning tests: settings with a lake, MLflow store and dl folders of their own."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mlflow.tracking import MlflowClient

from shoplake.config import Settings


def isolated_settings(settings: Settings, root: Path, **dl) -> Settings:
    """``settings`` with the lake, MLflow, petastorm cache and checkpoints under ``root`` and ``dl`` keys replaced."""
    return replace(
        settings,
        lake=replace(settings.lake, root=str(root / "lake")),
        mlflow=replace(settings.mlflow, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                       artifact_root=str(root / "mlartifacts")),
        dl=replace(settings.dl, petastorm_cache_dir=str(root / "petastorm"), checkpoint_dir=str(root / "checkpoints"),
                   **dl),
    )


def artifacts(settings: Settings, run_id: str, path: str = "") -> set[str]:
    """Every artifact file path of an MLflow run."""
    client = MlflowClient(settings.mlflow.tracking_uri)
    found = set()
    for item in client.list_artifacts(run_id, path):
        found |= artifacts(settings, run_id, item.path) if item.is_dir else {item.path}
    return found


def leftovers(folder: str) -> list[Path]:
    """What a run left in a petastorm cache or checkpoint folder (nothing, when it cleaned up)."""
    path = Path(folder)
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []
