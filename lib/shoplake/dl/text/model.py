"""The sentiment classifier: the MiniLM encoder, mean pooling and a linear head, fine-tuned end to end.

The model object also carries the tokenizer (its JSON text) and the sequence length it was
trained with, so a model loaded back from MLflow tokenises exactly as in training.
"""
from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import torch
from torch import nn

from shoplake.dl.text.data import SENTIMENTS
from shoplake.dl.text.encoder import BertEncoder, EncoderConfig, load_encoder, mean_pool


class SentimentModel(nn.Module):
    """``(input_ids, attention_mask)`` → logits over negative, neutral, positive."""

    def __init__(self, encoder: BertEncoder, tokenizer_json: str, max_seq_len: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, len(SENTIMENTS))
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)
        self.tokenizer_json = tokenizer_json
        self.max_seq_len = max_seq_len

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if attention_mask is None:  # [PAD] is id 0 and no real token has that id
            attention_mask = (input_ids != 0).int()
        length = max(1, int(attention_mask.sum(dim=1).max()))  # batches are padded to max_seq_len: trim to the longest
        ids, mask = input_ids[:, :length].long(), attention_mask[:, :length]
        return self.head(self.dropout(mean_pool(self.encoder(ids, mask), mask)))

    def spec(self) -> dict:
        """What rebuilds this model around a state dict (see :func:`from_spec`)."""
        return {"encoder": asdict(self.encoder.config), "tokenizer_json": self.tokenizer_json,
                "max_seq_len": self.max_seq_len}


def from_spec(spec: dict) -> SentimentModel:
    """An untrained model of the shape :meth:`SentimentModel.spec` describes (load a state dict into it)."""
    return SentimentModel(BertEncoder(EncoderConfig(**spec["encoder"])), spec["tokenizer_json"], spec["max_seq_len"])


def pretrained_sentiment_model(folder: Path, max_seq_len: int, layers: int = 0) -> SentimentModel:
    """The MiniLM encoder of ``folder`` with a new head; ``layers > 0`` keeps only the first ``layers`` layers."""
    encoder = load_encoder(folder)
    if 0 < layers < encoder.config.num_hidden_layers:
        del encoder.encoder.layer[layers:]
        encoder.config = replace(encoder.config, num_hidden_layers=layers)
    return SentimentModel(encoder, (Path(folder) / "tokenizer.json").read_text(), max_seq_len)
