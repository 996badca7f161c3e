"""Generator pieces without Spark: config, calendar, product choice, corruption, one block end to end."""
from __future__ import annotations

import argparse
import hashlib
import json
import re
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from shoplake.datasets.generator.flags import add_generator_arguments, config_from_args
from shoplake.datasets.generator import make_config
from shoplake.datasets.generator.block import BlockInputs, generate_block
from shoplake.datasets.generator.calendar import day_weights, weekly_weights, yearly_weight
from shoplake.datasets.generator.catalogue import build_catalogue
from shoplake.datasets.generator.config import RECORD_CORRUPTIONS
from shoplake.datasets.generator.content import Content
from shoplake.datasets.generator.corrupt import SOURCES, corrupt_lines, plan
from shoplake.datasets.generator.people import make_users
from shoplake.datasets.generator.sessions import ChoiceModel

START = date(2024, 1, 1)  # every shop here has explicit dates: the same bytes on any day


@pytest.fixture(scope="module")
def content():
    """Stand-in content: 10 images per class and one text per rating (no fetch needed)."""
    rng = np.random.default_rng(0)
    texts = {r: [(f"title {r}", f"text {r} {i}") for i in range(3)] for r in range(1, 6)}
    return Content(images=rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), labels=np.arange(100) % 10,
                   review_texts=texts)


def test_presets_are_valid_and_sized():
    small, medium, large = (make_config(p, start_date=START) for p in ("small", "medium", "large"))
    assert small.blocks == 4 and medium.users >= 25_000 and large.users >= 10 * medium.users * 0.9
    assert make_config("small", users=100, days=7, seed=3, start_date=START).users == 100


def test_the_dates_are_given_by_the_first_or_the_last_day_and_recorded_with_both():
    config = make_config("small", days=14, end_date=date(2024, 3, 1))
    assert (config.start_date, config.end_date) == (date(2024, 2, 17), date(2024, 3, 1))
    assert {k: config.to_dict()[k] for k in ("start_date", "end_date")} == {"start_date": "2024-02-17",
                                                                           "end_date": "2024-03-01"}
    assert make_config("small", days=14, start_date=date(2024, 2, 17)) == config
    for dates in ({}, {"start_date": START, "end_date": date(2024, 3, 1)}):
        with pytest.raises(ValueError, match="give one of start_date and end_date"):
            make_config("small", **dates)


@pytest.mark.parametrize("overrides, message", [
    (dict(corruption={"exploding_rows": 0.1}), "unknown corruption kinds"),
    (dict(view_to_cart=1.5), "view_to_cart must be in [0, 1]"),
    (dict(users=0), "users must be >= 1"),
    (dict(weekly=(1.0,) * 6), "weekly must have 7 values"),
])
def test_invalid_config_is_rejected_with_the_reason(overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_config("small", start_date=START, **overrides)


def test_calendar_weights():
    config = make_config("small", start_date=START, days=14)
    assert weekly_weights(config).mean() == pytest.approx(1.0)
    weights = day_weights(config)
    assert weights[5] / weights[2] == pytest.approx(config.weekly[5] / config.weekly[2], rel=0.01)  # Sat / Wed
    assert yearly_weight(config, np.array([config.yearly_peak_day]))[0] == pytest.approx(1 + config.yearly_amplitude)


def test_choice_model_samples_the_softmax_of_taste_and_popularity(content):
    config = make_config("small", users=40, products=50, start_date=START)
    catalogue = build_catalogue(config, content)
    users = make_users(config, catalogue, 0, np.random.default_rng(1))
    choice = ChoiceModel(config, users, catalogue)
    user = np.repeat(np.array([3, 7]), 40_000)
    picks = choice.sample(user, np.random.default_rng(2))
    for u in (3, 7):
        logits = config.taste_strength * users.taste[u] @ catalogue.vectors.T / np.sqrt(config.taste_dims)
        expected = np.exp(logits + catalogue.log_popularity)
        expected /= expected.sum()
        observed = np.bincount(picks[user == u], minlength=config.products) / 40_000
        assert np.abs(observed - expected).max() < 0.01
    # a small block can have a day without sessions: nothing to pick, no error
    assert choice.sample(np.empty(0, dtype=np.int64), np.random.default_rng(3)).shape == (0,)


def test_plan_draws_each_kind_at_its_rate():
    rates = {"malformed_json": 0.01, "missing_id": 0.03, "negative_price": 0.0}
    kinds = ("malformed_json", "missing_id", "negative_price")
    planned = plan(200_000, rates, kinds, np.random.default_rng(5))
    counts = np.bincount(planned[planned >= 0], minlength=3) / 200_000
    assert counts == pytest.approx([0.01, 0.03, 0.0], abs=0.002)


def test_each_corruption_kind_does_what_it_says():
    line = json.dumps({"event_id": "e1", "event_time": "2024-01-02T03:04:05.000Z", "user_id": "u1",
                       "event_type": "add_to_cart", "product_id": "p1", "price": 9.99, "quantity": 2},
                      separators=(",", ":"))
    future_after = datetime(2024, 2, 1, tzinfo=timezone.utc)
    for kind in RECORD_CORRUPTIONS:
        out, report = corrupt_lines([line] * 3, "clickstream", {kind: 1.0}, np.random.default_rng(0), future_after)
        assert [r[2] for r in report] == [kind] * 3 and all(r[1] == "e1" for r in report)
        bad = out[report[0][0] - 1]
        if kind == "malformed_json":
            with pytest.raises(json.JSONDecodeError):
                json.loads(bad)
            continue
        if kind == "duplicate_event":
            assert out == [line] * 6 and [r[0] for r in report] == [2, 4, 6]
            continue
        record = json.loads(bad)
        checks = {
            "wrong_type": lambda r: any(not isinstance(r[f], t) for f, t in
                                        (("quantity", int), ("price", float), ("event_time", str))),
            "missing_id": lambda r: "event_id" not in r,
            "unknown_event_type": lambda r: r["event_type"] in SOURCES["clickstream"].unknown,
            "negative_quantity": lambda r: r["quantity"] == -2,
            "negative_price": lambda r: r["price"] == -9.99,
            "future_timestamp": lambda r: r["event_time"] > "2024-03-01",
        }
        assert checks[kind](record), (kind, record)


def test_orders_corruption_reaches_into_lines():
    line = json.dumps({"order_id": "o1", "order_time": "2024-01-02T03:04:05.000Z", "status": "placed",
                       "lines": [{"product_id": "p1", "quantity": 1, "unit_price": 5.0, "discount": 0.0}]})
    out, _ = corrupt_lines([line], "orders", {"negative_quantity": 1.0}, np.random.default_rng(0),
                           datetime(2024, 2, 1, tzinfo=timezone.utc))
    assert json.loads(out[0])["lines"][0]["quantity"] == -1
    assert "unknown_event_type" not in SOURCES["reviews"].applicable()


def _tree_digest(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_block_is_deterministic_and_seed_dependent(content, tmp_path):
    digests = []
    for run, seed in enumerate((7, 7, 8)):
        seeded = make_config("small", users=200, users_per_block=100, days=10, products=60, seed=seed,
                             start_date=START)
        inputs = BlockInputs(seeded, build_catalogue(seeded, content), content.review_texts,
                             str(tmp_path / f"out{run}"), str(tmp_path / f"truth{run}"))
        stats = generate_block(inputs, 1)
        digests.append(_tree_digest(tmp_path / f"out{run}") | _tree_digest(tmp_path / f"truth{run}"))
    assert stats["users"] == 100 and stats["clickstream_records"] > 300
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_flags_become_a_config():
    parser = argparse.ArgumentParser()
    add_generator_arguments(parser)
    args = parser.parse_args(["--preset", "medium", "--days", "30", "--seed", "9", "--start-date", "2023-11-01",
                              "--corrupt-rate", "0.01", "--corrupt", "duplicate_file=0"])
    config = config_from_args(args)
    assert (config.users, config.days, config.seed, config.start_date) == (30_000, 30, 9, date(2023, 11, 1))
    assert config.record_corruption() == {kind: 0.01 for kind in RECORD_CORRUPTIONS}
    assert config.corruption["duplicate_file"] == 0.0
    with pytest.raises(ValueError, match="KIND=RATE"):
        config_from_args(parser.parse_args(["--corrupt", "negative_price"]))


def test_without_date_flags_the_shop_ends_yesterday_and_a_given_end_date_pins_it():
    parser = argparse.ArgumentParser()
    add_generator_arguments(parser)
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    config = config_from_args(parser.parse_args(["--days", "10"]))
    assert (config.start_date, config.end_date) == (yesterday - timedelta(days=9), yesterday)
    assert config_from_args(parser.parse_args(["--days", "10", "--end-date", "2024-01-10"])).start_date == START
    with pytest.raises(SystemExit):
        parser.parse_args(["--start-date", "2024-01-01", "--end-date", "2024-01-10"])
