"""Swagger UI and ReDoc assets, served by the gateway itself (no CDN).

They come from the ``fastapi-offline`` package, which ships Swagger UI's bundle and stylesheet, ReDoc's
standalone bundle and a favicon; only those four files are served, by name.
"""

from __future__ import annotations

import asyncio
from functools import cache
from importlib.resources import files

from starlette.responses import Response

from services.common.errors import NotFound
from services.common.messages import Message

ASSETS_PATH = "/docs-assets"
_MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
# The files change only with the package version: let browsers keep them for a day.
_CACHE_CONTROL = "public, max-age=86400"


@cache
def _asset(name: str) -> bytes:
    return (files("fastapi_offline") / "static" / name).read_bytes()


async def asset_response(name: str) -> Response:
    media_type = _MEDIA_TYPES.get(name)
    if media_type is None:
        raise NotFound(Message("gateway.no_asset", name=repr(name)))
    content = await asyncio.to_thread(_asset, name)
    return Response(content, media_type=media_type, headers={"Cache-Control": _CACHE_CONTROL})
