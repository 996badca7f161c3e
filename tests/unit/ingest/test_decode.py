"""File-level ingest pieces without Spark: strict decoding, batch cutting, the ledger's bookkeeping."""
from __future__ import annotations

import base64
import bz2
import gzip

import pytest

from shoplake.errors import ConfigurationError
from shoplake.ingest.decode import INVALID_ENCODING, UNREADABLE_FILE, decode_lines
from shoplake.ingest.incremental import cut_batches, interval_seconds
from shoplake.ingest.inventory import escape_glob, hidden
from shoplake.ingest.file_ledger import Batch, InputFile, LedgerState

GOOD = '{"event_id":"e1","query":"caf\u00e9 cr\u00e8me"}'


def values(data: bytes) -> list:
    return [line.value for line in decode_lines(data)]


@pytest.mark.parametrize("separator", [b"\n", b"\r\n", b"\r"])
def test_lines_split_as_the_text_source_splits_them(separator):
    data = separator.join([b"a", b"", b"c"]) + separator
    assert values(data) == ["a", "", "c"]  # empty lines kept, none after the final break


def test_valid_utf8_lines_come_through_unchanged():
    lines = list(decode_lines((GOOD + "\n" + GOOD).encode()))
    assert [line.value for line in lines] == [GOOD, GOOD]
    assert all(line.reason is None and line.raw_base64 is None for line in lines)


def test_a_latin1_line_is_quarantined_with_its_exact_bytes():
    bad = GOOD.encode("latin-1")
    lines = list(decode_lines(GOOD.encode() + b"\n" + bad + b"\n" + GOOD.encode()))
    assert [line.reason for line in lines] == [None, INVALID_ENCODING, None]
    assert base64.b64decode(lines[1].raw_base64) == bad
    assert lines[1].detail.startswith("line 2, byte ")
    assert "\ufffd" in lines[1].value  # only a lossy view for erasure matching; never stored as the record


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_compressed_files_are_read_by_their_content(compress):
    assert values(compress(f"{GOOD}\n{GOOD}\n".encode())) == [GOOD, GOOD]


@pytest.mark.parametrize("data", [
    gzip.compress(GOOD.encode())[:-12],  # a gzip stream cut short
    b"\x1f\x8b" + b"not really gzip",
    GOOD.encode("utf-16"),  # with its byte-order mark
    GOOD.encode("utf-16-le"),  # without one: NUL bytes
    bytes(range(256)) * 4,  # binary junk
    gzip.compress(b"\x00\x01binary inside a gzip"),
], ids=["truncated-gzip", "gzip-magic-only", "utf16-bom", "utf16-no-bom", "binary", "gzip-of-binary"])
def test_content_that_is_not_text_is_one_record_holding_the_whole_file(data):
    lines = list(decode_lines(data))
    assert len(lines) == 1
    assert lines[0].reason == UNREADABLE_FILE and lines[0].value is None
    assert base64.b64decode(lines[0].raw_base64) == data
    assert lines[0].detail


def test_an_empty_file_has_no_records():
    assert values(b"") == []


def file(path, size, modified=0, sha="h"):
    return InputFile(path, size, f"{sha}-{path}", modified)


def test_batches_take_whole_files_oldest_first_up_to_the_limit():
    files = [file("c", 40, 3), file("a", 40, 1), file("big", 500, 2), file("d", 30, 4), file("e", 30, 5)]
    batches = cut_batches(files, 100)
    assert [[f.path for f in b] for b in batches] == [["a"], ["big"], ["c", "d", "e"]]
    assert cut_batches([], 100) == []


@pytest.mark.parametrize("text, seconds", [("30 seconds", 30), ("2 min", 120), ("500ms", 0.5), ("1 hour", 3600),
                                           ("1.5 s", 1.5)])
def test_interval_text_in_seconds(text, seconds):
    assert interval_seconds(text) == seconds


@pytest.mark.parametrize("text", ["soon", "30 fortnights", "-1 s", "0 seconds", ""])
def test_a_bad_interval_names_the_option(text):
    with pytest.raises(ConfigurationError, match="--interval"):
        interval_seconds(text)


def test_hidden_names_follow_spark():
    assert hidden(".part.json") and hidden("_SUCCESS") and hidden("x.json._COPYING_")
    assert not hidden("_date=2024-01-01") and not hidden("part-0.json")


def test_glob_characters_are_escaped():
    assert escape_glob("file:/in/x[1]{a,b}*?.json") == "file:/in/x\\[1\\]\\{a,b\\}\\*\\?.json"


def test_ledger_state_replays_unfinished_batches_and_knows_seen_files():
    a, b, b2 = file("a", 1), file("b", 1), file("b", 1, sha="other")
    state = LedgerState(planned={0: Batch(0, (a,)), 1: Batch(1, (b,)), 2: Batch(2, (b2,))},
                        done={0: (a,), 2: (b2,)}, first_free_id=0)
    assert state.unfinished() == [Batch(1, (b,))]
    assert state.seen() == {a.identity, b2.identity}
    assert state.hashed()["b"] == b2  # the latest record of a path
    assert state.next_id() == 3


def test_batch_ids_continue_after_an_older_checkpoint():
    assert LedgerState({}, {}, first_free_id=7).next_id() == 7
