"""The web dashboard of ``ledger serve``: server-rendered pages (Jinja2) over the same read
models, tokens and rules as the JSON API, with charts drawn on the server as SVG. Nothing is
fetched from elsewhere: the stylesheet is served by the app, and no page needs a script."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def mount(app: FastAPI) -> None:
    """Add the dashboard (``/ui``) and its static files (``/ui/static``) to ``app``."""
    from api.web import forms, pages

    app.include_router(pages.router)
    app.include_router(forms.router)
    static = StaticFiles(directory=Path(__file__).parent / "static")
    app.mount("/ui/static", static, name="ui-static")
