"""Signed URLs: the one-time JWTs the panel hands out for Wings' download and upload endpoints.

Panel side (PT ``app/Services/Nodes/NodeJWTService.php``; reference panel-client-api-config.md §2.4): HS256 with the
node's daemon token, claims in the builder's order ``iss, aud, jti, iat, nbf (-5 min), exp (+15 min)``, the
route's claims (``file_path``, ``server_uuid``...), ``user_uuid``, ``user_id`` (Pelican: ``scope`` instead),
``unique_id`` (16 random characters); ``jti`` = md5 (Pelican sha256) of user id + server uuid, also a JOSE header.

Node side (W ``router/tokens``): only the signature and ``exp`` are checked (a bad or expired token is a
500); an unknown server, or a ``unique_id`` seen before (kept 60 min), is a 404. PW also answers 404 for a
token issued before the node booted or before the user was revoked, and for the wrong ``scope``.
Used by sandbox/files_wings.py; backups will use it for ``/download/backup``.
"""

from __future__ import annotations

import secrets
import string
import time
import uuid as uuidlib
from typing import Any

from aiohttp import web

from .wings import GENERIC_HTTP, JwtClassError, OtherError, Token, go_json, parse_token

TTL = 15 * 60
UNIQUE_ID_KEEP = 60 * 60
RESOURCE_NOT_FOUND = "The requested resource was not found on this server."


def issue(panel: Any, user: Any, server: Any, claims: dict, *, scope: str, now: int | None = None) -> str:
    jti, payload = panel.node_jwt_claims(user, server, TTL, now)
    payload.update(claims)
    payload["user_uuid"] = user.uuid
    if panel.pelican:
        payload["scope"] = scope
    else:
        payload["user_id"] = user.id
    payload["unique_id"] = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))
    return panel.sign_node_jwt(server, jti, payload)


def signed_url(panel: Any, path: str, token: str) -> dict:
    """The panel's answer: ``{"object":"signed_url","attributes":{"url"}}``."""
    return {"object": "signed_url", "attributes": {"url": f"{panel.wings_url}{path}?token={token}"}}


class WingsAnswer(Exception):
    """A node answer that ends the request (raised by :func:`check`)."""

    def __init__(self, response: web.StreamResponse):
        super().__init__(response.status)
        self.response = response


def wings_json(status: int, body: dict, request_id: str) -> web.Response:
    """A gin ``c.JSON`` answer (Go's JSON encoding, ``X-Request-Id`` as every Wings response has)."""
    return web.Response(
        status=status,
        text=go_json(body),
        content_type="application/json",
        charset="utf-8",
        headers={"X-Request-Id": request_id},
    )


# the X-Request-Id of one node request (a typed key where aiohttp has them)
REQUEST_ID = web.RequestKey("wings_request_id", str) if hasattr(web, "RequestKey") else "wings_request_id"


def request_id(request: web.Request) -> str:
    rid = request.get(REQUEST_ID)
    if rid is None:
        rid = request[REQUEST_ID] = str(uuidlib.uuid4())
    return rid


def generic_error(request: web.Request, status: int = 500) -> WingsAnswer:
    rid = request_id(request)
    return WingsAnswer(wings_json(status, {"error": GENERIC_HTTP, "request_id": rid}, rid))


def is_unique(ctx: Any, unique_id: str) -> bool:
    """W's token store: the first sight of a ``unique_id`` passes, later ones (for 60 min) do not."""
    store = getattr(ctx, "used_unique_ids", None)
    if store is None:
        store = ctx.used_unique_ids = {}
    now = time.time()
    for key in [k for k, expiry in store.items() if expiry <= now]:
        del store[key]
    if unique_id in store:
        return False
    store[unique_id] = now + UNIQUE_ID_KEEP
    return True


def check(ctx: Any, request: web.Request, scope: str, *, string_claims: tuple[str, ...] = ()) -> tuple[Token, Any]:
    """Verify the ``token`` query parameter like Wings: -> (token, server), or raise :class:`WingsAnswer`."""
    pelican = getattr(ctx, "flavor", "pterodactyl") == "pelican"
    try:
        token = parse_token(request.query.get("token", ""), ctx.daemon_token, scoped=pelican)
    except (OtherError, JwtClassError):
        raise generic_error(request) from None
    for name in string_claims + ("unique_id",):
        value = token.claims.get(name)
        if value is not None and not isinstance(value, str):
            raise generic_error(request)
    server = ctx.servers_by_uuid.get(token.server_uuid)
    refused = server is None
    if not refused and pelican:
        refused = not token.user_uuid or token.denylisted(ctx)
    if not refused:
        refused = not is_unique(ctx, str(token.claims.get("unique_id") or ""))
    if not refused and pelican:
        refused = not token.has_scope(scope)
    if refused:
        rid = request_id(request)
        raise WingsAnswer(wings_json(404, {"error": RESOURCE_NOT_FOUND}, rid))
    return token, server
