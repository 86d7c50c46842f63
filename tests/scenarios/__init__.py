"""Fixtures for the scenario, admin and CLI tests: hand-made tables and bad scenario files."""
