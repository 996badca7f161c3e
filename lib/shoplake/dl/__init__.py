"""Deep learning on lake data: Delta tables reach torch through petastorm's Spark converter.

``device`` picks CUDA (with mixed precision) or the CPU; ``petastorm_bridge`` turns a DataFrame
into per-epoch torch batches and cleans its cache up; ``training`` is the loop (progress,
per-epoch checkpoints, resume); ``inference`` runs a model on executors; ``text`` is review
sentiment (a MiniLM encoder), ``vision`` the product-image ResNet and its embeddings.
"""
