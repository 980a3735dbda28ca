"""The page boundary: the only part of dashboard/ that imports streamlit."""
