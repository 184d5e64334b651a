"""The application as ``ledger serve`` hands it to uvicorn's worker processes: built from the
environment (``LEDGER_DATABASE_URL``; ``LEDGER_API_AUTH=off`` for local use without tokens)."""

from __future__ import annotations

from fastapi import FastAPI

from api.http.app import create_app
from api.settings import Settings, from_environment


def app_from_environment() -> FastAPI:
    """The API over ``LEDGER_DATABASE_URL``; tokens required unless ``LEDGER_API_AUTH=off``."""
    auth = from_environment("API_AUTH", "on").strip().lower() != "off"
    settings = Settings()
    return create_app(settings.database_url, auth=auth, cipher_key=settings.cipher_key)
