import functools

import streamlit as st

from core.settings import load_settings
from dashboard.export import images
from dashboard.export.packs import FORMATS, export
from dashboard.ui.cache import latest, loader
from dashboard.ui.cache import view as cached_view
from dashboard.ui.components import chart, metric_cards, page_header, print_stylesheet, table_block
from dashboard.ui.state import current
from dashboard.views.pack import pack_file_name

LABELS = {"pptx": "PowerPoint（PPTX）", "pdf": "PDF", "xlsx": "Excel（表）"}

filters, option = current()
images.prewarm()  # the browser that draws the packs' charts starts while the page is read
st.html(f"<style>{print_stylesheet()}</style>")  # static, no data in it
page_header("ブリーフィング", filters, option)
settings = load_settings()
view = cached_view("briefing", filters, option, settings.boundaries_dir, settings.map_style)

metric_cards(view.headlines)

left, right = st.columns([3, 2])
with left:
    st.markdown(f"## 拠点数の推移と目標　判定: {view.grade}")
    chart(view.trajectory, view.trajectory_name, "briefing_trajectory", view.trajectory_source,
          view.trajectory_summary)  # fmt: skip
    with st.container(key="no_print_table"):  # the table behind the chart, not on paper
        table_block(view.trajectory_table, "拠点数の推移", filters, "briefing_trajectory")
with right:
    for line in view.grade_text:
        st.caption(line)
    if view.table is not None:
        st.markdown(f"## {view.table_title}")
        st.table(view.table)
        if filters.bureaus:
            st.caption(f"●: 選択中の{option.bureau_label}")

st.markdown(f"## {view.findings_title}")
st.text(view.findings_text)


def pack_bytes(fmt: str, appendix: bool) -> bytes:
    # One build for the whole pack, even if another is published while it is being made.
    return latest(
        lambda at: export(
            loader(at), filters, option, fmt, settings.boundaries_dir, settings.map_style, appendix
        )
    ).data


downloads = st.container(key="no_print")  # hidden on paper (print.css)
downloads.divider()
downloads.caption(
    "印刷（Ctrl+P）すると、この画面を A4 横 1 枚に収めて出力します（サイドバーやボタンは印刷されません）。"
)
appendix = downloads.checkbox(
    "PowerPoint と PDF に付録を付ける（市町村別の拠点、規則チェックの全件、地区の上限と残り、"
    "市町村別の補助金額、公表値の出典）",
    key="briefing_appendix",
)
for column, fmt in zip(downloads.columns(len(FORMATS)), FORMATS, strict=True):
    column.download_button(
        f"{LABELS[fmt]} をダウンロード",
        data=functools.partial(pack_bytes, fmt, appendix),  # the full pack, made on click
        file_name=pack_file_name(view.pack, fmt),
        mime=FORMATS[fmt],
        key=f"download_{fmt}",
        on_click="ignore",
        icon=":material/download:",
    )
