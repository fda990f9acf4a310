# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hints for HTTP and network failures: one or two sentences a person can act on.

Pure functions over a status, the panel's error code and detail, or a requests exception (and
the exceptions it wraps). Also the two rules that decide whether a failed request may be sent
again. Private to the collection.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

try:
    import requests
except ImportError:  # _http reports the missing library; nothing here runs without it
    requests = None

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import excerpt

# -- the exception chain --


def exception_chain(exc: BaseException) -> list[BaseException]:
    """exc and the exceptions it wraps (args, .reason, __cause__, __context__)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        linked = [arg for arg in current.args if isinstance(arg, BaseException)]
        linked += [getattr(current, "reason", None), current.__cause__, current.__context__]
        todo.extend(item for item in linked if isinstance(item, BaseException))
    return seen


def has_class(chain: list[BaseException], name: str) -> bool:
    """True when an exception of the chain is of a class (or subclass of a class) called ``name``."""
    return any(cls.__name__ == name for exc in chain for cls in type(exc).__mro__)


def connect_failed(exc: BaseException) -> bool:
    """True when the request cannot have reached the panel (safe to re-send a POST)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    chain = exception_chain(exc)
    return has_class(chain, "NewConnectionError") or any(isinstance(e, ConnectionRefusedError) for e in chain)


def transient_network_error(exc: BaseException) -> bool:
    """Worth another try for a request that is safe to repeat."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(
        exc,
        (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError),
    )


# -- hints for http errors --


def permission_phrase(permission: str | tuple[str, ...] | dict[str, str] | None) -> str:
    """`` (control.console)``, `` (control.start, control.stop or control.restart)``, per panel
    `` (schedule.update on Pterodactyl, schedule.delete on Pelican)`` or ``""``."""
    if not permission:
        return ""
    if isinstance(permission, str):
        return f" ({permission})"
    if isinstance(permission, dict):
        return f" ({', '.join(f'{name} on {panel.capitalize()}' for panel, name in permission.items())})"
    names = list(permission)
    if len(names) == 1:
        return f" ({names[0]})"
    return f" ({', '.join(names[:-1])} or {names[-1]})"


def _application_key_hint() -> str:
    return (
        "This looks like an application API key (ptla_ / papp_); the client API needs a client API key "
        "(ptlc_, on Pelican pacc_) created by the user under Account > API Credentials."
    )


def _hint_401(code, detail, errors, kind, permission):
    hint = (
        "The API key was not accepted: check api_key (a client API key starts with ptlc_, "
        "on Pelican pacc_) and that it still exists in the panel under Account > API Credentials."
    )
    if kind == "application":
        hint += " " + _application_key_hint()
    return hint


def _hint_403(code, detail, errors, kind, permission):
    detail = detail or ""
    if "application API key" in detail or kind == "application":
        return _application_key_hint()
    if code == "HttpForbiddenException" and "websocket" in detail:
        return "The user of this API key lacks the websocket.connect permission on this server."
    if "IP address" in detail:
        return "The API key's allowed IPs do not include this machine; edit the key's allowed IPs in the panel."
    if "unauthorized" in detail or "do not have permission to perform this action" in detail:
        return (
            f"The user of this API key lacks the subuser permission for this action"
            f"{permission_phrase(permission)}; ask the server owner to grant it."
        )
    return "The panel refused this action for the user of this API key."


def _hint_404(code, detail, errors, kind, permission):
    detail = detail or ""
    if "could not be found on the server" in detail:
        return (
            "No server with this identifier exists. Check the server identifier "
            "(8 characters, or serv_... on panels that use those) or UUID, or pass the server's exact name."
        )
    if "does not exist on this server" in detail:
        return (
            "The server exists but is not visible to the user of this API key (not its owner, a subuser or an admin)."
        )
    if detail.startswith("The route"):
        return "The panel has no such API route: check that url is the panel's root address."
    return None


def _hint_409(code, detail, errors, kind, permission):
    return (
        "The server's state blocks this action (suspended, installing, restoring a backup, being "
        "transferred, or its node is in maintenance); wait until it is back to normal."
    )


def _hint_422(code, detail, errors, kind, permission):
    problems = []
    for entry in errors:
        meta = entry.get("meta") or {}
        field = meta.get("source_field") or "?"
        rule = f" (rule {meta['rule']})" if meta.get("rule") else ""
        problems.append(f"{field}{rule}: {entry.get('detail')}")
    return f"The panel rejected the request body: {'; '.join(problems)}" if problems else None


def _hint_400(code, detail, errors, kind, permission):
    if code == "TwoFactorAuthRequiredException":
        return "The panel requires two-factor authentication for this user: enable it on the account."
    if code in ("InvalidFilterQuery", "InvalidSortQuery"):
        return "A filter or sort parameter is not supported by this endpoint."
    return None


def _hint_5xx(code, detail, status):
    if code == "DaemonConnectionException" or status == 504:
        return (
            "The panel could not reach the node (Wings) that runs this server: check that Wings is "
            "running and reachable from the panel, then try again."
        )
    if detail and "must be online" in detail:
        return "Start the server first: commands can only be sent to a running server."
    if status == 500:
        return "The panel hit an internal error; its log (storage/logs) has the details."
    return "The panel or a proxy in front of it is unavailable or overloaded (or in maintenance mode); try again later."


_HINTS: dict[int, Callable] = {
    400: _hint_400,
    401: _hint_401,
    403: _hint_403,
    404: _hint_404,
    409: _hint_409,
    422: _hint_422,
}


def http_hint(
    status: int,
    code: str | None,
    detail: str | None,
    errors: list[dict],
    kind: str,
    permission: str | tuple[str, ...] | None = None,
) -> str | None:
    """A sentence telling a person what to check for this HTTP error.

    ``kind`` is the API key's kind (``client``, ``application``, ``unknown``); ``permission``
    the subuser permission the route needs, named when the panel says the action is unauthorized.
    """
    if status >= 500 or code == "DaemonConnectionException":
        return _hint_5xx(code, detail, status)
    handler = _HINTS.get(status)
    return handler(code, detail, errors, kind, permission) if handler else None


WINGS_HINT = (
    "This answer comes from a Wings node (its errors are one 'error' text, the panel's an 'errors' list), "
    "not from the panel: set url to the panel's address (the one you open in a browser), not a node's."
)


def looks_like_wings(body: Any) -> bool:
    """Whether an error body has the shape of a Wings node's (``{"error": "..."}``), not the panel's."""
    return isinstance(body, dict) and isinstance(body.get("error"), str) and "errors" not in body


def error_entries(body: Any) -> list[dict]:
    """The panel's ``errors[]`` entries as plain dicts (empty if none)."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    entries = []
    for raw in body["errors"]:
        if isinstance(raw, dict):
            entry = {name: raw.get(name) for name in ("code", "status", "detail")}
            if isinstance(raw.get("meta"), dict):
                entry["meta"] = raw["meta"]
            entries.append(entry)
    return entries


def http_message(method: str, path: str, status: int, code: str | None, detail: str | None, body: str | None) -> str:
    """``GET /path failed: HTTP 404 Code: detail``, or an excerpt of a body without an envelope."""
    head = f"{method} {path} failed: HTTP {status}"
    if code or detail:
        return f"{head} {code or 'error'}: {detail or '(no detail)'}"
    if body is None:
        return head + " with an empty body"
    return f"{head}, body: {excerpt(body)!r}"


def throttle_hint(detail: str | None, retry_after: float | None, waited: float, budget: float) -> str:
    """The hint of a per-server throttle of the panel (backups: 2 per 600 s by default), not the rate limit."""
    when = ""
    if retry_after is not None:
        at = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + retry_after))
        when = f" The next one is allowed in {retry_after:.0f} s (after {at})."
    return (
        f"The panel throttles this action: {detail or 'too many at once'}{when} "
        f"Waited {waited:.0f} s of rate_limit_wait={budget:g} s; raise rate_limit_wait to wait for it, or try later."
    )


def rate_limit_hint(waited: float, budget: float) -> str:
    """The hint of a 429 that was not waited out: ``waited`` seconds of the ``budget``."""
    return (
        "Rate limit reached: the panel allows a fixed number of requests per minute per user "
        "(720 by default, 256 on Pelican), shared by every API key and session of that user; "
        f"waited {waited:.0f} s of rate_limit_wait={budget:g} s. "
        "Try again later or raise rate_limit_wait."
    )


def redirect_hint(location: str, base_url: str) -> str:
    """Why the panel redirected, for a person."""
    target = urlsplit(location)
    if "login" in target.path:
        return (
            "The panel redirected to its login page: url is not the panel's API root (give the panel's "
            "address, e.g. https://panel.example.com), or a proxy drops the 'Accept: application/json' header."
        )
    if target.scheme and target.scheme != urlsplit(base_url).scheme:
        return f"The panel redirects to {target.scheme}://: use that scheme in url."
    return "Redirects are not followed: set url to the address the panel answers on (scheme, host and path)."


# -- network error descriptions --


def _short_cause(exc: BaseException) -> str:
    innermost = exception_chain(exc)[-1]
    return excerpt(str(innermost) or type(innermost).__name__, 120)


def network_cause(exc: BaseException, timeout: float) -> tuple[str, str | None]:
    """(cause phrase, hint) for a requests exception."""
    exc_mod = requests.exceptions
    if isinstance(exc, exc_mod.SSLError):
        return _tls_cause(exc)
    if isinstance(exc, exc_mod.ConnectTimeout):
        return (
            f"connection timed out after {timeout:g} s",
            "Check the host name and port, and that no firewall drops the connection.",
        )
    if isinstance(exc, exc_mod.ReadTimeout):
        return (
            f"timed out after {timeout:g} s waiting for the answer",
            "The panel is slow or stuck; raise timeout or try again later.",
        )
    if isinstance(exc, exc_mod.ProxyError):
        return f"the proxy failed ({_short_cause(exc)})", "Check the HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables."
    if isinstance(exc, exc_mod.ConnectionError):
        return _connection_cause(exc)
    if isinstance(exc, exc_mod.ChunkedEncodingError):
        return f"the answer was cut off ({_short_cause(exc)})", "Try again; a proxy may be cutting responses."
    if isinstance(exc, exc_mod.InvalidJSONError):
        return "the request body could not be encoded as JSON", None
    return f"{type(exc).__name__} ({_short_cause(exc)})", None


def _tls_cause(exc: BaseException) -> tuple[str, str | None]:
    text = " ".join(str(e) for e in exception_chain(exc))
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return (
            "certificate verify failed",
            "Set validate_certs or ca_path: give ca_path the CA bundle that signed the panel's certificate, "
            "or set validate_certs: false for a test panel.",
        )
    return (
        f"TLS error ({_short_cause(exc)})",
        "Check that the URL's scheme and port match the panel (https on a TLS port).",
    )


def _connection_cause(exc: BaseException) -> tuple[str, str | None]:
    chain = exception_chain(exc)
    if has_class(chain, "NameResolutionError") or any(isinstance(e, socket.gaierror) for e in chain):
        return "could not resolve the host name", "Check the host name in url and the DNS settings."
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused", "Check that the panel runs and that url has the right host and port."
    if any(isinstance(e, (ConnectionResetError, ConnectionAbortedError)) for e in chain) or has_class(
        chain, "RemoteDisconnected"
    ):
        return "the connection was closed by the other side", "Try again; check proxies between here and the panel."
    return f"connection failed ({_short_cause(exc)})", "Check url and the network path to the panel."
