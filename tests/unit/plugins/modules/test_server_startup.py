# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_startup, server_settings and server_reinstall: plans before anything is sent, the egg's
rules with the panel's texts, the image rules, the settings of both panels, reinstall outcomes."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._rules import check_value
from ansible_collections.gameops.pterodactyl.plugins.modules import server_settings as sst
from ansible_collections.gameops.pterodactyl.plugins.modules import server_startup as ss

VARIABLES = [
    {
        "env_variable": "MINECRAFT_VERSION",
        "server_value": "1.20.4",
        "default_value": "latest",
        "is_editable": True,
        "rules": "required|string|in:latest,1.20.4,1.21.1",
    },
    {
        "env_variable": "SERVER_JARFILE",
        "server_value": None,
        "default_value": "server.jar",
        "is_editable": True,
        "rules": "required|regex:/^([\\w\\d._-]+)(\\.jar)$/",
    },
    {
        "env_variable": "BUILD_NUMBER",
        "server_value": "12",
        "default_value": "latest",
        "is_editable": False,
        "rules": "required|integer",
    },
]


@pytest.mark.parametrize(
    "value, rules, message",
    [
        ("", "required|string", "The value field is required."),
        ("", "nullable|string|max:5", None),
        ("abc", "required|integer", "The value must be an integer."),
        ("12", "required|integer|between:1,10", "The value must be between 1 and 10."),
        ("abcdef", "string|max:5", "The value may not be greater than 5 characters."),
        ("abc", "string|min:4", "The value must be at least 4 characters."),
        ("x.y", "required|in:a,b", "The selected value is invalid."),
        ("no spaces", "alpha_dash", "The value may only contain letters, numbers, and dashes."),
        ("ok-1_2", "alpha_dash", None),
        ("a b", "alpha_num", "The value may only contain letters and numbers."),
        ("yes", "boolean", "The value field must be true or false."),
        ("server.zip", "regex:/^([\\w\\d._-]+)(\\.jar)$/", "The value format is invalid."),
        ("paper.jar", "regex:/^([\\w\\d._-]+)(\\.jar)$/", None),
        ("anything", "some_rule_we_do_not_know:1", None),
    ],
)
def test_the_eggs_rules_with_the_panels_texts(value, rules, message):
    assert check_value(value, rules) == message


def test_plan_sends_only_what_differs_compared_as_strings():
    assert ss.plan_variables(VARIABLES, {"MINECRAFT_VERSION": "1.20.4", "SERVER_JARFILE": "server.jar"}) == {}
    assert ss.plan_variables(VARIABLES, {"MINECRAFT_VERSION": "1.21.1"}) == {"MINECRAFT_VERSION": "1.21.1"}
    assert ss.plan_variables(VARIABLES, {"BUILD_NUMBER": 12}) == {}  # read-only but unchanged: fine
    assert ss.plan_variables(VARIABLES, {"MINECRAFT_VERSION": " 1.20.4 "}) == {}  # the panel trims what it gets


def test_null_is_empty_and_values_are_compared_as_text():
    variables = [
        {
            "env_variable": "MOTD",
            "server_value": "",
            "default_value": "hi",
            "is_editable": True,
            "rules": "nullable|string",
        },
        {
            "env_variable": "PVP",
            "server_value": "1",
            "default_value": "1",
            "is_editable": True,
            "rules": "required|boolean",
        },
        {
            "env_variable": "PORT",
            "server_value": None,
            "default_value": "25565",
            "is_editable": True,
            "rules": "integer",
        },
    ]
    assert ss.plan_variables(variables, {"MOTD": None, "PVP": True, "PORT": 25565}) == {}
    assert ss.plan_variables(variables, {"MOTD": "x", "PVP": False, "PORT": 25566}) == {
        "MOTD": "x",
        "PVP": "0",
        "PORT": "25566",
    }
    with pytest.raises(PterodactylError, match="PVP: The value field must be true or false."):
        ss.plan_variables(variables, {"PVP": "true"})


@pytest.mark.parametrize(
    "wanted, words",
    [
        ({"NOPE": "x"}, "the editable ones are: MINECRAFT_VERSION, SERVER_JARFILE"),
        ({"BUILD_NUMBER": "13"}, "read-only"),
        ({"MINECRAFT_VERSION": "1.19"}, "The selected value is invalid."),
        ({"SERVER_JARFILE": "server.zip"}, "The value format is invalid."),
    ],
)
def test_plan_refusals_name_the_problem(wanted, words):
    with pytest.raises(PterodactylError) as caught:
        ss.plan_variables(VARIABLES, wanted)
    assert words in str(caught.value) and caught.value.code == "InvalidOption"


def test_image_plans():
    allowed = {"Java 17": "yolks:java_17", "Java 21": "yolks:java_21"}
    assert ss.plan_image("yolks:java_17", "yolks:java_21", allowed) == "yolks:java_21"
    assert ss.plan_image("yolks:java_21", "yolks:java_21", allowed) is None
    with pytest.raises(PterodactylError, match="not one of the egg's images: yolks:java_17"):
        ss.plan_image("yolks:java_17", "yolks:java_8", allowed)
    with pytest.raises(PterodactylError, match="set by a panel administrator"):
        ss.plan_image("custom:image", "yolks:java_21", allowed)


def test_predicted_startup_command():
    server = {
        "limits": {"memory": 2048},
        "relationships": {
            "allocations": {"data": [{"attributes": {"ip": "10.0.0.5", "port": 25570, "is_default": True}}]}
        },
    }
    raw = "java -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}} --port {{SERVER_PORT}} --secret {{HIDDEN_TOKEN}}"
    predicted = ss.predict_command(raw, {"SERVER_JARFILE": "paper.jar"}, server)
    assert predicted == "java -Xmx2048M -jar paper.jar --port 25570 --secret [hidden]"


def test_settings_plans_for_both_panels():
    current = {"name": "lobby", "description": "old"}
    assert sst.plan_settings(current, {"name": "lobby", "description": "old"}, "pterodactyl") == {}
    assert sst.plan_settings(current, {"name": None, "description": ""}, "pterodactyl") == {"description": ""}
    with pytest.raises(PterodactylError, match="1 to 191 characters, not 200"):
        sst.plan_settings(current, {"name": "x" * 200, "description": None}, "pterodactyl")
    assert sst.plan_settings(current, {"name": "x" * 200, "description": None}, "pelican") == {"name": "x" * 200}
    assert sst.flavor_of("pacc_x", {}) == "pelican" and sst.flavor_of("ptlc_x", {"limits": {}}) == "pterodactyl"
