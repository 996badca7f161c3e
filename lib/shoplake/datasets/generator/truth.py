"""Ground truth known on the driver: parameters, products' latent structure, FBT pairs, promotions,
price changes, and the run manifest. Per-user truth is written by the blocks."""
from __future__ import annotations

import json
from datetime import timedelta

import numpy as np

from shoplake.datasets.fashion_mnist import CLASSES
from shoplake.datasets.generator.calendar import day_weights, weekly_weights
from shoplake.datasets.generator.catalogue import Catalogue
from shoplake.datasets.generator.config import GeneratorConfig
from shoplake.datasets.generator.render import dumps
from shoplake.datasets.generator.sink import Sink


def write_driver_truth(sink: Sink, config: GeneratorConfig, catalogue: Catalogue) -> None:
    """Write params.json and the catalogue-level truth files."""
    dates = [str(config.start_date + timedelta(days=d)) for d in range(config.days)]
    params = {
        **config.to_dict(),
        "weekly_normalized": np.round(weekly_weights(config), 6).tolist(),
        "traffic_by_date": dict(zip(dates, np.round(day_weights(config), 6).tolist())),
        "fbt_pairs": config.fbt_pairs,
        "blocks": config.blocks,
    }
    sink.write("params.json", json.dumps(params, indent=2, sort_keys=True) + "\n")
    ids = catalogue.product_ids
    popularity = np.exp(catalogue.log_popularity)
    sink.write_lines("products.json", [dumps({
        "product_id": ids[i], "category": CLASSES[catalogue.category[i]], "popularity": float(popularity[i]),
        "list_price": float(catalogue.list_price[i]), "vector": np.round(catalogue.vectors[i], 4).tolist(),
        "image_index": int(catalogue.image_index[i]),
    }) for i in range(len(ids))])
    sink.write_lines("fbt_pairs.json", [dumps({"product_a": ids[a], "product_b": ids[b]})
                                         for a, b in enumerate(catalogue.partner) if a < b])
    sink.write_lines("promotions.json", [dumps({
        "product_id": ids[p], "start_date": dates[start], "end_date": dates[end - 1], "discount": float(d),
    }) for p, start, end, d in _runs(catalogue.discount)])
    regular = catalogue.regular_price
    product, day = np.nonzero(np.diff(regular, axis=1))
    sink.write_lines("price_changes.json", [dumps({
        "product_id": ids[p], "date": dates[d + 1], "old_price": float(regular[p, d]),
        "new_price": float(regular[p, d + 1]),
    }) for p, d in zip(product, day)])


def _runs(discount: np.ndarray):
    """(product, first day, end day exclusive, discount) of every run of one non-zero discount."""
    for product, row in enumerate(discount):
        day = 0
        while day < len(row):
            if row[day] > 0:
                end = day
                while end < len(row) and row[end] == row[day]:
                    end += 1
                yield product, day, end, row[day]
                day = end
            else:
                day += 1
