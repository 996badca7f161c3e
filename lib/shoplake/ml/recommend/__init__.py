"""The recommender: splits, ALS and its rivals (popularity, blends, co-occurrence), ranking
evaluation, tuning, training end to end and publishing recommendations and similar items."""
