"""Employers: certificates shared with consent, the dashboard, bulk checks and API keys."""
