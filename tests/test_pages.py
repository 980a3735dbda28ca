"""Every page runs under AppTest for each profile and branch: all bureaus, one bureau, an empty
selection, and a bad query string."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_DIR
from dashboard.ui.navigation import TITLES
from tests.partial_rmo import build_partial_rmo

PAGES = TITLES  # page file -> its title
CASES = {
    "fukushima-all": {},
    "fukushima-one-bureau": {"bureau": "会津"},
    "fukushima-empty": {"bureau": "いわき", "from": "2021", "to": "2022"},
    "fukushima-bad-link": {
        "profile": "fukushima",
        "bureau": ["会津", "<script>", "架空"],
        "from": "abc",
        "to": "2099",
    },
    "tottori-all": {"profile": "tottori"},
    "tottori-one-bureau": {"profile": "tottori", "bureau": "日野"},
    "unknown-profile": {"profile": "hokkaido", "level": "'; drop table hubs; --"},
}


@pytest.fixture
def app(sample_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(sample_settings.warehouse_dir))
    monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(tmp_path / "no-boundaries"))

    def make(params: dict, page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()  # the router registers its pages; switch_page resolves against them
        if page:
            at.switch_page(page).run()
            assert at.title and at.title[0].value == PAGES[page], f"{page} did not run"
        return at

    return make


def param(at: AppTest, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("case", CASES)
def test_every_page_runs(app, page, case):
    at = app(CASES[case], page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == PAGES[page]
    assert "サンプルデータ" in texts(at)


def test_overview_numbers_for_fukushima(app):
    at = app({})
    metrics = {m.label: m.value for m in at.metric}
    # every label states the year the stock is as of
    assert metrics["拠点数 / 目標（令和6年度 (2024)）"] == "59 / 60拠点"
    assert metrics["地域運営組織（令和6年度 (2024)）"] == "47組織"
    assert metrics["組織のある拠点の割合（令和6年度 (2024)）"] == "79.7%"
    assert "順調" in texts(at)


def test_overview_for_tottori_shows_unknowns_as_no_data(app):
    at = app({"profile": "tottori"})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["拠点数 / 目標（令和4年度 (2022)）"] == "46 / 45拠点"
    assert metrics["地域運営組織"] == "データなし"  # no year: none is known
    spend = next(label for label in metrics if label.startswith("補助金額（"))
    assert metrics[spend] == "データなし"
    assert "達成" in texts(at)


def test_a_bureau_with_no_hubs_is_zero_not_unknown(app):
    at = app({"bureau": "いわき"})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["拠点数（いわき・令和6年度 (2024)）"] == "0拠点"


def test_bad_link_warns_and_falls_back(app):
    at = app(CASES["fukushima-bad-link"])
    warnings = " ".join(w.value for w in at.warning)
    assert "<script>" in warnings and "架空" in warnings and "年度" in warnings
    assert at.session_state["f_bureaus"] == ["会津"]
    assert param(at, "bureau") == ["会津"]  # the URL now says what is shown


@pytest.fixture(scope="module")
def partial_warehouse(tmp_path_factory):
    """The sample with four hubs of unknown RMO status in the 2024 list (tests/partial_rmo.py)."""
    return build_partial_rmo(tmp_path_factory.mktemp("partial")).warehouse_dir


def test_a_few_unknown_rmo_cells_show_beside_the_known_count(
    partial_warehouse, monkeypatch, tmp_path
):
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(partial_warehouse))
    monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(tmp_path / "no-boundaries"))
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
    at.query_params["bureau"] = "会津"
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["地域運営組織（会津・令和6年度 (2024)）"] == "16組織（ほか不明2）"
    assert metrics["組織のある拠点の割合（会津・令和6年度 (2024)）"] == "76.2%（不明2拠点を除く）"
    at.switch_page("pages/hubs.py").run()
    assert not at.exception, at.exception
    bureau = next(d.value for d in at.dataframe if "選択中" in d.value.columns)
    assert "うち地域運営組織の有無不明（拠点）" not in bureau.columns  # merged into the text
    shown = dict(zip(bureau["地方振興局"], bureau["うち地域運営組織あり（拠点）"], strict=True))
    assert (shown["会津"], shown["南会津"], shown["県全体"]) == (
        "16（ほか不明2）",
        "11",
        "45（ほか不明4）",
    )
    assert "地域運営組織の有無が不明な拠点が4か所あります。" in texts(at)


def test_unknown_profile_falls_back_to_the_default(app):
    at = app({"profile": "hokkaido"})
    assert "hokkaido" in " ".join(w.value for w in at.warning)
    assert param(at, "profile") == ["fukushima"]


def test_hubs_page_empty_range_has_a_clear_empty_state(app):
    at = app(CASES["fukushima-empty"], "pages/hubs.py")
    assert any("拠点一覧がありません" in i.value for i in at.info)


def test_choosing_a_bureau_updates_the_url_and_switching_pages_keeps_it(app):
    at = app({})
    at.multiselect(key="f_bureaus").select("南会津").run()
    assert param(at, "bureau") == ["南会津"]
    at.switch_page("pages/hubs.py").run()
    assert not at.exception
    assert at.title[0].value == "拠点・地域運営組織"
    assert param(at, "bureau") == ["南会津"]
    assert at.session_state["f_bureaus"] == ["南会津"]


def test_switching_profile_resets_bureaus_and_years(app):
    at = app({"bureau": "会津"})
    at.selectbox(key="f_profile").select("tottori").run()
    assert not at.exception
    assert at.session_state["f_bureaus"] == []
    assert param(at, "profile") == ["tottori"]
    assert (at.session_state["f_from"], at.session_state["f_to"]) == (2019, 2024)


def test_moving_the_start_year_past_the_end_moves_the_end(app):
    at = app({"from": "2021", "to": "2023"})
    at.selectbox(key="f_from").select(2025).run()
    assert (at.session_state["f_from"], at.session_state["f_to"]) == (2025, 2025)
    assert (param(at, "from"), param(at, "to")) == (["2025"], ["2025"])


def test_missing_warehouse_says_how_to_build(monkeypatch, tmp_path):
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(tmp_path / "none"))
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    assert "python -m etl build" in at.error[0].value


def test_pipeline_page_lists_the_sample_findings(app):
    at = app({}, "pages/pipeline.py")
    text = texts(at)
    period = "令和2年度～令和8年度 (2020～2026)の累計"
    assert f"規則違反（{period}） 8件" in text and f"助言（{period}） 5件" in text
    assert "パイプライン予測" in text and "トレンド予測" in text
    assert "67.3拠点" in text  # 59 + 10 pending districts × 10/12


def test_pipeline_for_one_bureau_counts_only_its_findings(app):
    at = app({"bureau": "南会津"}, "pages/pipeline.py")
    period = "南会津・令和2年度～令和8年度 (2020～2026)の累計"
    text = texts(at)  # 只見町 早森田地区: R4 and R7
    assert f"規則違反（{period}） 1件" in text and f"助言（{period}） 1件" in text


def test_tottori_pipeline_shows_its_own_rules_and_an_empty_state(app):
    at = app({"profile": "tottori"}, "pages/pipeline.py")
    assert any("補助金データはまだ取り込まれていません" in i.value for i in at.info)
    rules = at.dataframe[0].value
    assert rules["規則"].tolist() == ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]


def test_overview_alerts_link_to_the_pipeline(app):
    at = app({"bureau": "会津"})
    metrics = {m.label: m.value for m in at.metric}
    # 会津: errors 柳津町 R2, 三島町 R3, 猪苗代町 R6; advice 喜多方市 R6 and R7, 金山町 R8.
    period = "会津・令和2年度～令和8年度 (2020～2026)の累計"
    assert (metrics[f"規則違反（{period}）"], metrics[f"助言（{period}）"]) == ("3件", "3件")
    assert "事業パイプラインで内容を見る" in [link.label for link in at.get("page_link")]


def test_tottori_hubs_page_shows_cooperatives(app):
    at = app({"profile": "tottori"}, "pages/hubs.py")
    assert "特定地域づくり事業協同組合" in [s.value for s in at.header]


def test_the_csv_encoding_choice_persists_across_pages(app):
    at = app({})
    choice = next(r for r in at.radio if r.key == "csv_encoding")
    shift_jis = next(o for o in choice.options if o.startswith("Shift_JIS"))
    choice.set_value(shift_jis).run()
    for page in ("pages/hubs.py", "pages/grant_map.py", "pages/overview.py"):
        at.switch_page(page).run()
        assert not at.exception
        assert next(r for r in at.radio if r.key == "csv_encoding").value == shift_jis, page
