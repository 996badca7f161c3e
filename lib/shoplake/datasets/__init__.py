"""Data to run on: the synthetic shop generator and the real public datasets.

``generator`` writes a realistic shop's inputs (clickstream, orders, products, reviews) with
planted signals and their ground truth; ``registry``/``fetch`` bring pinned real datasets into
the cache from package registries; ``convert`` turns those into the input contracts.
"""
