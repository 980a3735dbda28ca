"""The rendering pieces' memory of derived values: a chart sends what Streamlit would send for
the figure itself, and values made once per shared object are forgotten with it."""

from __future__ import annotations

import gc
import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.ui.components import FrozenFigure, PerObject


def _two_charts() -> None:
    import numpy as np
    import plotly.graph_objects as go
    import streamlit as st

    from dashboard.ui.components import chart

    figure = go.Figure(go.Bar(x=np.array(["会津", "県北", "相双"]), y=np.array([1.5, np.nan, 3e9]),
                              customdata=np.arange(3), hovertemplate="%{x}: %{y:,}円"))  # fmt: skip
    figure.add_scatter(x=[1, 2], y=np.array([2, 4], dtype="int64"), name="累計")
    figure.update_layout(title="拠点数（令和6年度 (2024)）", height=320)
    chart(figure, "拠点数", "memo")  # through the frozen copy
    chart(figure, "拠点数", "again")  # the same figure again: the copy made once is reused
    st.plotly_chart(figure, key="raw")  # what Streamlit sends for the figure itself


def test_a_chart_sends_the_same_spec_as_the_figure_itself():
    at = AppTest.from_function(_two_charts, default_timeout=30)
    for _ in range(2):  # the second run reads the copy the first one made
        at.run()
        assert not at.exception, at.exception
        specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        assert len(specs) == 3
        assert specs[0] == specs[1] == specs[2]
        assert specs[0]["layout"]["title"]["text"] == "拠点数（令和6年度 (2024)）"
        assert specs[0]["data"][0]["y"]["dtype"] == "f8"  # arrays still go typed (base64)


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
