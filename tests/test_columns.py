"""The column catalogue: headers carry the unit their id names, and `bureau` is the profile's word."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.columns import COLUMNS, labelled


@pytest.mark.parametrize(("suffix", "unit"), [("_thousand_yen", "（千円）"), ("_pct", "（%）")])
def test_a_unit_in_the_id_is_in_the_header(suffix, unit):
    ids = [column for column in COLUMNS if column.endswith(suffix)]
    assert ids and all(COLUMNS[column].endswith(unit) for column in ids)


def test_labelled_uses_the_profiles_word_for_bureaus_and_keeps_titled_columns():
    frame = pd.DataFrame(columns=["bureau", "hubs", "計画策定事業の年数（R3、使用/上限）"])
    assert list(labelled(frame, "地域").columns) == [
        "地域",
        "拠点数（拠点）",
        "計画策定事業の年数（R3、使用/上限）",
    ]
    assert list(labelled(frame, "県民局").columns)[0] == "県民局"
