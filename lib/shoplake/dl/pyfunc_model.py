"""What MLflow runs to load a logged classifier as a ``python_function`` model (it is logged as this code).

Never imported by the project itself: :mod:`shoplake.dl.saved_model` holds the model class.
"""
from mlflow.models import set_model

from shoplake.dl.saved_model import PyfuncClassifier

set_model(PyfuncClassifier())
