"""Serve the configured MLflow tracking store with ``mlflow ui`` on the loopback interface."""
from __future__ import annotations

import sys
from pathlib import Path

from shoplake.config import Settings


def mlflow_ui_command(settings: Settings, host: str = "127.0.0.1", port: int = 5000) -> list[str]:
    """The ``mlflow ui`` command line for ``settings.mlflow`` (tracking store and artifact root)."""
    mlflow = Path(sys.executable).with_name("mlflow")
    return [str(mlflow), "ui", "--backend-store-uri", settings.mlflow.tracking_uri,
            "--default-artifact-root", settings.mlflow.artifact_root, "--host", host, "--port", str(port)]
