"""Reads of the staff console: every figure is one SQL aggregate (or reads a roll-up)."""
