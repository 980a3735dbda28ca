"""小さな拠点モニター — status page of the published warehouse."""

import streamlit as st

from dashboard.db import Warehouse, WarehouseMissing
from etl.settings import load_settings

st.set_page_config(page_title="小さな拠点モニター", layout="wide")


@st.cache_resource
def warehouse() -> Warehouse:
    return Warehouse(load_settings().warehouse_dir)


st.title("小さな拠点モニター")
try:
    info = warehouse().query("select build_id, built_at, is_sample from build_info")
    kpi = warehouse().query(
        """select p.pref_name, k.indicator, k.fiscal_year, k.value, k.basis, k.source
           from kpi_series k join profiles p using (pref_code)
           where k.kind = 'actual' order by p.pref_code, k.indicator, k.fiscal_year, k.basis"""
    )
    files = warehouse().query("select file, kind, rows, sha256, is_sample from load_log")
except WarehouseMissing as exc:
    st.error(str(exc))
    st.stop()
if bool(info["is_sample"].iloc[0]):
    st.warning(
        "表示しているのはサンプルデータ（架空）です。合計値は公表値と一致しますが、個々の拠点・補助金は架空です。"
    )
st.caption(
    f"データ版: {info['build_id'].iloc[0]}（作成 {info['built_at'].iloc[0]:%Y-%m-%d %H:%M} UTC）"
)
st.subheader("KPI（拠点数・地域運営組織数）")
st.dataframe(kpi, hide_index=True)
st.subheader("入力ファイル")
st.dataframe(files, hide_index=True)
