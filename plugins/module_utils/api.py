# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client for the Pterodactyl (and Pelican) panel client API.

Used by the modules and the inventory plugin alike. It never talks to Ansible's
module machinery: every failure is raised as :class:`PterodactylError`, and the
caller decides how to report it.

The panel's contract (error envelope, rate limits, pagination, endpoints) is
described in the developers' reference notes; the behaviours implemented here:

* headers: ``Authorization: Bearer``, ``Accept: application/json``,
  ``Content-Type: application/json`` on bodies, a collection User-Agent;
  one keep-alive session per client, no cookies, redirects never followed;
* a finite timeout, ``validate_certs`` / ``ca_path``, proxies from the environment;
* 429 waited out (``Retry-After`` / ``X-RateLimit-Reset``) within a bounded budget;
* capped exponential backoff with jitter for transient failures of GET requests,
  while a POST is re-sent only if the panel cannot have received it;
* pagination with ``per_page=100`` that keeps every query parameter, optionally
  fetching the remaining pages concurrently;
* the API key never appears in messages, reprs or logs.
"""

from __future__ import annotations

import email.utils
import html
import json as jsonlib
import logging
import math
import random
import re
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Callable
from urllib.parse import quote, urlsplit

try:
    import requests
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.gameops.pterodactyl.plugins.module_utils._version import COLLECTION_VERSION

LOG = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "gameops.pterodactyl/%s (+ansible)" % COLLECTION_VERSION
CLIENT_API = "/api/client"
PER_PAGE = 100  # the panel's maximum page size
MAX_PAGES = 10000  # sanity bound on meta.pagination.total_pages
MAX_WORKERS = 16
EXCERPT_CHARS = 200
REDACTED = "<redacted>"
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
TRANSIENT_STATUSES = frozenset((502, 503, 504))
APPLICATION_KEY_PREFIXES = ("ptla_", "papp_")
CLIENT_KEY_PREFIXES = ("ptlc_", "pacc_")
ACTIVITY_SORTS = ("timestamp", "-timestamp")

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IDENTIFIER_RE = re.compile(r"^[0-9a-f]{8}$")
_KEY_RE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no whitespace
_SCRIPT_RE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)


# --------------------------------------------------------------------------- #
# The exception
# --------------------------------------------------------------------------- #


class PterodactylError(Exception):
    """Every failure of the client: HTTP, network, decoding, bad input.

    ``str(exc)`` is the message followed by the hint: one or two sentences a
    person can act on. It never contains the API key.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        errors: list[dict] | None = None,
        method: str | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        self.hint = hint
        super().__init__(_join_sentences(message, hint))

    def to_failure(self) -> dict:
        """A plain dict for ``fail_json(failure=...)``."""
        return {
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "method": self.method,
            "path": self.path,
            "errors": [dict(entry) for entry in self.errors],
            "hint": self.hint,
        }

    def __repr__(self) -> str:
        return "%s(status=%r, code=%r, method=%r, path=%r, message=%r)" % (
            type(self).__name__, self.status, self.code, self.method, self.path, str(self))


def _join_sentences(message: str, hint: str | None) -> str:
    if not hint:
        return message
    if message.endswith((".", "!", "?", ":")):
        return "%s %s" % (message, hint)
    return "%s. %s" % (message, hint)


# --------------------------------------------------------------------------- #
# Small pure helpers
# --------------------------------------------------------------------------- #


def redact(value: Any, secret: str | None) -> Any:
    """Replace every occurrence of ``secret`` in strings inside ``value``."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, REDACTED)
    if isinstance(value, dict):
        return {key: redact(item, secret) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item, secret) for item in value]
    return value


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line, tag-free excerpt of a response body."""
    text = _COMMENT_RE.sub(" ", text[:20000])
    text = _SCRIPT_RE.sub(" ", text)
    text = html.unescape(_TAG_RE.sub(" ", text))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def normalize_url(url: str) -> str:
    """The panel root: scheme://host[:port][/prefix], without /api/client or /api."""
    if not isinstance(url, str) or not url.strip():
        raise PterodactylError("url is empty: give the panel's address, e.g. https://panel.example.com")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PterodactylError(
            "url %r must start with https:// or http://, e.g. https://panel.example.com" % _url_for_message(url))
    if not parts.hostname:
        raise PterodactylError("url %r has no host name, e.g. https://panel.example.com" % _url_for_message(url))
    if parts.username is not None or parts.password is not None:
        raise PterodactylError("url must not contain a user name or password; give the API key as api_key")
    return "%s://%s%s" % (scheme, parts.netloc.lower(), _strip_api_suffix(parts.path))


def _url_for_message(url: str) -> str:
    return excerpt(url.split("@")[-1], 100)


def _strip_api_suffix(path: str) -> str:
    path = path.rstrip("/")
    for suffix in (CLIENT_API, "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            break
    return path


def check_api_key(api_key: str) -> str:
    """The key without surrounding whitespace; raises if it cannot be a key."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise PterodactylError(
            "api_key is empty: create a client API key in the panel (Account > API Credentials, "
            "it starts with ptlc_, on Pelican pacc_) and pass it as api_key or PTERODACTYL_API_KEY")
    key = api_key.strip()
    if not _KEY_RE.match(key):
        raise PterodactylError(
            "api_key contains spaces, line breaks or non-ASCII characters and cannot be sent; "
            "copy the key again (a client key looks like ptlc_ followed by 43 letters and digits)")
    return key


def key_kind(api_key: str) -> str:
    """``application``, ``client`` or ``unknown``, judged by the key prefix."""
    if api_key.startswith(APPLICATION_KEY_PREFIXES):
        return "application"
    if api_key.startswith(CLIENT_KEY_PREFIXES):
        return "client"
    return "unknown"


def server_path(server: str, suffix: str = "") -> str:
    """``/api/client/servers/<server><suffix>`` with the reference URL-quoted."""
    if not isinstance(server, str) or not server.strip():
        raise PterodactylError("server is empty: give the server's identifier, UUID or exact name")
    return "%s/servers/%s%s" % (CLIENT_API, quote(server.strip(), safe=""), suffix)


def _clean_path(path: str) -> str:
    path = path.split("?", 1)[0].split("#", 1)[0]
    return path if path.startswith("/") else "/" + path


def _parse_json(content: bytes) -> Any:
    """The decoded body, or raises ValueError."""
    return jsonlib.loads(content)


def _json_or_none(content: bytes) -> Any:
    try:
        return _parse_json(content)
    except ValueError:
        return None


def _body_text(response: Any) -> str:
    return response.content[:20000].decode(response.encoding or "utf-8", errors="replace")


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


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def reset_seconds(value: str | None, now: float) -> float | None:
    """Seconds until the epoch timestamp in ``X-RateLimit-Reset``."""
    reset = _as_int(value)
    if reset is None:
        return None
    return max(0.0, reset - now)


def _exception_chain(exc: BaseException) -> list[BaseException]:
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


def _has_class(chain: list[BaseException], name: str) -> bool:
    return any(cls.__name__ == name for exc in chain for cls in type(exc).__mro__)


def connect_failed(exc: BaseException) -> bool:
    """True when the request cannot have reached the panel (safe to re-send a POST)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    chain = _exception_chain(exc)
    return _has_class(chain, "NewConnectionError") or any(isinstance(e, ConnectionRefusedError) for e in chain)


def transient_network_error(exc: BaseException) -> bool:
    """Worth another try for a request that is safe to repeat."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError))


# --------------------------------------------------------------------------- #
# Hints for HTTP errors
# --------------------------------------------------------------------------- #


def _hint_401(code, detail, path, errors, kind):
    hint = ("The API key was not accepted: check api_key (a client API key starts with ptlc_, "
            "on Pelican pacc_) and that it still exists in the panel under Account > API Credentials.")
    if kind == "application":
        hint += " " + _application_key_hint()
    return hint


def _application_key_hint():
    return ("This looks like an application API key (ptla_ / papp_); the client API needs a client API key "
            "(ptlc_, on Pelican pacc_) created by the user under Account > API Credentials.")


def _hint_403(code, detail, path, errors, kind):
    detail = detail or ""
    if "application API key" in detail or kind == "application":
        return _application_key_hint()
    if code == "HttpForbiddenException" and "websocket" in detail:
        return "The user of this API key lacks the websocket.connect permission on this server."
    if "IP address" in detail:
        return "The API key's allowed IPs do not include this machine; edit the key's allowed IPs in the panel."
    if "unauthorized" in detail:
        return ("The user of this API key lacks the subuser permission for this action%s; "
                "ask the server owner to grant it." % _permission_for(path))
    return "The panel refused this action for the user of this API key."


def _permission_for(path: str | None) -> str:
    path = path or ""
    if path.endswith("/command"):
        return " (control.console)"
    if path.endswith("/power"):
        return " (control.start, control.stop or control.restart)"
    if path.endswith("/activity"):
        return " (activity.read)"
    return ""


def _hint_404(code, detail, path, errors, kind):
    detail = detail or ""
    if "could not be found on the server" in detail:
        return ("No server with this identifier exists. Check the server identifier "
                "(8 characters) or UUID, or pass the server's exact name.")
    if "does not exist on this server" in detail:
        return ("The server exists but is not visible to the user of this API key "
                "(not its owner, a subuser or an admin).")
    if detail.startswith("The route"):
        return "The panel has no such API route: check that url is the panel's root address."
    return None


def _hint_409(code, detail, path, errors, kind):
    return ("The server's state blocks this action (suspended, installing, restoring a backup, being "
            "transferred, or its node is in maintenance); wait until it is back to normal.")


def _hint_422(code, detail, path, errors, kind):
    problems = []
    for entry in errors:
        meta = entry.get("meta") or {}
        field = meta.get("source_field") or "?"
        rule = " (rule %s)" % meta["rule"] if meta.get("rule") else ""
        problems.append("%s%s: %s" % (field, rule, entry.get("detail")))
    return "The panel rejected the request body: %s" % "; ".join(problems) if problems else None


def _hint_400(code, detail, path, errors, kind):
    if code == "TwoFactorAuthRequiredException":
        return "The panel requires two-factor authentication for this user: enable it on the account."
    if code in ("InvalidFilterQuery", "InvalidSortQuery"):
        return "A filter or sort parameter is not supported by this endpoint."
    return None


def _hint_5xx(code, detail, path, errors, kind, status):
    if code == "DaemonConnectionException" or status == 504:
        return ("The panel could not reach the node (Wings) that runs this server: check that Wings is "
                "running and reachable from the panel, then try again.")
    if detail and "must be online" in detail:
        return "Start the server first: commands can only be sent to a running server."
    if status == 500:
        return "The panel hit an internal error; its log (storage/logs) has the details."
    return ("The panel or a proxy in front of it is unavailable or overloaded (or in maintenance mode); "
            "try again later.")


_HINTS: dict[int, Callable] = {400: _hint_400, 401: _hint_401, 403: _hint_403, 404: _hint_404,
                               409: _hint_409, 422: _hint_422}


def http_hint(status: int, code, detail, path, errors, kind) -> str | None:
    """A sentence telling a person what to check for this HTTP error."""
    if status >= 500 or code == "DaemonConnectionException":
        return _hint_5xx(code, detail, path, errors, kind, status)
    handler = _HINTS.get(status)
    return handler(code, detail, path, errors, kind) if handler else None


def redirect_hint(location: str, base_url: str) -> str:
    """Why the panel redirected, for a person."""
    target = urlsplit(location)
    if "login" in target.path:
        return ("The panel redirected to its login page: url is not the panel's API root (give the panel's "
                "address, e.g. https://panel.example.com), or a proxy drops the 'Accept: application/json' header.")
    if target.scheme and target.scheme != urlsplit(base_url).scheme:
        return "The panel redirects to %s://: use that scheme in url." % target.scheme
    return "Redirects are not followed: set url to the address the panel answers on (scheme, host and path)."


# --------------------------------------------------------------------------- #
# Network error descriptions
# --------------------------------------------------------------------------- #


def _short_cause(exc: BaseException) -> str:
    innermost = _exception_chain(exc)[-1]
    return excerpt(str(innermost) or type(innermost).__name__, 120)


def network_cause(exc: BaseException, timeout: float) -> tuple[str, str | None]:
    """(cause phrase, hint) for a requests exception."""
    exc_mod = requests.exceptions
    if isinstance(exc, exc_mod.SSLError):
        return _tls_cause(exc)
    if isinstance(exc, exc_mod.ConnectTimeout):
        return ("connection timed out after %g s" % timeout,
                "Check the host name and port, and that no firewall drops the connection.")
    if isinstance(exc, exc_mod.ReadTimeout):
        return ("timed out after %g s waiting for the answer" % timeout,
                "The panel is slow or stuck; raise timeout or try again later.")
    if isinstance(exc, exc_mod.ProxyError):
        return "the proxy failed (%s)" % _short_cause(exc), "Check the HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables."
    if isinstance(exc, exc_mod.ConnectionError):
        return _connection_cause(exc)
    if isinstance(exc, exc_mod.ChunkedEncodingError):
        return "the answer was cut off (%s)" % _short_cause(exc), "Try again; a proxy may be cutting responses."
    if isinstance(exc, exc_mod.InvalidJSONError):
        return "the request body could not be encoded as JSON", None
    return "%s (%s)" % (type(exc).__name__, _short_cause(exc)), None


def _tls_cause(exc: BaseException) -> tuple[str, str | None]:
    text = " ".join(str(e) for e in _exception_chain(exc))
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return ("certificate verify failed",
                "Set validate_certs or ca_path: give ca_path the CA bundle that signed the panel's certificate, "
                "or set validate_certs: false for a test panel.")
    return ("TLS error (%s)" % _short_cause(exc),
            "Check that the URL's scheme and port match the panel (https on a TLS port).")


def _connection_cause(exc: BaseException) -> tuple[str, str | None]:
    chain = _exception_chain(exc)
    if _has_class(chain, "NameResolutionError") or any(isinstance(e, socket.gaierror) for e in chain):
        return "could not resolve the host name", "Check the host name in url and the DNS settings."
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused", "Check that the panel runs and that url has the right host and port."
    if any(isinstance(e, (ConnectionResetError, ConnectionAbortedError)) for e in chain) or \
            _has_class(chain, "RemoteDisconnected"):
        return "the connection was closed by the other side", "Try again; check proxies between here and the panel."
    return "connection failed (%s)" % _short_cause(exc), "Check url and the network path to the panel."


# --------------------------------------------------------------------------- #
# Session plumbing
# --------------------------------------------------------------------------- #


class _BearerAuth:
    """requests auth callable: adds the bearer header, hides the key in its repr."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    @property
    def secret(self) -> str:
        return self._api_key

    def __call__(self, prepared: Any) -> Any:
        prepared.headers["Authorization"] = "Bearer " + self._api_key
        return prepared

    def __repr__(self) -> str:
        return "<bearer token hidden>"


def _no_cookies_policy() -> DefaultCookiePolicy:
    """Never store cookies: a panel session cookie would make requests 'stateful' (CSRF, 419)."""
    return DefaultCookiePolicy(allowed_domains=[])


class _AttemptState:
    """Per-call retry bookkeeping."""

    def __init__(self) -> None:
        self.retries = 0          # transient retries used (counted against client.retries)
        self.rate_limited = 0     # 429 answers seen
        self.waited = 0.0         # seconds waited for the rate limit


# --------------------------------------------------------------------------- #
# The client
# --------------------------------------------------------------------------- #


class PterodactylClient:
    """A client for one panel and one API key."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        validate_certs: bool = True,
        ca_path: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        rate_limit_wait: float = 120.0,
        user_agent: str | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
    ) -> None:
        if not HAS_REQUESTS:
            raise PterodactylError("the Python library 'requests' is required on the controller: pip install requests")
        self.base_url = normalize_url(url)
        key = check_api_key(api_key)
        self._key_kind = key_kind(key)
        self._auth = _BearerAuth(key)
        self.timeout = _positive_number(timeout, "timeout")
        self.retries = _non_negative_int(retries, "retries")
        self.rate_limit_wait = _non_negative_number(rate_limit_wait, "rate_limit_wait")
        self.backoff_base = _positive_number(backoff_base, "backoff_base")
        self.backoff_max = max(self.backoff_base, _positive_number(backoff_max, "backoff_max"))
        self.validate_certs = bool(validate_certs)
        self.ca_path = ca_path
        self.rate_limit_limit: int | None = None
        self.rate_limit_remaining: int | None = None
        self.request_count = 0
        self._lock = threading.Lock()
        self._sleep: Callable[[float], None] = time.sleep
        self._session = self._make_session(self._auth, user_agent or DEFAULT_USER_AGENT)

    # -- plumbing ----------------------------------------------------------- #

    @staticmethod
    def _make_session(auth: _BearerAuth, user_agent: str) -> Any:
        session = requests.Session()
        session.auth = auth
        session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        session.cookies.set_policy(_no_cookies_policy())
        adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=MAX_WORKERS, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @property
    def _verify(self) -> bool | str:
        if not self.validate_certs:
            return False
        return self.ca_path or True

    @property
    def host(self) -> str:
        """host[:port] of the panel, for messages."""
        return urlsplit(self.base_url).netloc

    def close(self) -> None:
        """Close the keep-alive connections."""
        self._session.close()

    def __enter__(self) -> PterodactylClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "PterodactylClient(base_url=%r, validate_certs=%r, timeout=%r, retries=%r)" % (
            self.base_url, self.validate_certs, self.timeout, self.retries)

    def _error(self, message: str, **fields: Any) -> PterodactylError:
        """Build an error with the API key scrubbed from every text field."""
        secret = self._auth.secret
        clean = {name: redact(value, secret) for name, value in fields.items()}
        return PterodactylError(redact(message, secret), **clean)

    # -- the request loop --------------------------------------------------- #

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> dict | None:
        """One API call with retries and rate-limit waits; the decoded JSON body, or None if empty.

        ``path`` is relative to base_url, e.g. ``/api/client``. Raises PterodactylError.
        """
        method = method.upper()
        path = _clean_path(path)
        state = _AttemptState()
        while True:
            try:
                response = self._send(method, path, params, json)
            except requests.exceptions.RequestException as exc:
                self._retry_or_raise(exc, method, path, state)
                continue
            self._remember_rate_limit(response)
            if response.status_code == 429 and self._wait_for_rate_limit(response, state):
                continue
            if self._retry_status(response.status_code, method, state):
                continue
            return self._result(response, method, path, state)

    def get(self, path: str, params: dict | None = None) -> dict | None:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> dict | None:
        return self.request("POST", path, json=body)

    def _send(self, method: str, path: str, params: dict | None, body: Any) -> Any:
        with self._lock:
            self.request_count += 1
        kwargs: dict[str, Any] = {"params": params, "timeout": self.timeout,
                                  "allow_redirects": False, "verify": self._verify}
        if body is not None:
            kwargs["json"] = body
            kwargs["headers"] = {"Content-Type": "application/json"}
        response = self._session.request(method, self.base_url + path, **kwargs)
        LOG.debug("%s %s -> HTTP %s", method, path, response.status_code)
        return response

    def _retry_or_raise(self, exc: BaseException, method: str, path: str, state: _AttemptState) -> None:
        """Sleep before another try, or raise the network error."""
        repeatable = transient_network_error(exc) if method in SAFE_METHODS else connect_failed(exc)
        if repeatable and state.retries < self.retries:
            state.retries += 1
            LOG.debug("%s %s: %s, retry %d", method, path, type(exc).__name__, state.retries)
            self._sleep(self._backoff(state.retries))
            return
        raise self._network_error(exc, method, path) from None

    def _network_error(self, exc: BaseException, method: str, path: str) -> PterodactylError:
        cause, hint = network_cause(exc, self.timeout)
        if method not in SAFE_METHODS and not connect_failed(exc):
            resend = "The panel may have received the request; it was not re-sent."
            hint = "%s %s" % (hint, resend) if hint else resend
        message = "%s %s failed: %s (%s)" % (method, path, cause, self.host)
        return self._error(message, method=method, path=path, hint=hint, code=type(exc).__name__)

    def _retry_status(self, status: int, method: str, state: _AttemptState) -> bool:
        """Sleep and return True when a 502/503/504 of a safe request should be tried again."""
        if status not in TRANSIENT_STATUSES or method not in SAFE_METHODS or state.retries >= self.retries:
            return False
        state.retries += 1
        self._sleep(self._backoff(state.retries))
        return True

    def _backoff(self, attempt: int) -> float:
        """Capped exponential backoff with jitter, attempt counting from 1."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    # -- rate limits -------------------------------------------------------- #

    def _remember_rate_limit(self, response: Any) -> None:
        limit = _as_int(response.headers.get("X-RateLimit-Limit"))
        remaining = _as_int(response.headers.get("X-RateLimit-Remaining"))
        with self._lock:
            if limit is not None:
                self.rate_limit_limit = limit
            if remaining is not None:
                self.rate_limit_remaining = remaining

    def _rate_limit_delay(self, response: Any, state: _AttemptState) -> float:
        now = time.time()
        delay = retry_after_seconds(response.headers.get("Retry-After"), now)
        if delay is None:
            delay = reset_seconds(response.headers.get("X-RateLimit-Reset"), now)
        if not delay:
            delay = self._backoff(state.rate_limited)
        return max(delay, self.backoff_base)  # never spin on a tiny Retry-After

    def _wait_for_rate_limit(self, response: Any, state: _AttemptState) -> bool:
        """Wait out a 429 and return True, or False when the wait budget is spent."""
        state.rate_limited += 1
        delay = self._rate_limit_delay(response, state)
        if state.waited + delay > self.rate_limit_wait:
            return False
        LOG.debug("rate limited, waiting %.1f s", delay)
        self._sleep(delay)
        state.waited += delay
        return True

    # -- responses ---------------------------------------------------------- #

    def _result(self, response: Any, method: str, path: str, state: _AttemptState) -> dict | None:
        status = response.status_code
        if 200 <= status < 300:
            return self._decode_success(response, method, path)
        if 300 <= status < 400:
            raise self._redirect_error(response, method, path)
        raise self._http_error(response, method, path, state)

    def _decode_success(self, response: Any, method: str, path: str) -> dict | None:
        if response.status_code == 204 or not response.content.strip():
            return None
        try:
            body = _parse_json(response.content)
        except ValueError:
            raise self._error(
                "%s %s failed: HTTP %d with a body that is not JSON: %r" % (
                    method, path, response.status_code, excerpt(_body_text(response))),
                status=response.status_code, method=method, path=path,
                hint="Check that url is the panel's root address; another web page answered.") from None
        if not isinstance(body, dict):
            raise self._error("%s %s failed: HTTP %d with an unexpected JSON %s" % (
                method, path, response.status_code, type(body).__name__),
                status=response.status_code, method=method, path=path)
        return body

    def _redirect_error(self, response: Any, method: str, path: str) -> PterodactylError:
        location = response.headers.get("Location", "")
        shown = excerpt(location.split("?", 1)[0], 120) or "(no Location header)"
        return self._error(
            "%s %s failed: HTTP %d redirect to %s" % (method, path, response.status_code, shown),
            status=response.status_code, method=method, path=path,
            hint=redirect_hint(location, self.base_url))

    def _http_error(self, response: Any, method: str, path: str, state: _AttemptState) -> PterodactylError:
        status = response.status_code
        errors = error_entries(_json_or_none(response.content))
        first = errors[0] if errors else {}
        code, detail = first.get("code"), first.get("detail")
        if status == 429:
            hint = self._rate_limit_hint(state)
        else:
            hint = http_hint(status, code, detail, path, errors, self._key_kind)
        if method not in SAFE_METHODS and status in TRANSIENT_STATUSES and not errors:
            # A proxy answered: the panel may or may not have acted on the request.
            resend = "The panel may have received the request; it was not re-sent."
            hint = "%s %s" % (hint, resend) if hint else resend
        return self._error(self._http_message(response, method, path, code, detail),
                           status=status, code=code, detail=detail, errors=errors,
                           method=method, path=path, hint=hint)

    @staticmethod
    def _http_message(response: Any, method: str, path: str, code: str | None, detail: str | None) -> str:
        head = "%s %s failed: HTTP %d" % (method, path, response.status_code)
        if code or detail:
            return "%s %s: %s" % (head, code or "error", detail or "(no detail)")
        if not response.content.strip():
            return head + " with an empty body"
        return "%s, body: %r" % (head, excerpt(_body_text(response)))

    def _rate_limit_hint(self, state: _AttemptState) -> str:
        return ("Rate limit reached: the panel allows a fixed number of requests per minute per user "
                "(720 by default, 256 on Pelican), shared by every API key and session of that user; "
                "waited %.0f s of rate_limit_wait=%g s. Try again later or raise rate_limit_wait."
                % (state.waited, self.rate_limit_wait))

    # -- pagination --------------------------------------------------------- #

    def paginate(self, path: str, params: dict | None = None, *, concurrent: bool = False,
                 workers: int = 4, limit: int | None = None) -> list[dict]:
        """Every item of a paginated list (raw ``{"object","attributes"}`` dicts), in page order.

        Sends ``per_page=100`` and keeps every parameter in ``params`` on every page.
        ``limit`` stops early; ``concurrent`` fetches pages 2..N with ``workers`` threads.
        """
        _check_limit(limit)
        query = dict(params or {})
        query["per_page"] = PER_PAGE
        first = self._get_page(path, query, 1)
        items = list(first["data"])
        last = self._last_page(first, path, limit)
        if last > 1:
            pages = range(2, last + 1)
            fetch = self._fetch_concurrently if concurrent else self._fetch_sequentially
            items.extend(fetch(path, query, pages, workers))
        return items if limit is None else items[:limit]

    def _get_page(self, path: str, query: dict, page: int) -> dict:
        params = dict(query)
        params["page"] = page
        body = self.get(path, params)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise self._error("GET %s page %d: the answer has no 'data' list; is this a paginated endpoint?"
                              % (_clean_path(path), page), status=200, method="GET", path=_clean_path(path))
        return body

    def _last_page(self, first: dict, path: str, limit: int | None) -> int:
        pagination = (first.get("meta") or {}).get("pagination") or {}
        total_pages = _as_int(pagination.get("total_pages")) or 1
        if total_pages > MAX_PAGES:
            raise self._error("GET %s: the panel reports %d pages, more than the %d this client will fetch"
                              % (_clean_path(path), total_pages, MAX_PAGES), status=200, method="GET",
                              path=_clean_path(path))
        if limit is None:
            return total_pages
        per_page = _as_int(pagination.get("per_page")) or len(first["data"]) or PER_PAGE
        return min(total_pages, max(1, math.ceil(limit / per_page)))

    def _fetch_sequentially(self, path: str, query: dict, pages: range, workers: int) -> list[dict]:
        items: list[dict] = []
        for page in pages:
            data = self._get_page(path, query, page)["data"]
            if not data:
                break
            items.extend(data)
        return items

    def _fetch_concurrently(self, path: str, query: dict, pages: range, workers: int) -> list[dict]:
        workers = max(1, min(int(workers), MAX_WORKERS, len(pages)))
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pterodactyl-page")
        try:
            bodies = list(executor.map(lambda page: self._get_page(path, query, page), pages))
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        return [item for body in bodies for item in body["data"]]

    # -- endpoint helpers --------------------------------------------------- #

    def list_servers(self, *, type: str | None = None, filters: dict | None = None,  # noqa: A002
                     include: list[str] | str | None = None, concurrent: bool = False, workers: int = 4,
                     limit: int | None = None) -> list[dict]:
        """Servers visible to the key, as ``attributes`` dicts (``relationships`` kept inside).

        ``filters`` maps to ``filter[<name>]`` (e.g. ``{"name": "lobby", "*": "10.0.0.5"}``),
        ``include`` to ``include=egg,subusers``, ``type`` to ``type=`` (admin, admin-all, owner).
        """
        params: dict[str, Any] = {}
        for name, value in (filters or {}).items():
            params["filter[%s]" % name] = value
        if type:
            params["type"] = type
        if include:
            params["include"] = _join_include(include)
        items = self.paginate(CLIENT_API, params, concurrent=concurrent, workers=workers, limit=limit)
        return [_attributes(item) for item in items]

    def get_server(self, server: str, include: list[str] | str | None = None) -> tuple[dict, dict]:
        """(attributes, meta) of one server; meta has is_server_owner and user_permissions."""
        params = {"include": _join_include(include)} if include else None
        body = self._expect_body(self.get(server_path(server), params), server_path(server))
        return _attributes(body), body.get("meta") or {}

    def resolve_server_id(self, ref: str, *, type: str | None = None) -> str:  # noqa: A002
        """An identifier or UUID as is (no request); otherwise the identifier of the server named exactly ``ref``."""
        if not isinstance(ref, str) or not ref.strip():
            raise PterodactylError("server is empty: give the server's identifier, UUID or exact name")
        if _UUID_RE.match(ref) or _IDENTIFIER_RE.match(ref):
            return ref
        params = {"filter[name]": ref}
        if type:
            params["type"] = type
        candidates = [_attributes(item) for item in self.paginate(CLIENT_API, params)]
        matches = [server for server in candidates if server.get("name") == ref]
        if len(matches) == 1:
            return matches[0].get("identifier") or matches[0]["uuid"]
        raise self._name_error(ref, matches, candidates)

    def _name_error(self, ref: str, matches: list[dict], candidates: list[dict]) -> PterodactylError:
        if matches:
            listed = ", ".join("%s (%s)" % (s.get("name"), s.get("identifier")) for s in matches)
            return self._error(
                "%d servers are named %r: %s" % (len(matches), ref, listed), code="ServerNameAmbiguous",
                method="GET", path=CLIENT_API, hint="Pass the server's identifier instead of its name.")
        similar = [s.get("name") for s in candidates if str(s.get("name", "")).lower() == ref.lower()]
        hint = "Names must match exactly (case-sensitive); you can also pass the 8-character identifier or the UUID."
        if similar:
            hint += " Similar: %s." % ", ".join(repr(name) for name in similar[:5])
        return self._error("No server named %r is visible to this API key" % ref, code="ServerNotFound",
                           method="GET", path=CLIENT_API, hint=hint)

    def get_resources(self, server: str) -> dict:
        """Attributes of the stats object: current_state, is_suspended, resources{...}."""
        path = server_path(server, "/resources")
        return _attributes(self._expect_body(self.get(path), path))

    def send_power(self, server: str, signal: str) -> None:
        """POST a power signal: start, stop, restart or kill."""
        self.post(server_path(server, "/power"), {"signal": signal})

    def send_command(self, server: str, command: str) -> None:
        """POST a console command; re-sent only if the panel cannot have received it."""
        self.post(server_path(server, "/command"), {"command": command})

    def get_websocket_credentials(self, server: str) -> dict:
        """``{"token", "socket"}`` for the Wings websocket of a server."""
        path = server_path(server, "/websocket")
        body = self._expect_body(self.get(path), path)
        data = body.get("data")
        if not isinstance(data, dict) or "token" not in data or "socket" not in data:
            raise self._error("GET %s: the answer has no data.token / data.socket" % path,
                              status=200, method="GET", path=path)
        return data

    def list_activity(self, server: str, *, event: str | None = None, sort: str | None = None,
                      limit: int | None = None, include_actor: bool = False) -> list[dict]:
        """Activity log entries of a server, as attributes dicts."""
        return self._activity(server_path(server, "/activity"), event, sort, limit, include_actor)

    def list_account_activity(self, *, event: str | None = None, sort: str | None = None,
                              limit: int | None = None, include_actor: bool = False) -> list[dict]:
        """Activity log entries of the key's user account, as attributes dicts."""
        return self._activity(CLIENT_API + "/account/activity", event, sort, limit, include_actor)

    def _activity(self, path: str, event, sort, limit, include_actor) -> list[dict]:
        if sort is not None and sort not in ACTIVITY_SORTS:
            raise PterodactylError("sort must be 'timestamp' or '-timestamp', not %r" % sort)
        params: dict[str, Any] = {}
        if event:
            params["filter[event]"] = event
        if sort:
            params["sort"] = sort
        if include_actor:
            params["include"] = "actor"
        return [_attributes(item) for item in self.paginate(path, params, limit=limit)]

    def get_account(self) -> dict:
        """Attributes of the key's user account."""
        path = CLIENT_API + "/account"
        return _attributes(self._expect_body(self.get(path), path))

    def get_permissions(self) -> dict:
        """Attributes of the system permissions object: ``{"permissions": ...}``
        (Pterodactyl: groups with keys; Pelican: a flat list of keys)."""
        path = CLIENT_API + "/permissions"
        return _attributes(self._expect_body(self.get(path), path))

    def _expect_body(self, body: dict | None, path: str) -> dict:
        if body is None:
            raise self._error("GET %s: the panel answered with an empty body" % path,
                              status=200, method="GET", path=path)
        return body


# --------------------------------------------------------------------------- #
# Argument checks and Fractal helpers
# --------------------------------------------------------------------------- #


def _attributes(item: Any) -> dict:
    if isinstance(item, dict) and isinstance(item.get("attributes"), dict):
        return item["attributes"]
    raise PterodactylError("unexpected answer from the panel: an item without 'attributes'", status=200)


def _join_include(include: list[str] | tuple | str) -> str:
    if isinstance(include, str):
        return include
    return ",".join(str(name).strip() for name in include)


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise PterodactylError("limit must be a positive integer, not %r" % (limit,))


def _positive_number(value: Any, name: str) -> float:
    number = _non_negative_number(value, name)
    if number <= 0:
        raise PterodactylError("%s must be greater than 0, not %r" % (name, value))
    return number


def _non_negative_number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PterodactylError("%s must be a number, not %r" % (name, value)) from None
    if not math.isfinite(number) or number < 0:
        raise PterodactylError("%s must be a finite number >= 0, not %r" % (name, value))
    return number


def _non_negative_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PterodactylError("%s must be an integer >= 0, not %r" % (name, value))
    return value
