import streamlit as st

from dashboard.formatting import fy_label
from dashboard.ui.cache import view as cached_view
from dashboard.ui.components import chart_block, empty_state, page_excel, page_header, table_block
from dashboard.ui.state import current

filters, option = current()
page_header("拠点・地域運営組織", filters, option)
view = cached_view("hubs", filters, option, st.session_state.get("hubs_year"))
if view.year is None:
    empty_state(view.message)
    st.stop()
if len(view.survey_years) > 1:
    st.selectbox("拠点一覧の年度", view.survey_years, index=view.survey_years.index(view.year), format_func=fy_label,
                 key="hubs_year")  # fmt: skip
label = option.bureau_label

if view.bureau_figure is not None:  # a profile without bureaus has no such section
    st.header(f"{label}別の拠点と地域運営組織")
    if filters.bureaus:
        st.caption(
            f"選択した{label}（{'・'.join(filters.bureaus)}）を濃く、その他を薄く表示しています。"
        )
    chart_block(
        view.bureau_figure, view.bureau_table, view.source, f"{label}別の拠点", filters, "bureau"
    )

st.header("市町村別")
table_block(
    view.municipality_table,
    "市町村別の拠点",
    filters,
    "municipality",
    "市町村別の表",
    expanded=True,
)
if view.message:
    empty_state(view.message)

left, right = st.columns(2)
with left:
    st.header("地域運営組織のない拠点")
    if view.without_rmo is None:
        empty_state(view.rmo_note)
    else:
        if view.rmo_note:
            st.caption(view.rmo_note)
        table_block(
            view.without_rmo,
            "地域運営組織のない拠点",
            filters,
            "without_rmo",
            f"{len(view.without_rmo)}か所",
            True,
        )
with right:
    st.header("地域運営組織の法人格")
    if view.legal_forms_figure is None:
        empty_state("地域運営組織の法人格のデータがありません。")
    else:
        chart_block(
            view.legal_forms_figure, view.legal_forms_table, view.source, "法人格", filters, "legal"
        )

st.header("拠点のない過疎市町村")
if view.kaso_without_hub is None:
    empty_state(view.kaso_note)
elif view.kaso_without_hub.empty:
    st.success("選択した地域の過疎市町村には、すべて拠点があります。")
else:
    table_block(
        view.kaso_without_hub,
        "拠点のない過疎市町村",
        filters,
        "kaso",
        f"{len(view.kaso_without_hub)}市町村",
        True,
    )

st.header(f"{label}別の提供サービス")
if view.services_figure is None:
    empty_state("この年度の拠点一覧には提供サービスの列がありません（データなし）。")
else:
    caption = view.source + " 「提供なし」はその地域のどの拠点も提供していないサービス。"
    chart_block(
        view.services_figure, view.services_table, caption, "提供サービス", filters, "services"
    )
    if view.service_gaps.empty:
        st.success(f"どの{label}でも、すべてのサービスをいずれかの拠点が提供しています。")
    else:
        table_block(view.service_gaps, "提供のないサービス", filters, "service_gaps",
                    f"どの拠点も提供していないサービス（{len(view.service_gaps)}件）", expanded=True)  # fmt: skip

if view.cooperatives_figure is not None:
    st.header("特定地域づくり事業協同組合")
    chart_block(view.cooperatives_figure, view.cooperatives_table, view.cooperatives_caption,
                "特定地域づくり事業協同組合", filters, "cooperatives")  # fmt: skip

page_excel(filters, option)
