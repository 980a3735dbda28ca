"""Running the dashboard as several processes behind nginx: `python deploy/serve.py`."""
