"""The HTTP API (FastAPI): the reports of SPEC §4 as JSON, the same models as the command line."""
