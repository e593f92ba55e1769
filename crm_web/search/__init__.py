"""List plumbing shared by contacts and companies: keyset pages, estimated totals, LIKE terms."""
