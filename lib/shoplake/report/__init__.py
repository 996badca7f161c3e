"""The HTML report: one self-contained file with the shop's key figures and plots, logged to MLflow.

Each section reads its gold table if it is there (aggregating in Spark, plotting only the small
result) and says which job builds it when it is not.
"""
