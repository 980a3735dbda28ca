"""Briefing packs (PPTX, PDF) and Excel exports of the current view, shared by the download
buttons and `python -m dashboard export`."""
