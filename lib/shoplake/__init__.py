"""shoplake: an e-commerce lakehouse and machine-learning pipeline on Apache Spark."""

__version__ = "0.1.0"
