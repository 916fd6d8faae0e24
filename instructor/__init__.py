"""Instructor tools: a real nbgrader course built from the notebooks (issue 12)."""
