"""sandbox/panel.py's route registry for resource families, in process: a route registered by a family runs
behind the whole pipeline (route match, 405, 401, 429 headers, 404 bind, 403 application key, 404 visibility,
409 state) and its handler gets the route's parameters; the permission check is the handler's own.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from sandbox_expect import serving

from sandbox import errors as E
from sandbox import fleet as fleet_mod
from sandbox import panel as panel_mod

pytestmark = [
    pytest.mark.timeout(30),
    # the panel keeps its user in request["sandbox_user"], a plain string key (seen only in process)
    pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning"),
]

NAME = "api:client:server.test-echo"
PATTERN = r"^/api/client/servers/(?P<server>[^/]+)/test-echo/(?P<item>\d+)$"


async def echo(panel, ctx):
    if not panel.fleet.can(ctx.user, ctx.server, "file.read"):
        raise E.forbidden()
    return panel.json_response({"params": ctx.params, "server": ctx.server.identifier, "query": ctx.query})


@pytest.fixture
def registered():
    panel_mod.register_route(NAME, PATTERN, ("POST",), echo)
    yield
    panel_mod.FAMILY_ROUTES[:] = [r for r in panel_mod.FAMILY_ROUTES if r[1] != NAME]
    panel_mod.FAMILY_HANDLERS.pop(NAME, None)


def serve(scenario):
    """Run ``await scenario(fleet, url, session)`` against an in-process panel on 127.0.0.1."""
    fleet = fleet_mod.generate(3)
    fleet.servers[2].status = "suspended"
    context = fleet_mod.NodeContext(servers_by_uuid=fleet.servers_by_uuid, daemon_token=fleet.daemon_token)
    panel = panel_mod.Panel(fleet, context, rate_limit=100, token_ttl=600)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        try:
            return await panel.handle(request)
        except E.ApiError as exc:
            return exc.response()

    async def main():
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        async with serving(app) as url, aiohttp.ClientSession() as session:
            await scenario(fleet, url, session)

    asyncio.run(main())


def auth(fleet, username: str, kind: str = "client") -> dict:
    key = fleet.first_key(fleet.user(username), kind)
    return {"Accept": "application/json", "Authorization": f"Bearer {key.token}"}


def test_a_registered_route_runs_behind_the_pipeline(registered):
    async def scenario(fleet, url, session):
        first, suspended = fleet.servers[0], fleet.servers[2]

        async def call(ref, username="owner", method="POST", kind="client", item="7", query=""):
            headers = auth(fleet, username, kind) if username else {"Accept": "application/json"}
            target = f"{url}/api/client/servers/{ref}/test-echo/{item}{query}"
            async with session.request(method, target, headers=headers) as r:
                return r.status, await r.json(), r.headers

        status, body, headers = await call(first.identifier)
        assert status == 200
        assert body == {"params": {"server": first.identifier, "item": "7"}, "server": first.identifier, "query": {}}
        assert headers["X-RateLimit-Limit"] == "100"
        # PHP's parse_str over the raw query string: each value decoded once, "+" a space
        status, body, _headers = await call(first.identifier, query="?file=world%252Flevel+1.dat&a[]=x%26y&b=%20")
        assert body["query"] == {"file": "world%2Flevel 1.dat", "a": {"0": "x&y"}, "b": None}
        status, body, headers = await call(first.uuid, method="GET")
        assert status == 405 and headers["Allow"] == "POST"
        assert (await call(first.identifier, username=None))[0] == 401
        status, body, _headers = await call("deadbeef")
        assert status == 404 and body["errors"][0]["detail"] == E.NOT_FOUND_UNKNOWN
        status, body, _headers = await call(first.identifier, username="admin", kind="application")
        assert status == 403 and body["errors"][0]["detail"] == E.APPLICATION_KEY
        status, body, _headers = await call(first.identifier, username="other")
        assert status == 404 and body["errors"][0]["detail"] == E.NOT_FOUND_HIDDEN
        status, body, _headers = await call(suspended.identifier)
        assert status == 409 and body["errors"][0]["detail"] == E.CONFLICT_SUSPENDED
        status, body, _headers = await call(first.identifier, username="helper")  # a subuser without file.read
        assert status == 403 and body["errors"][0]["detail"] == E.UNAUTHORIZED
        status, body, _headers = await call(first.identifier, item="x")  # the pattern does not match
        assert status == 404 and body["errors"][0]["code"] == "NotFoundHttpException"

    serve(scenario)


def test_registry_refuses_a_name_twice_and_knows_the_files_family(registered):
    with pytest.raises(ValueError):
        panel_mod.register_route(NAME, PATTERN, ("GET",), echo)
    with pytest.raises(ValueError):
        panel_mod.register_route("api:client:server.view", r"^/nowhere$", ("GET",), echo)
    panel_mod.load_families()
    names = {route[1] for route in panel_mod.FAMILY_ROUTES}
    assert {f"api:client:server.files.{op}" for op in ("list", "contents", "write", "upload", "chmod")} <= names


def test_routes_sharing_a_path_a_flavor_only_route_and_a_binder():
    """Several verbs on one path (the 405 lists them in Laravel's order), a route only one panel has, and a family's
    binder for another route parameter, run where the server is bound (before the 403 of an application key)."""
    names = ["api:client:server.test-item.view", "api:client:server.test-item.delete", "api:client:server.test-pl"]
    item = r"^/api/client/servers/(?P<server>[^/]+)/test-item/(?P<item>[^/]+)$"
    panel_mod.register_route(names[0], item, ("GET",), echo)
    panel_mod.register_route(names[1], item, ("DELETE",), echo)
    panel_mod.register_route(names[2], item[:-1] + "/pl$", ("PUT",), echo, flavor="pelican")

    def bind(panel, server, value):
        if value != "known":
            raise E.not_found(E.NOT_FOUND_UNKNOWN)
        return {"item": value, "server": server.identifier}

    panel_mod.register_binder("item", bind)
    try:

        async def scenario(fleet, url, session):
            base = f"{url}/api/client/servers/{fleet.servers[0].identifier}/test-item"
            async with session.get(base + "/known", headers=auth(fleet, "owner")) as r:
                assert r.status == 200
            async with session.delete(base + "/known", headers=auth(fleet, "owner")) as r:
                assert r.status == 200
            async with session.put(base + "/known", headers=auth(fleet, "owner")) as r:
                assert r.status == 405 and r.headers["Allow"] == "GET, HEAD, DELETE"
            async with session.get(base + "/unknown", headers=auth(fleet, "admin", "application")) as r:
                assert r.status == 404 and (await r.json())["errors"][0]["detail"] == E.NOT_FOUND_UNKNOWN
            async with session.put(base + "/known/pl", headers=auth(fleet, "owner")) as r:
                assert r.status == 404 and (await r.json())["errors"][0]["detail"].endswith("/pl could not be found.")

        serve(scenario)
        with pytest.raises(ValueError):
            panel_mod.register_binder("item", bind)
    finally:
        panel_mod.FAMILY_ROUTES[:] = [r for r in panel_mod.FAMILY_ROUTES if r[1] not in names]
        for name in names:
            panel_mod.FAMILY_HANDLERS.pop(name, None)
        panel_mod.ROUTE_FLAVORS.pop(names[2], None)
        panel_mod.BINDERS.pop("item", None)
