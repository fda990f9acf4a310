"""sandbox/rules.py, in process: Laravel's validator for egg variables' rules (what ``PUT /startup/variable``
answers for a value), as a table of rule, value and the messages the panel gives (attribute ``value``)."""

from __future__ import annotations

import pytest

from sandbox import errors as E
from sandbox import fleet as fleet_mod
from sandbox.rules import RuleError, check_rule_names, failures, parse, php_regex, rule_name, validate

JAR = r"required|regex:/^([\w\d._-]+)(\.jar)$/"

# (rules, value, [(rule, message), ...]); the value is what reaches the validator (JSON, after the panel's
# TrimStrings and ConvertEmptyStringsToNull: "" arrives as None)
TABLE = [
    ("required|string|max:20", "1.20.4", []),
    ("required|string|max:20", None, [("required", "The value field is required.")]),
    ("required|string|max:20", [], [("required", "The value field is required.")]),
    ("required|string|max:20", "x" * 21, [("max", "The value may not be greater than 20 characters.")]),
    ("required|string|max:20", 25565, [("string", "The value must be a string.")]),
    (
        "string|max:3",
        12345,
        [("string", "The value must be a string."), ("max", "The value may not be greater than 3 characters.")],
    ),
    ("nullable|string", None, []),
    ("string", None, [("string", "The value must be a string.")]),
    ("nullable|required|string", None, [("required", "The value field is required.")]),
    ("sometimes|string", 5, [("string", "The value must be a string.")]),
    ("bail|string|max:3", 12345, [("string", "The value must be a string.")]),
    ("required|integer", "12", []),
    ("required|integer", " 12 ", []),
    ("required|integer", 12.0, []),
    ("required|integer", "012", [("integer", "The value must be an integer.")]),
    ("required|integer", "1.5", [("integer", "The value must be an integer.")]),
    ("required|integer", True, []),
    ("required|integer|between:1,65535", 70000, [("between", "The value must be between 1 and 65535.")]),
    ("integer|max:10", "abcdefghi", [("integer", "The value must be an integer.")]),
    ("integer|max:10", "11", [("max", "The value may not be greater than 10.")]),
    ("required|numeric|min:1", "1e3", []),
    ("required|numeric|min:1", "0.5", [("min", "The value must be at least 1.")]),
    ("required|numeric", "abc", [("numeric", "The value must be a number.")]),
    ("required|numeric", True, [("numeric", "The value must be a number.")]),
    ("required|boolean", "1", []),
    ("required|boolean", False, []),
    ("required|boolean", 0, []),
    ("required|boolean", "true", [("boolean", "The value field must be true or false.")]),
    ("required|boolean", 2, [("boolean", "The value field must be true or false.")]),
    ("required|string|in:survival,creative", "adventure", [("in", "The selected value is invalid.")]),
    ("required|string|in:survival,creative", "creative", []),
    ("required|in:1,2", "01", []),  # PHP 8 compares numeric strings as numbers
    ('required|in:"a,b",c', "a,b", []),  # parameters are CSV
    ("required|not_in:stop,kill", "stop", [("not_in", "The selected value is invalid.")]),
    ("required|string|min:3", "ab", [("min", "The value must be at least 3 characters.")]),
    ("required|string|size:4", "abc", [("size", "The value must be 4 characters.")]),
    ("required|numeric|size:4", "4", []),
    ("required|array|max:1", ["a", "b"], [("max", "The value may not have more than 1 items.")]),
    ("nullable|alpha_num|between:3,8", None, []),
    ("nullable|alpha_num|between:3,8", "ab", [("between", "The value must be between 3 and 8 characters.")]),
    ("required|alpha_num", "abc-1", [("alpha_num", "The value may only contain letters and numbers.")]),
    ("required|alpha_num", "Café9", []),
    ("required|alphaDash", "my_world-2", []),
    ("required|alpha_dash", "my world", [("alpha_dash", "The value may only contain letters, numbers, and dashes.")]),
    ("required|alpha", "abc1", [("alpha", "The value may only contain letters.")]),
    (JAR, "paper.jar", []),
    (JAR, "paper.zip", [("regex", "The value format is invalid.")]),
    (JAR, "paper.jar\n", []),  # PCRE's $ (no D) allows one final newline, as Python's does
    ("required|regex:/^a$/D", "a\n", [("regex", "The value format is invalid.")]),
    ("required|regex:/^[a-z]+$/i", "ABC", []),
    ("required|regex:/^\\w+$/", "café", [("regex", "The value format is invalid.")]),  # no /u: \w is ASCII
    ("required|regex:/^\\w+$/u", "café", []),
    ("required|not_regex:/[<>]/", "<b>", [("not_regex", "The value field format is invalid.")]),
    ("required|url", "https://example.com/pack.zip?x=1", []),
    ("required|url", "example.com/pack.zip", [("url", "The value format is invalid.")]),
    ("required|url:https", "http://example.com", [("url", "The value format is invalid.")]),
    ("required|digits:4", "0042", []),
    ("required|digits:4", "42", [("digits", "The value must be 4 digits.")]),
    ("required|digits_between:2,3", "1234", [("digits_between", "The value must be between 2 and 3 digits.")]),
    ("required|ip", "127.0.0.1", []),
    ("required|ip", "256.0.0.1", [("ip", "The value must be a valid IP address.")]),
    ("required|json", '{"a": 1}', []),
    ("required|json", "{a}", [("json", "The value must be a valid JSON string.")]),
    (["required", "regex:/^(a|b)$/"], "b", []),  # a list keeps the regex whole (PL stores rules as a list)
]


@pytest.mark.parametrize(("spec", "value", "expected"), TABLE)
def test_rule_table(spec, value, expected):
    assert failures("value", True, value, spec) == expected


def test_present_and_missing_attributes():
    assert failures("value", False, None, "present") == [("present", "The value field must be present.")]
    assert failures("value", False, None, "string|max:3") == []  # not implicit: skipped when missing
    assert failures("value", False, None, "required|string") == [("required", "The value field is required.")]
    assert failures("value", False, None, "filled") == []
    assert failures("value", True, None, "filled") == [("filled", "The value field is required.")]
    assert failures("value", True, "   ", "string|max:1") == []  # a blank string only meets implicit rules


def test_parsing():
    assert rule_name("alphaDash") == rule_name("alpha_dash") == rule_name("AlphaDash") == "alpha_dash"
    assert parse("required|regex:/^(a|b)$/") == [("required", []), ("regex", ["/^(a"]), ("b)$/", [])]
    assert parse(["regex:/a,b|c/", "in:x,y"]) == [("regex", ["/a,b|c/"]), ("in", ["x", "y"])]
    assert php_regex("#^a/b$#").search("a/b")
    assert php_regex("/^a\\/b$/").search("a/b")


def test_errors_the_panel_throws():
    """A regex split on ``|`` (PHP's warning) and an unknown rule: the panel's 500."""
    with pytest.raises(E.ApiError) as caught:
        validate({"value": "a"}, [("value", "required|regex:/^(a|b)$/")])
    assert (caught.value.status, caught.value.code) == (500, "ErrorException")
    with pytest.raises(E.ApiError) as caught:
        validate({"value": "a"}, [("value", "required|b)$/")])
    assert (caught.value.status, caught.value.code) == (500, "BadMethodCallException")


def test_the_422_envelope():
    with pytest.raises(E.ApiError) as caught:
        validate({"name": "", "docker_image": 5}, [("name", "required|string"), ("docker_image", "string|max:191")])
    assert (caught.value.status, caught.value.pretty) == (422, False)
    items = caught.value.body()["errors"]
    assert items[0] == {
        "code": "ValidationException",
        "status": "422",
        "detail": "The name field is required.",
        "meta": {"source_field": "name", "rule": "required"},
    }
    assert [(i["meta"]["source_field"], i["meta"]["rule"], i["detail"]) for i in items[1:]] == [
        ("docker_image", "string", "The docker image must be a string.")
    ]


def test_fleet_files_name_only_emulated_rules(tmp_path):
    check_rule_names("required|string|max:20")
    check_rule_names("required|regex:/^(a|b)$/")  # the broken tail is no rule name: the panel's 500 at use
    with pytest.raises(RuleError, match="'uuid' is not emulated"):
        check_rule_names("required|uuid")
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(
        "users: [owner]\neggs:\n  - name: Mail\n    variables: [{env_variable: ADMIN, rules: 'required|uuid'}]\n"
    )
    with pytest.raises(fleet_mod.FleetError, match=r"egg Mail, variable 1 \(ADMIN\): the rule 'uuid'"):
        fleet_mod.load(fleet)
