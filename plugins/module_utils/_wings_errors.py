# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failures of the Wings websocket, as errors a person can act on.

Each builder turns what the websocket showed (a handshake status, a TLS or socket failure, a close
code, a ``jwt error``/``daemon error``/``throttled``/``deleted`` event) into a :class:`ConsoleError`
with a code of ``CLIENT_CODES`` and a hint, as ``_hints`` does for HTTP. Pure: no socket, no
clock. Private to the collection.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleError, body_text
from ansible_collections.gameops.pterodactyl.plugins.module_utils._wings import (
    CLOSE_GOING_AWAY,
    CLOSE_SUSPENDED,
    EVENT_DAEMON_ERROR,
    EVENT_DELETED,
    EVENT_JWT_ERROR,
    describe_drop,
    strip_event_prefix,
)


def handshake_error(status: int | None, origin: str, body, path: str | None) -> ConsoleError:
    """The error for a refused websocket upgrade (HTTP ``status``)."""
    if status == 403:
        return ConsoleError(
            f"Wings refused the websocket (HTTP 403): the Origin header '{origin}' must equal the "
            "panel URL configured in Wings (remote / allowed_origins); set websocket_origin",
            status=403,
            code="WebsocketOriginRejected",
            path=path,
            detail=body_text(body, 500),
        )
    if status == 404:
        return ConsoleError(
            "Wings does not know this server (HTTP 404 on the websocket)",
            status=404,
            code="WebsocketServerUnknown",
            path=path,
            hint="the server may have been deleted or moved to another node",
        )
    return ConsoleError(
        f"Wings refused the websocket (HTTP {status})",
        status=status,
        code="WebsocketHandshakeFailed",
        path=path,
        detail=body_text(body, 500),
        hint="check the Wings log; a proxy in front of Wings must pass websockets",
    )


def tls_error(exc: BaseException, path: str | None) -> ConsoleError:
    return ConsoleError(
        f"TLS failed on the Wings websocket {path}: {exc.__class__.__name__}",
        code="WebsocketTLSError",
        detail=str(exc),
        path=path,
        hint="set ca_path to the CA that signed the Wings certificate, or validate_certs: false",
    )


def connect_error(exc: BaseException, path: str | None) -> ConsoleError:
    return ConsoleError(
        f"cannot connect to the Wings websocket {path}: {describe_drop(exc)}",
        code="WebsocketConnectionLost",
        path=path,
        hint="the controller must reach the node's FQDN and daemon port that the panel advertises",
    )


def close_error(code: int | None, reason: str, path: str | None, during_auth: bool = False) -> ConsoleError | None:
    """The error for a close code that ends the session, None for one a reconnect may cure.

    During authentication every close is an error (the reconnect loop counts it as a failed attempt).
    """
    hint = None
    if code == CLOSE_SUSPENDED:
        message, error_code = "Wings closed the websocket: the server is suspended", "ServerSuspended"
        hint = "unsuspend the server in the panel"
    elif code == CLOSE_GOING_AWAY or (code is not None and 4000 <= code < 5000):
        suffix = f": {reason}" if reason else ""
        message = f"Wings closed the websocket ({code}{suffix})"
        error_code = "ServerDeleted" if code == CLOSE_GOING_AWAY else "WebsocketClosed"
    elif during_auth:
        message = f"the websocket was closed by Wings with code {code} during authentication"
        error_code = "WebsocketConnectionLost"
    else:
        return None
    return ConsoleError(message, status=code, code=error_code, detail=reason, path=path, hint=hint)


MISSING_CONNECT = "missing connect permission"
VERSION_SKEW_HINT = (
    "the panel is older than 1.12.3 while the node runs Wings 1.12.2 or newer, which requires the "
    "'websocket' scope that only panels from 1.12.3 put in the token: upgrade the panel to 1.12.3 or "
    "newer (or keep Wings below 1.12.2)"
)


def jwt_error(text: str, path: str | None, token_scoped: bool | None = None) -> ConsoleError:
    """The error for a ``jwt error`` that a fresh token does not cure.

    ``token_scoped`` is whether the token carries a ``scope`` claim (None: unknown). Wings 1.12.2+
    says "missing connect permission" both for a user without ``websocket.connect`` and for a token
    without the scope an older panel does not emit: only the token tells them apart."""
    detail = strip_event_prefix(text)
    if MISSING_CONNECT in detail and token_scoped is False:
        return ConsoleError(
            f"Wings rejected the websocket token: {detail}; the token has no 'scope' claim",
            code="PanelWingsVersionSkew",
            detail=text,
            hint=VERSION_SKEW_HINT,
            path=path,
        )
    hint = "check the user's websocket.connect permission on this server"
    if "server uuid mismatch" in detail:
        hint = "the token was issued for another server: check the server reference"
    return ConsoleError(
        f"Wings rejected the websocket token: {detail or 'jwt error'}",
        code="WebsocketTokenRejected",
        detail=text,
        hint=hint,
        path=path,
    )


def daemon_error(text: str, path: str | None) -> ConsoleError:
    return ConsoleError(
        f"Wings reported an error on the websocket: {strip_event_prefix(text) or 'daemon error'}",
        code="WingsDaemonError",
        detail=text,
        path=path,
        hint="see the Wings log for the 'Error Event' id",
    )


def throttled_error(scope: str, path: str | None) -> ConsoleError:
    return ConsoleError(
        f"Wings throttled the websocket ({scope}): too many messages; try again later",
        code="WebsocketThrottled",
        detail=scope,
        path=path,
        hint="other clients or tasks may be flooding this server's websocket",
    )


def deleted_error(path: str | None) -> ConsoleError:
    return ConsoleError(
        "the server was deleted while the console was open", code="ServerDeleted", status=CLOSE_GOING_AWAY, path=path
    )


def event_error(event: str, text: str, path: str | None, token_scoped: bool | None = None) -> ConsoleError | None:
    """The error an event ends the session with (``jwt error``, ``daemon error``, ``deleted``), else None.

    Call it for a ``jwt error`` only when :func:`jwt_error_action` says ``"fatal"``.
    """
    if event == EVENT_JWT_ERROR:
        return jwt_error(text, path, token_scoped)
    if event == EVENT_DAEMON_ERROR:
        return daemon_error(text, path)
    if event == EVENT_DELETED:
        return deleted_error(path)
    return None


def token_refused(path: str | None) -> ConsoleError:
    return ConsoleError(
        "Wings keeps rejecting fresh websocket tokens as expired",
        code="WebsocketTokenRejected",
        path=path,
        hint="check that the panel's and the Wings node's clocks agree, "
        "and that Wings was not restarted with a different token",
    )


def missing_library(detail: str | None) -> ConsoleError:
    return ConsoleError(
        "the websocket-client Python library is required for the console",
        code="MissingLibrary",
        detail=detail,
        hint="install websocket-client on the controller (pip install websocket-client)",
    )


def lost_in_auth(when: str, exc: BaseException, path: str | None) -> ConsoleError:
    """The websocket closed ``when`` (``before`` or ``during``) authentication."""
    return ConsoleError(
        f"the websocket closed {when} authentication: {describe_drop(exc)}", code="WebsocketConnectionLost", path=path
    )


HEALTHY = "check that the Wings node is healthy"


def no_answer(what: str, seconds: float, hint: str, path: str | None) -> ConsoleError:
    """Wings did not ``what`` (``confirm authentication``...) in time."""
    return ConsoleError(f"Wings did not {what} within {seconds:g}s", code="WaitTimeout", path=path, hint=hint)


def reconnect_failed(reason: str, attempts: int, last_error: BaseException | None, path: str | None) -> ConsoleError:
    return ConsoleError(
        f"lost the Wings websocket ({reason}) and could not reconnect after {attempts} attempts: {last_error}",
        code="WebsocketConnectionLost",
        path=path,
        hint="check that the Wings node is up and reachable",
    )


def connection_lost(message: str, path: str | None) -> ConsoleError:
    return ConsoleError(message, code="WebsocketConnectionLost", path=path)
