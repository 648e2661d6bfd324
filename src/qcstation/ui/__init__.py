"""The inspector's window: PySide6 lives here (and in app.py) and nowhere else.

Screens call services through a TaskRunner so database and file work never runs on the
GUI thread; they never open a database session or write a file themselves.
"""
