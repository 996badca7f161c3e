"""Tokenisation in Spark: review texts → fixed-length ``input_ids`` and ``attention_mask`` arrays.

A pandas UDF encodes each Arrow batch with the Rust ``tokenizers`` WordPiece tokenizer of the
model (its ``tokenizer.json`` text travels with the UDF), on the executors, so the driver never
tokenises rows one at a time. Sequences are truncated and padded to ``max_len``.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, IntegerType, StructField, StructType

ENCODED = StructType([
    StructField("input_ids", ArrayType(IntegerType(), False)),
    StructField("attention_mask", ArrayType(IntegerType(), False)),
])


@lru_cache(maxsize=2)
def load_tokenizer(tokenizer_json: str, max_len: int):
    """A ``tokenizers.Tokenizer`` from its JSON text, truncating and padding to ``max_len``."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(tokenizer_json)
    tokenizer.enable_truncation(max_length=max_len)
    tokenizer.enable_padding(length=max_len, pad_id=0, pad_token="[PAD]")
    return tokenizer


def encode_texts(texts: list[str], tokenizer_json: str, max_len: int) -> pd.DataFrame:
    """``input_ids`` and ``attention_mask`` lists of each text (an absent text counts as empty)."""
    encodings = load_tokenizer(tokenizer_json, max_len).encode_batch([text or "" for text in texts])
    return pd.DataFrame({"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings]})


def tokenized(text: Column | str, tokenizer_json: str, max_len: int) -> Column:
    """A struct column (``input_ids``, ``attention_mask``) of ``text``, computed on the executors."""

    @F.pandas_udf(ENCODED)
    def encode(texts: pd.Series) -> pd.DataFrame:
        return encode_texts(texts.tolist(), tokenizer_json, max_len)

    return encode(F.col(text) if isinstance(text, str) else text)
