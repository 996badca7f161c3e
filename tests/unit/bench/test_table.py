"""The `make bench` table: each BENCH figure beside its BASELINE from the same run, and their ratio."""
from __future__ import annotations

from bench.run_all import table_rows
from bench.support import baseline_line, bench_line

OUTPUT = "\n".join([
    "progress that is not a figure",
    bench_line("ingest.events_per_s_per_core", 4440.0, "events/s"),
    baseline_line("ingest.events_per_s_per_core", 5550.0, "events/s (Parquet)"),
    bench_line("ingest.vs_parquet", 0.8, "ratio"),
    bench_line("ingest.driver_peak_mb", 5002.0, "MB"),
])


def test_a_figure_with_a_baseline_gets_the_ratio_of_the_two():
    row = table_rows(OUTPUT, "x86_64, 2 cores")[0]
    assert row == "| ingest.events_per_s_per_core | 4440 events/s | 5550 events/s (Parquet) | 0.8 | x86_64, 2 cores |"


def test_a_ratio_figure_is_its_own_ratio_and_a_plain_figure_has_none():
    rows = table_rows(OUTPUT, "m")
    assert rows[1] == "| ingest.vs_parquet | 0.8 ratio |  | 0.8 | m |"
    assert rows[2] == "| ingest.driver_peak_mb | 5002 MB |  |  | m |"
    assert len(rows) == 3  # the progress line is no figure
