"""The rendering pieces' memory of derived values: a chart sends what Streamlit would send for
the figure itself, and values made once per shared object are forgotten with it."""

from __future__ import annotations

import gc
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ui.components import FrozenFigure, PerObject


def _two_charts() -> None:
    import numpy as np
    import plotly.graph_objects as go
    import streamlit as st

    from dashboard.ui.components import chart

    figure = go.Figure(go.Bar(x=np.array(["会津", "県北", "相双"]), y=np.array([1.5, np.nan, 3e9]),
                              customdata=np.arange(3), hovertemplate="%{x}: %{y:,}円"))  # fmt: skip
    figure.add_scatter(x=[1, 2], y=np.array([2, 4], dtype="int64"), name="累計<b>計</b>")
    nan, inf = float("nan"), float("inf")
    figure.add_scatter(x=["a", "b"], y=[nan, 1e-7], customdata=[inf, 2])  # NaN in plain lists
    figure.update_layout(title="拠点数（令和6年度 (2024)）", height=320)
    chart(figure, "拠点数", "memo")  # through the frozen copy
    chart(figure, "拠点数", "again")  # the same figure again: the copy made once is reused
    st.plotly_chart(figure, key="raw")  # what Streamlit sends for the figure itself


def test_a_chart_sends_the_same_spec_as_the_figure_itself():
    at = AppTest.from_function(_two_charts, default_timeout=30)
    for _ in range(2):  # the second run reads the copy the first one made
        at.run()
        assert not at.exception, at.exception
        sent = [chart.proto.spec for chart in at.get("plotly_chart")]
        assert len(sent) == 3
        assert sent[0] == sent[1] == sent[2]  # the same text, to the byte
        specs = [json.loads(spec) for spec in sent]
        assert specs[0]["layout"]["title"]["text"] == "拠点数（令和6年度 (2024)）"
        assert specs[0]["data"][0]["y"]["dtype"] == "f8"  # arrays still go typed (base64)
        assert specs[0]["data"][2]["y"] == [None, 1e-7]  # NaN and infinity as null
        assert specs[0]["data"][2]["customdata"] == [None, 2]
        assert "\\u003cb\\u003e" in sent[0]  # markup in texts escaped as Plotly escapes it


def test_a_frozen_figure_is_the_figures_dict():
    import plotly.graph_objects as go

    figure = go.Figure(go.Bar(x=["a"], y=[1]))
    frozen = FrozenFigure(figure)
    assert frozen.to_dict() == figure.to_dict()
    assert frozen.to_dict() is frozen.to_dict()


def test_per_object_values_are_made_once_and_forgotten_with_their_object():
    memo, made = PerObject(kept=2), []

    def size(table: pd.DataFrame) -> int:
        made.append(1)
        return len(table)

    table = pd.DataFrame({"x": [1, 2]})
    assert memo.get(table, size) == memo.get(table, size) == 2
    assert len(made) == 1
    other = pd.DataFrame({"x": [1, 2]})  # equal, but another object: its own value
    assert memo.get(other, size) == 2 and len(made) == 2
    del table, other
    gc.collect()
    assert len(memo._known) == 0  # nothing kept for objects that are gone
    tables = [pd.DataFrame({"x": range(n)}) for n in range(3)]
    assert [memo.get(t, size) for t in tables] == [0, 1, 2]
    assert len(memo._known) == 2  # at most `kept`
    assert memo.get(tables[0], size) == 0 and len(made) == 6  # the oldest was let go


def _tables(odd: bool) -> None:
    import pandas as pd
    import streamlit as st

    from dashboard.filters import Filters
    from dashboard.formatting import RMO_COLUMN, RMO_UNKNOWN_COLUMN, unknowns_as_text
    from dashboard.ui.components import _one_type_per_column, number_formats, table_block

    table = pd.DataFrame({
        "振興局": ["県北", "会津", None],
        "拠点数": [12, 3, 0],
        RMO_COLUMN: [10, 2, None],
        RMO_UNKNOWN_COLUMN: [1, 0, None],
        "補助金額（円）": pd.array([1_500_000, None, 0], dtype="Int64"),
        "割合": [0.5, float("nan"), 1.0],
        # a type Arrow refuses (complex): left to Streamlit, which shows it as text
        "位相": [1 + 2j, 0j, 1j] if odd else [1.0, 0.0, 2.0],
        "区分": [1, "なし", None],  # numbers and words in one column
    })  # fmt: skip
    table_block(table, "表", Filters("fukushima", 2020, 2024, ()), "t", expanded=True)
    shown = _one_type_per_column(unknowns_as_text(table))  # what Streamlit was given before
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="データなし",
                 column_config=number_formats(shown))  # fmt: skip


@pytest.mark.parametrize("odd", [False, True])
def test_a_table_sends_the_same_arrow_data_as_its_frame(odd):
    at = AppTest.from_function(_tables, args=(odd,), default_timeout=30)
    for _ in range(2):  # the second run reads the Arrow table the first one made
        at.run()
        assert not at.exception, at.exception
        ours, theirs = at.dataframe
        assert ours.proto.arrow_data.data == theirs.proto.arrow_data.data
        assert ours.proto.columns == theirs.proto.columns
        pd.testing.assert_frame_equal(ours.value, theirs.value)
        assert list(ours.value.columns)[2] == "うち地域運営組織あり（拠点）"
