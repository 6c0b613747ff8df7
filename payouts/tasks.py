"""Celery tasks of payouts: thin wrappers around payouts.services."""
