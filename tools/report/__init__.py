"""The docs' measured tables, drawn from the results files in docs/report/ (docs.py, `python -m
tools.report`), and CI's list of its rollouts (ci_rollouts.py). The top of tools/: it reads what
the scenarios measured, and nothing imports it."""
