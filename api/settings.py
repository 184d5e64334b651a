"""Settings of the interfaces, read once from the environment (prefix ``LEDGER_``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.urls import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    """``LEDGER_DATABASE_URL`` chooses the store: ``sqlite:///PATH`` or ``postgresql://…``."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
