import streamlit as st

from dashboard.kpi import FORECAST_RULE, GRADE_RULE
from dashboard.ui.cache import view as cached_view
from dashboard.ui.components import chart_block, empty_state, metric_cards, page_excel, page_header
from dashboard.ui.state import current

GRADE_COLOURS = {
    "達成": "green",
    "順調": "blue",
    "要注意": "orange",
    "遅れ": "red",
    "データなし": "gray",
    "目標なし": "gray",
}

filters, option = current()
page_header("概要", filters, option)
view = cached_view("overview", filters, option)

metric_cards(view.cards)

grade = view.grade
st.header("進捗の判定")
left, right = st.columns([1, 3], vertical_alignment="center")
with left.container(border=True):
    st.markdown(f"## :{GRADE_COLOURS[grade.label]}[{grade.label}]")
    st.caption(
        view.scope_note or ("県全体の拠点数で判定" if view.target else "目標が設定されていません")
    )
if view.scope_sentence:
    right.write(view.scope_sentence)
right.write(grade.explanation)
right.write(view.outlook)
if view.pipeline_text:
    right.write(view.pipeline_text)
right.caption(GRADE_RULE)

if view.errors is not None:
    st.header("補助金の規則チェック")
    with st.container(border=True):
        left, middle, right = st.columns([1, 1, 2], vertical_alignment="center")
        for column, card in zip((left, middle), view.rule_cards, strict=True):
            column.metric(card.label, card.value, help=card.help)
        right.caption(
            f"選択した年度・{option.bureau_label}の補助金記録に対する、{option.pref_name}の規則の確認結果。"
        )
        right.page_link("pages/pipeline.py", label="事業パイプラインで内容を見る", icon=":material/arrow_forward:",
                        query_params=filters.to_query_params())  # fmt: skip

st.header("拠点数の推移と目標")
chart_block(
    view.trajectory,
    view.trajectory_table,
    view.trajectory_caption,
    "拠点数の推移",
    filters,
    "trajectory",
)
st.caption(FORECAST_RULE)

st.header("全国との比較")
if view.national is None:
    empty_state(view.national_caption)
else:
    chart_block(
        view.national,
        view.national_table,
        view.national_caption,
        "全国との比較",
        filters,
        "national",
    )

page_excel(
    filters,
    option,
    headlines=view.cards + view.rule_cards,
    grade=grade.label,
    grade_text=[grade.explanation, view.outlook, view.pipeline_text],
)
