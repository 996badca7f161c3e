"""What MLflow runs to load a logged forecaster as a ``python_function`` model (it is logged as this code).

Never imported by the project itself: :mod:`shoplake.ml.forecast.forecaster` holds the model class.
"""
from mlflow.models import set_model

from shoplake.ml.forecast.forecaster import SelectedForecaster

set_model(SelectedForecaster())
