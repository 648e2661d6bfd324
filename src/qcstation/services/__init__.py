"""Use cases: the one door the UI and the CLI both go through.

Each function does one thing a user does, owns its transaction and its permission
check, and returns plain data (domain objects or small views), never ORM rows.
"""
