"""An ingest run's report: counts summed over batches, flat figures per quarantine reason, refusals raised."""
from __future__ import annotations

import pytest

from shoplake.ingest.errors import QuarantineTooHigh
from shoplake.ingest.incremental import IngestReport, quarantine_line, raise_refused
from shoplake.ingest.layers import LineCounts


def test_batches_add_up_to_figures_with_one_per_quarantine_reason():
    report = IngestReport(problem_files=1)
    report.add(1, 2, LineCounts(read=10, bronze=9, unreadable=1, landed=7, quarantined={"malformed_json": 2,
                                                                                         "unreadable_file": 1}))
    report.add(1, 1, LineCounts(read=5, bronze=4, erased=1, landed=3, quarantined={"malformed_json": 1}))
    assert report.figures("orders_") == {
        "orders_batches": 2, "orders_files": 3, "orders_problem_files": 1, "orders_lines_read": 15,
        "orders_lines_bronze": 13, "orders_lines_unreadable": 1, "orders_lines_erased": 1, "orders_lines_landed": 10,
        "orders_lines_quarantined": 4, "orders_quarantined_malformed_json": 3, "orders_quarantined_unreadable_file": 1,
    }
    assert quarantine_line(report.lines.quarantined) == "4 quarantined (malformed_json 3, unreadable_file 1)"
    assert quarantine_line({}) == "0 quarantined"


def test_refused_batches_are_raised_together_after_the_work_of_the_others():
    raise_refused(IngestReport(), IngestReport(batches=2))
    with pytest.raises(QuarantineTooHigh, match=r"^products batch 0 refused: x \| reviews batch 4 refused: y$"):
        raise_refused(IngestReport(refused="products batch 0 refused: x"), IngestReport(),
                      IngestReport(refused="reviews batch 4 refused: y"))
