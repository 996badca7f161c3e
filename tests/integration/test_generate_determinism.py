"""The generator on Spark is deterministic: same seed, same bytes (whatever the task layout); a new seed differs."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest

from shoplake.datasets.generator import generate, make_config
from shoplake.datasets.generator import run as generator_run

pytestmark = pytest.mark.slow
END = date(2024, 1, 14)  # explicit dates: a shop ending yesterday would differ from day to day


def digest(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def test_same_seed_same_bytes_new_seed_new_data(spark, settings, tmp_path, monkeypatch):
    def run(name: str, seed: int):
        config = make_config("small", users=800, users_per_block=200, days=14, products=120, seed=seed,
                             end_date=END)
        generate(spark, config, str(tmp_path / name), str(tmp_path / f"{name}-truth"), settings.paths.cache)
        return digest(tmp_path / name) | {f"truth/{k}": v for k, v in digest(tmp_path / f"{name}-truth").items()}

    first = run("a", 11)
    monkeypatch.setattr(generator_run, "TASKS_PER_CORE", 1)  # 4 blocks in 2 tasks instead of 4
    again = run("b", 11)
    other = run("c", 12)
    assert len(first) > 4 * 14 and first == again
    changed = [name for name in first if other.get(name) != first[name]]
    assert len(changed) > 0.9 * len(first)


def test_a_second_run_replaces_the_previous_generation(spark, settings, tmp_path):
    config = make_config("small", users=200, users_per_block=200, days=7, products=60, end_date=END)
    out, truth = tmp_path / "inputs", tmp_path / "inputs-truth"
    generate(spark, config, str(out), str(truth), settings.paths.cache)
    shorter = make_config("small", users=200, users_per_block=200, days=3, products=60, end_date=END)
    generate(spark, shorter, str(out), str(truth), settings.paths.cache)
    assert len(list((out / "clickstream").iterdir())) == 3


def test_refuses_to_overwrite_inputs_it_did_not_write(spark, settings, tmp_path):
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "shop-export.json").write_text("{}\n")
    config = make_config("small", users=100, users_per_block=100, days=2, products=60, end_date=END)
    with pytest.raises(FileExistsError, match="--force"):
        generate(spark, config, str(tmp_path), str(tmp_path) + "-truth", settings.paths.cache)
    assert (tmp_path / "orders" / "shop-export.json").exists()
