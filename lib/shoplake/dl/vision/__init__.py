"""Product images: decoding in Spark, the ResNet, and item embeddings with similar items."""
