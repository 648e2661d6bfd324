"""Accounts: password hashing now; signing keys join here with the signatures work."""
