"""The API's own documentation pages, /docs (Swagger UI) and /redoc, served from a package's files.

FastAPI's defaults load Swagger UI and ReDoc from a CDN: blank pages offline, and a browser told to contact a
third party from an intranet. fastapi-offline carries the same assets; they are served under /docs-assets.
"""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
DOCS_PATHS = frozenset({"/docs", "/redoc"})
_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """/docs and /redoc over the app's /openapi.json; the app is built with docs_url=None and redoc_url=None."""
    app.mount(ASSETS_PATH, StaticFiles(directory=_ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} – API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url, title=f"{app.title} – API", redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png", with_google_fonts=False,
        )
