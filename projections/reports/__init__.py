"""The reports of SPEC §4, one module per report, each returning a pydantic model.

A model's ``model_dump()`` is exactly the report's JSON: the command line prints it with
``--json``, renders it as text and spreadsheets, and the HTTP API declares the same models as
its responses. Reports are built from the read models with ``model_construct`` (the values come
from the ledger's own tables, already checked when the facts were recorded); long lists are
``TypedDict`` rows, which cost nothing to build and are documented field by field all the same.
"""
