"""Departments, their systems and keys, and human users."""
