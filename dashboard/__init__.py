"""Read side of 小さな拠点モニター: warehouse access, queries, figures, maps and exports.

Only `dashboard.ui` (the page boundary) imports streamlit; everything else is plain Python.
"""
