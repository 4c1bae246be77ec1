"""Contributions from community groups and providers: the form and its validation,
duplicates, review dates and the analysis refresh after approvals (no Flask here)."""
