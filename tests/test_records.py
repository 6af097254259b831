"""Plan tables as plain records: column order, missing cells, the DataFrame, and the terminal renderer."""

import pandas as pd

from optimizer.records import Records
from optimizer.text_report import WIDTH, render_table


def test_records_keep_first_seen_column_order_and_fill_missing_cells_with_none():
    table = Records.of([{"b": 1, "a": 2.5}, {"a": 3.0, "c": "x"}])
    assert table.columns == ("b", "a", "c")
    assert table.values() == [(1, 2.5, None), (None, 3.0, "x")]
    assert table.column("c") == [None, "x"]
    assert len(table) == 2


def test_records_frame_matches_a_dataframe_built_from_the_rows():
    rows = [{"role": "rl", "nodes": 2.0}, {"role": "inference", "nodes": 5.0}]
    frame = Records.of(rows, ["nodes", "role"]).frame()
    pd.testing.assert_frame_equal(frame, pd.DataFrame(rows)[["nodes", "role"]])


def test_render_table_gives_the_same_text_for_records_and_for_a_dataframe():
    rows = [{"hardware": "H200", "nodes": 1234.5, "site": "ferrari"},
            {"hardware": "B200", "nodes": 2e6, "site": "honda"}]
    text = render_table(Records.of(rows))
    assert text == render_table(pd.DataFrame(rows))
    header, first, second = text.splitlines()
    assert header.split() == ["hardware", "nodes", "site"]
    assert len({len(header), len(first), len(second)}) == 1  # right-aligned columns
    assert first.split()[0] == "H200" and second.split()[0] == "B200"


def test_render_table_wraps_wide_tables_into_blocks_that_fit_the_width():
    row = {f"column_{i:02d}": 123456.0 for i in range(30)}
    text = render_table(Records.of([row]))
    blocks = text.split("\n\n")
    assert len(blocks) > 1
    assert all(len(line) <= WIDTH - 4 for line in text.splitlines())
    assert [name for block in blocks for name in block.splitlines()[0].split()] == list(row)


def test_render_table_says_none_for_an_empty_table():
    assert render_table(Records.of([])) == "  (none)"
