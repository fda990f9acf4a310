# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option checks of _options: the panel URL, the API key and the numbers, found before anything is sent.

Through the client's constructor (what a module does), then each validator on its own.
"""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _options
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

KEY = "ptlc_Ab1Cd2Ef3Gh" + "S3cretS3cretS3cretS3cretS3cretXY"


# --------------------------------------------------------------------------- #
# Error scenarios. Each builds one error; the rule tests check its specifics and
# test_api_key_never_leaks checks every one for the key.
# --------------------------------------------------------------------------- #


def case_bad_url_scheme(panel):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("ftp://panel.example.com", KEY)
    return info.value


def case_key_with_whitespace(panel):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("https://panel.example.com", KEY[:20] + " \n" + KEY[20:])
    return info.value


# --------------------------------------------------------------------------- #
# URL and key, through the constructor
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://panel.example.com", "https://panel.example.com"),
        ("https://panel.example.com/", "https://panel.example.com"),
        ("https://panel.example.com/api/client", "https://panel.example.com"),
        ("https://panel.example.com/api/client/", "https://panel.example.com"),
        ("https://panel.example.com/api", "https://panel.example.com"),
        ("  HTTPS://Panel.Example.com:8443/panel/api/client  ", "https://panel.example.com:8443/panel"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_url_normalisation(url, expected):
    assert PterodactylClient(url, KEY).base_url == expected


@pytest.mark.parametrize(
    "url, words",
    [
        ("ftp://panel.example.com", "https://"),
        ("panel.example.com", "https://"),
        ("https://", "no host"),
        ("https:///api/client", "no host"),
        ("", "empty"),
        ("https://user:pw@panel.example.com", "password"),
    ],
)
def test_bad_url_rejected(url, words):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient(url, KEY)
    assert info.value.status is None
    assert words in str(info.value)
    assert "pw" not in str(info.value).replace("password", "")


def test_bad_url_scheme_names_the_problem(panel):
    error = case_bad_url_scheme(panel)
    assert "ftp://panel.example.com" in str(error) and "https://" in str(error)


@pytest.mark.parametrize("key", ["", "   ", None])
def test_empty_api_key_rejected(key):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("https://panel.example.com", key)
    assert ("api_key is missing" if key is None else "api_key is empty") in str(info.value)
    assert "PTERODACTYL_API_KEY" in str(info.value)
    assert info.value.status is None


def test_missing_url_names_the_environment_variable():
    with pytest.raises(PterodactylError) as info:
        PterodactylClient(None, "ptlc_x")
    assert str(info.value).startswith("url is missing") and "PTERODACTYL_URL" in str(info.value)


def test_api_key_with_whitespace_inside_rejected(panel):
    error = case_key_with_whitespace(panel)
    assert "api_key contains" in str(error)


@pytest.mark.parametrize(
    "option, value",
    [
        ("timeout", 0),
        ("timeout", float("inf")),
        ("timeout", "soon"),
        ("retries", -1),
        ("retries", 1.5),
        ("rate_limit_wait", -5),
    ],
)
def test_bad_numeric_options_rejected(option, value):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("https://panel.example.com", KEY, **{option: value})
    assert option in str(info.value)


def test_defaults_are_finite():
    client = PterodactylClient("https://panel.example.com", KEY)
    assert client.timeout == 30.0
    assert client.retries == 3
    assert client.rate_limit_wait == 120.0
    assert client.validate_certs is True
    assert client._verify is True


# --------------------------------------------------------------------------- #
# Each validator on its own
# --------------------------------------------------------------------------- #


def test_normalize_url_keeps_a_prefix_and_strips_one_api_suffix():
    assert _options.normalize_url("https://example.com/panel/api/client/") == "https://example.com/panel"
    assert _options.normalize_url("https://example.com/api/api") == "https://example.com/api"
    assert _options.normalize_url("http://[::1]:8080/") == "http://[::1]:8080"


def test_normalize_url_never_echoes_credentials():
    with pytest.raises(PterodactylError) as info:
        _options.normalize_url("ftp://admin:hunter2@panel.example.com")
    assert "hunter2" not in str(info.value) and info.value.code == "InvalidOption"


@pytest.mark.parametrize(
    "key, kind",
    [
        ("ptlc_x", "client"),
        ("pacc_x", "client"),
        ("ptla_x", "application"),
        ("papp_x", "application"),
        ("0123456789abcdef", "unknown"),
    ],
)
def test_key_kind_by_prefix(key, kind):
    assert _options.key_kind(key) == kind


@pytest.mark.parametrize("key", [123, ["ptlc_x"], "ptlc_é", "ptlc_a\tb"])
def test_check_api_key_rejects_what_cannot_be_sent(key):
    with pytest.raises(PterodactylError) as info:
        _options.check_api_key(key)
    assert info.value.code == "InvalidOption"


def test_check_api_key_strips_surrounding_whitespace():
    assert _options.check_api_key(f"\t{KEY} \n") == KEY


@pytest.mark.parametrize("value, positive, number", [(0, False, 0.0), ("2.5", True, 2.5), (3, True, 3.0)])
def test_number_option_accepts(value, positive, number):
    assert _options.number_option(value, "timeout", positive=positive) == number


@pytest.mark.parametrize(
    "value, positive, words",
    [
        (None, False, "must be a finite number of 0 or more, not None"),
        ("soon", False, "must be a finite number of 0 or more, not 'soon'"),
        (float("nan"), False, "must be a finite number of 0 or more, not nan"),
        (float("inf"), True, "must be a finite number greater than 0, not inf"),
        (-1, False, "must be a finite number of 0 or more, not -1"),
        (-5.0, True, "must be a finite number greater than 0, not -5"),
        (0, True, "must be a finite number greater than 0, not 0"),
        (True, True, "must be a finite number greater than 0, not True"),
    ],
)
def test_number_option_rejects_naming_the_option(value, positive, words):
    with pytest.raises(PterodactylError) as info:
        _options.number_option(value, "rate_limit_wait", positive=positive)
    assert info.value.code == "InvalidOption"
    assert str(info.value) == f"rate_limit_wait {words}"


def test_number_option_maximum():
    assert _options.number_option(150, "lines", maximum=150) == 150
    with pytest.raises(PterodactylError, match="lines must be a finite number from 0 to 150, not 151"):
        _options.number_option(151, "lines", maximum=150)


@pytest.mark.parametrize(
    "rules, values, message",
    [
        ({"wait_timeout": _options.NumberRule(_options.SECONDS)}, {"wait_timeout": -5.0}, "greater than 0, not -5"),
        ({"stable_for": _options.NumberRule(_options.SECONDS, False)}, {"stable_for": -1.0}, "of 0 or more, not -1"),
        ({"max_lines": _options.NumberRule(_options.COUNT)}, {"max_lines": 0}, "whole number greater than 0, not 0"),
        ({"lines": _options.NumberRule(_options.COUNT, False, 150)}, {"lines": 200}, "from 0 to 150, not 200"),
    ],
)
def test_check_numbers_names_the_option(rules, values, message):
    with pytest.raises(PterodactylError) as info:
        _options.check_numbers(values, rules)
    assert str(info.value).startswith(next(iter(rules))) and str(info.value).endswith(message)


def test_check_numbers_skips_unset_options():
    assert _options.check_numbers({"wait_timeout": None}, {"wait_timeout": _options.NumberRule("seconds")}) is None


@pytest.mark.parametrize("value, valid", [(0, True), (5, True), (-1, False), (True, False), (2.0, False), ("3", False)])
def test_non_negative_int(value, valid):
    if valid:
        assert _options.non_negative_int(value, "retries") == value
    else:
        with pytest.raises(PterodactylError, match="retries must be a whole number of 0 or more, not "):
            _options.non_negative_int(value, "retries")


@pytest.mark.parametrize(
    "limit, valid", [(None, True), (1, True), (500, True), (0, False), (False, False), ("3", False)]
)
def test_check_limit(limit, valid):
    if valid:
        assert _options.check_limit(limit) is None
    else:
        with pytest.raises(PterodactylError, match="limit must be a whole number greater than 0, not "):
            _options.check_limit(limit)


# --------------------------------------------------------------------------- #
# The key never leaks
# --------------------------------------------------------------------------- #


def test_api_key_never_leaks(error_case, assert_keys_hidden):
    assert_keys_hidden(error_case(None), KEY)
