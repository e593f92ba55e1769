"""Record lists: their state in the URL (state.ListState), keyset pages, cursors and estimated
totals (keyset). Contacts, companies and deals list the same way."""
