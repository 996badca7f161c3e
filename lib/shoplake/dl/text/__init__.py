"""Review sentiment: MiniLM weights, tokenisation in Spark, the encoder and its classifier."""
