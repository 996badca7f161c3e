"""Run every benchmark under bench/ and print one Markdown table of their BENCH figures.

Each ``BENCH <name> <value> <unit>`` line is a row; a ``BASELINE <name> <value> <unit>`` line of
the same run fills its baseline and the ratio (shoplake / baseline). A figure that is itself a
ratio shows it as the ratio.

    python bench/run_all.py [--only ingest,lake_write] [--out bench/results/latest.md]
"""
from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from pathlib import Path

import psutil

BENCH_DIR = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"__init__", "support", "run_all"}


def figures(output: str, prefix: str = "BENCH") -> dict[str, tuple[str, str]]:
    """The ``<prefix> <name> <value> <unit>`` lines of one benchmark's output: name -> (value, unit)."""
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == prefix:
            found[parts[1]] = (parts[2], " ".join(parts[3:]))
    return found


def table_rows(output: str, machine: str) -> list[str]:
    """Markdown rows (figure, shoplake, baseline, ratio, machine) of one benchmark's output."""
    baselines = figures(output, "BASELINE")
    rows = []
    for name, (value, unit) in figures(output).items():
        base_value, base_unit = baselines.get(name, ("", ""))
        if base_value:
            ratio = f"{float(value) / float(base_value):.3g}" if float(base_value) else ""
        else:
            ratio = value if unit == "ratio" else ""
        baseline = f"{base_value} {base_unit}".strip()
        rows.append(f"| {name} | {value} {unit} | {baseline} | {ratio} | {machine} |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    names = sorted(p.stem for p in BENCH_DIR.glob("*.py") if p.stem not in NOT_BENCHMARKS)
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    machine = f"{platform.machine()}, {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"
    table = ["| figure | shoplake | baseline | ratio | machine |", "| --- | --- | --- | --- | --- |"]
    failed = []
    for name in names:
        print(f"== bench/{name}.py", flush=True)
        run = subprocess.run([sys.executable, str(BENCH_DIR / f"{name}.py")], capture_output=True, text=True)
        print(run.stdout[-3000:])
        if run.returncode != 0:
            failed.append(name)
            print(run.stderr[-3000:], file=sys.stderr)
        table += table_rows(run.stdout, machine)
    text = "\n".join(table)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
