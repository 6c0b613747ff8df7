"""Payout services: payee accounts, invoices, batches, reconciliation."""
