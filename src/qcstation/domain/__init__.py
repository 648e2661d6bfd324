"""Plain-Python heart of qcstation: templates, inspections, verdicts, defects, roles.

Nothing here imports Qt, SQLAlchemy, OpenCV or ReportLab (an import-linter contract
in pyproject.toml checks it), so every rule can be tested without a display or a database.
"""
