"""The interactive API reference at /api/v1/docs: Swagger UI from the swagger-ui-bundle package's own files
(no CDN), reading this gateway's OpenAPI document."""
from __future__ import annotations

import functools

from swagger_ui_bundle import swagger_ui_path

from services.gateway.api import ApiCall, Backends

HTML = "text/html"
CSS = "text/css"
JAVASCRIPT = "application/javascript"

# Relative URLs: the page works under whatever prefix a proxy serves the API at.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>School communications API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true,
                                 presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
  </script>
</body>
</html>
"""


def docs_page(call: ApiCall, backends: Backends) -> str:
    return PAGE


def docs_stylesheet(call: ApiCall, backends: Backends) -> bytes:
    return _bundled("swagger-ui.css")


def docs_script(call: ApiCall, backends: Backends) -> bytes:
    return _bundled("swagger-ui-bundle.js")


@functools.cache
def _bundled(name: str) -> bytes:
    return (swagger_ui_path / name).read_bytes()
