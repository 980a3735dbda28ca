"""The dashboard's pages, in menu order: the router, the tests and the benchmarks read this list.

Each page's url_path is its file stem (Streamlit's default), so a fresh server's first request
for a deep link finds the same page in the legacy pages-folder mode (see dashboard.ui.state)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the project folder
    title: str
    icon: str


PAGES = (  # the first is the default page, at "/"
    PageSpec("pages/overview.py", "概要", ":material/dashboard:"),
    PageSpec("pages/hubs.py", "拠点・地域運営組織", ":material/groups:"),
    PageSpec("pages/grant_map.py", "補助金マップ", ":material/map:"),
    PageSpec("pages/pipeline.py", "事業パイプライン", ":material/timeline:"),
    PageSpec("pages/briefing.py", "ブリーフィング", ":material/slideshow:"),
    PageSpec("pages/national.py", "全国比較", ":material/public:"),
    PageSpec("pages/data.py", "データ", ":material/database:"),
)
TITLES = {page.path: page.title for page in PAGES}
