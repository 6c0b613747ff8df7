"""Writes of the staff console: inbox decisions, analytics roll-ups, risk signals."""

from .inbox import inbox_decide

__all__ = ["inbox_decide"]
