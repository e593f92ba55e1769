"""Operator tools run from the command line (`crm seed-demo`, `make bench`), never by the app:
nothing the app factory or a web module imports at start-up may import this package."""
