"""The staff console: ecosystem analytics, the approvals inbox, risk signals, jobs and audit.

Pages live under ``/staff/`` with the admin's look; they read through ``selectors`` (SQL
aggregates, never Python loops over rows) and write only through the owning apps' services.
"""
