# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP transport to the panel's client API. Private to the collection.

Bearer key, ``Accept: application/json``, a collection User-Agent, one keep-alive session
without cookies, redirects never followed, a finite timeout, ``validate_certs`` / ``ca_path``.
ONE retry policy: a GET is tried again after a transient network error or a 502/503/504 with
the backoff of ``_retry``; a POST, PUT, PATCH or DELETE is re-sent only after a 429 or when the
connection was never made. 429s are waited out within ``rate_limit_wait``. Pagination (``_pages``) keeps every
query parameter. The API key never appears in messages, reprs or logs.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import threading
import time
import traceback
from collections.abc import Callable
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

try:
    import requests
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.gameops.pterodactyl.plugins.module_utils._answers import (
    NOT_RESENT,
    SAFE_METHODS,
    TRANSIENT_STATUSES,
    Answers,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    PterodactylError,
    redact,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._hints import (
    connect_failed,
    network_cause,
    transient_network_error,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import (
    check_api_key,
    key_kind,
    non_negative_int,
    normalize_url,
    number_option,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._pages import (
    MAX_WORKERS,
    Paginated,
    as_int,
    clean_path,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._retry import (
    Backoff,
    reset_seconds,
    retry_after_seconds,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._version import COLLECTION_VERSION

LOG = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"gameops.pterodactyl/{COLLECTION_VERSION} (+ansible)"


# -- session plumbing --


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


def _make_session(auth: _BearerAuth, user_agent: str) -> Any:
    session = requests.Session()
    session.auth = auth
    session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
    # Never store cookies: a panel session cookie would make requests 'stateful' (CSRF, 419).
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=MAX_WORKERS, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class _AttemptState:
    """Per-call retry bookkeeping: transient retries used, 429 answers seen, seconds waited for them."""

    def __init__(self) -> None:
        self.retries, self.rate_limited, self.waited = 0, 0, 0.0


# -- the transport --


class HttpTransport(Answers, Paginated):
    """Requests to one panel with one API key: retries, rate limits, decoding, pagination."""

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
            raise PterodactylError(
                "the Python library 'requests' is required on the controller: pip install requests",
                code="MissingLibrary",
            )
        self.base_url = normalize_url(url)
        key = check_api_key(api_key)
        self._key_kind = key_kind(key)
        self._auth = _BearerAuth(key)
        self.timeout = number_option(timeout, "timeout", positive=True)
        self.retries = non_negative_int(retries, "retries")
        self.rate_limit_wait = number_option(rate_limit_wait, "rate_limit_wait")
        self.backoff_base = number_option(backoff_base, "backoff_base", positive=True)
        self.backoff_max = max(self.backoff_base, number_option(backoff_max, "backoff_max", positive=True))
        self._backoff_policy = Backoff(self.backoff_base, self.backoff_max)
        self.validate_certs = bool(validate_certs)
        self.ca_path = ca_path
        self.rate_limit_limit: int | None = None
        self.rate_limit_remaining: int | None = None
        self.request_count = 0
        self.changes_answered = 0  # requests that change something (not GET/HEAD) the panel answered with a 2xx
        self.rate_limited_seconds = 0.0  # time spent waiting out 429s, over every request of this client
        self.panel_clock_offset: float | None = None  # the panel's clock (Date header) minus ours, seconds
        self._lock = threading.Lock()
        self._sleep: Callable[[float], None] = time.sleep
        self._session = _make_session(self._auth, user_agent or DEFAULT_USER_AGENT)

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

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, validate_certs={self.validate_certs!r}, "
            f"timeout={self.timeout!r}, retries={self.retries!r})"
        )

    def _error(self, message: str, **fields: Any) -> PterodactylError:
        """Build an error with the API key scrubbed from every text field."""
        secret = self._auth.secret
        clean = {name: redact(value, secret) for name, value in fields.items()}
        return PterodactylError(redact(message, secret), **clean)

    def _unexpected_answer(
        self,
        message: str,
        path: str,
        *,
        method: str = "GET",
        status: int = 200,
        code: str = "UnexpectedAnswer",
        hint: str | None = None,
    ) -> PterodactylError:
        """The panel answered ``method path`` with success, but not with the documented shape."""
        return self._error(message, status=status, code=code, method=method, path=path, hint=hint)

    # -- the request loop --

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> dict | None:
        """One API call with retries and rate-limit waits; the decoded JSON body, or None if empty.

        ``path`` is relative to base_url, e.g. ``/api/client``. Raises PterodactylError.
        """
        payload = None if json is None else (jsonlib.dumps(json).encode("utf-8"), "application/json")
        method, path = method.upper(), clean_path(path)
        return self._decode_success(self._exchange(method, path, params, payload), method, path)

    def request_raw(
        self, method: str, path: str, *, params: dict | None = None, data: bytes | None = None, content_type: str = ""
    ) -> bytes:
        """One API call whose bodies are not JSON (a file's bytes): the answer's body as the panel sent it.

        ``data`` is sent as is with ``content_type`` (the panel's write route forwards the raw body).
        """
        payload = None if data is None else (bytes(data), content_type or "application/octet-stream")
        return self._exchange(method.upper(), clean_path(path), params, payload).content

    def _exchange(self, method: str, path: str, params: dict | None, payload: tuple[bytes, str] | None) -> Any:
        """The request loop: retries and rate-limit waits; the 2xx response, else the error raised."""
        state = _AttemptState()
        while True:
            try:
                response = self._send(method, path, params, payload)
            except requests.exceptions.RequestException as exc:
                self._retry_or_raise(exc, method, path, state)
                continue
            self._remember_rate_limit(response)
            self._remember_clock(response)
            if response.status_code == 429 and self._wait_for_rate_limit(response, state):
                continue
            if self._retry_status(response.status_code, method, state):
                continue
            return self._success(response, method, path, state)

    def get(self, path: str, params: dict | None = None) -> dict | None:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> dict | None:
        return self.request("POST", path, json=body)

    def put(self, path: str, body: Any = None) -> dict | None:
        return self.request("PUT", path, json=body)

    def patch(self, path: str, body: Any = None) -> dict | None:
        return self.request("PATCH", path, json=body)

    def delete(self, path: str, params: dict | None = None) -> dict | None:
        return self.request("DELETE", path, params=params)

    def _send(self, method: str, path: str, params: dict | None, payload: tuple[bytes, str] | None) -> Any:
        with self._lock:
            self.request_count += 1
        kwargs: dict[str, Any] = {
            "params": params,
            "timeout": self.timeout,
            "allow_redirects": False,
            "verify": self._verify,
        }
        if payload is not None:
            kwargs["data"], content_type = payload
            kwargs["headers"] = {"Content-Type": content_type}
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
            hint = f"{hint} {NOT_RESENT}" if hint else NOT_RESENT
        return self._error(
            f"{method} {path} failed: {cause} ({self.host})",
            method=method,
            path=path,
            hint=hint,
            code=type(exc).__name__,
            uncertain=method not in SAFE_METHODS and not connect_failed(exc),
        )

    def _retry_status(self, status: int, method: str, state: _AttemptState) -> bool:
        """Sleep and return True when a 502/503/504 of a safe request should be tried again."""
        if status not in TRANSIENT_STATUSES or method not in SAFE_METHODS or state.retries >= self.retries:
            return False
        state.retries += 1
        self._sleep(self._backoff(state.retries))
        return True

    def _backoff(self, attempt: int) -> float:
        """The delay before retry ``attempt`` (from 1), by the one backoff policy."""
        return self._backoff_policy.delay(attempt)

    # -- the panel's clock --

    def _remember_clock(self, response: Any) -> None:
        """Note how far the panel's clock (its ``Date`` header, whole seconds) is from ours."""
        try:
            when = email.utils.parsedate_to_datetime(response.headers.get("Date") or "")
        except (TypeError, ValueError, IndexError):
            return
        if when.tzinfo is not None:
            self.panel_clock_offset = when.timestamp() - time.time()

    def panel_time(self) -> float:
        """Now on the panel's clock (epoch seconds; ours until a response told the offset), +-1 s."""
        return time.time() + (self.panel_clock_offset or 0.0)

    # -- rate limits --

    def _remember_rate_limit(self, response: Any) -> None:
        limit = as_int(response.headers.get("X-RateLimit-Limit"))
        remaining = as_int(response.headers.get("X-RateLimit-Remaining"))
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
        with self._lock:
            self.rate_limited_seconds += delay
        return True

    # -- responses --

    def _success(self, response: Any, method: str, path: str, state: _AttemptState) -> Any:
        """``response`` when it is a 2xx; otherwise the error it stands for is raised."""
        status = response.status_code
        if 200 <= status < 300:
            if method not in SAFE_METHODS:
                with self._lock:
                    self.changes_answered += 1
            return response
        if 300 <= status < 400:
            raise self._redirect_error(response, method, path)
        raise self._http_error(response, method, path, state)

    def _permission(self, method: str, path: str) -> str | tuple[str, ...] | None:
        """The subuser permission ``method path`` needs, for the hint of a 403; the client knows it."""
        return None
