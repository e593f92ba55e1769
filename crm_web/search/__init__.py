"""Global search: one box for contacts, companies, deals, notes and tasks (issue 14)."""
