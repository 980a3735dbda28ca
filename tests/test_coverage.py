"""Coverage gaps on a small fixture with a known answer."""

from __future__ import annotations

import pandas as pd

from dashboard.coverage import coverage_gaps

MUNICIPALITIES = pd.DataFrame({
    "municipality_code": ["07001", "07002", "07003", "07004", "07005"],
    "municipality_name": ["甲町", "乙村", "丙町", "丁市", "戊村"],
    "bureau": ["北", "北", "南", "南", "南"],
    "kaso": ["全部過疎", "一部過疎", "全部過疎", "非過疎", None],
    "is_kaso": [True, True, True, False, None],
    "hubs": [2, 0, 0, 0, 1],
})  # fmt: skip
HUBS = pd.DataFrame({
    "bureau": ["北", "北", "南"],
    "has_rmo": [True, False, None],
    "hub_name": ["甲1", "甲2", "戊1"],
    "services": [["移動", "サロン"], ["移動", "買い物", "雪かき"], ["配食"]],
})  # fmt: skip


def test_coverage_gaps_known_answer():
    gaps = coverage_gaps(MUNICIPALITIES, HUBS, ("北", "南", "東"))
    # 過疎 with no hub: 乙村 (一部過疎) and 丙町 (全部過疎); 丁市 is 非過疎, 戊村's status unknown.
    assert gaps.kaso_without_hub["municipality_name"].tolist() == ["乙村", "丙町"]
    assert gaps.hubs_without_rmo["hub_name"].tolist() == ["甲2"] and gaps.rmo_unknown == 1
    assert gaps.service_matrix.loc["北"].to_dict() == {
        "移動": 2, "買い物": 1, "見守り": 0, "医療・福祉": 0, "雪かき": 1, "配食": 0, "サロン": 1}  # fmt: skip
    assert gaps.service_matrix.loc["東"].sum() == 0  # a bureau without hubs is all zero ...
    pairs = list(zip(gaps.service_gaps["bureau"], gaps.service_gaps["service"], strict=True))
    # ... but only bureaus that have hubs are listed as gaps.
    assert pairs == [("北", "見守り"), ("北", "医療・福祉"), ("北", "配食"), ("南", "移動"), ("南", "買い物"),
                     ("南", "見守り"), ("南", "医療・福祉"), ("南", "雪かき"), ("南", "サロン")]  # fmt: skip


def test_unrecorded_columns_are_unknown_not_empty():
    hubs = HUBS.assign(has_rmo=None, services=None)
    municipalities = MUNICIPALITIES.assign(kaso=None, is_kaso=None)
    gaps = coverage_gaps(municipalities, hubs, ("北", "南"))
    assert gaps.kaso_without_hub is None and gaps.hubs_without_rmo is None
    assert gaps.service_matrix is None and gaps.service_gaps is None
    assert gaps.rmo_unknown == 3
