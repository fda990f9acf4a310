# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""resource_facts: where the figures come from, the result's shape, and that only fresh=true needs
websocket-client (checked in a Python where importing ``websocket`` fails)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.gameops.pterodactyl.plugins.modules import resource_facts as rf

SERVER = {"identifier": "1a7ce997", "name": "lobby", "limits": {"memory": 1024, "disk": 0, "cpu": 200}}


def test_source_and_websocket_need_follow_fresh():
    assert rf.resources_source({"fresh": False}) == "panel" and not rf.needs_websocket({"fresh": False})
    assert rf.resources_source({"fresh": True}) == "websocket" and rf.needs_websocket({"fresh": True})


def test_result_shape(recorded_resources):
    result = rf.resources_result(recorded_resources, SERVER, "1a7ce997", "panel")
    facts = result["ansible_facts"]["pterodactyl_resources"]
    assert result["changed"] is False
    assert facts["server"] == "1a7ce997" and facts["name"] == "lobby" and facts["source"] == "panel"
    assert facts["state"] == "running" and facts["percent"]["memory"] == 50.0 and facts["percent"]["disk"] is None


def test_read_from_the_panel_opens_no_console(fakes, recorded_resources):
    base = fakes.Base(
        {"server": "1a7ce997", "fresh": False}, client=fakes.Client(server=SERVER, get_resources=recorded_resources)
    )
    facts = rf.read_resources(base)["ansible_facts"]["pterodactyl_resources"]
    assert facts["source"] == "panel" and base.opened == []


def test_read_fresh_uses_the_console(fakes):
    stats = {"state": "starting", "memory_bytes": 1, "network": {"rx_bytes": 3, "tx_bytes": 4}}
    base = fakes.Base(
        {"server": "1a7ce997", "fresh": True},
        client=fakes.Client(server=SERVER),
        console=fakes.Console("starting", stats=stats),
    )
    facts = rf.read_resources(base)["ansible_facts"]["pterodactyl_resources"]
    assert facts["source"] == "websocket" and facts["state"] == "starting" and facts["network_rx_bytes"] == 3
    assert base.opened == ["1a7ce997"]


# The module run for real (AnsibleModule, the base) in a Python where `import websocket` fails,
# with the client replaced by a fake that answers /resources.
WITHOUT_WEBSOCKET = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    sys.modules["websocket"] = None  # import websocket -> ImportError
    from ansible.module_utils import basic
    from ansible_collections.gameops.pterodactyl.plugins.module_utils import _base
    from ansible_collections.gameops.pterodactyl.plugins.modules import resource_facts

    class Client:
        base_url = "http://panel.test"
        def __init__(self, **kwargs):
            pass
        def resolve_server_id(self, ref):
            return ref
        def get_server(self, server_id, include=None):
            return {"identifier": server_id, "name": "lobby", "limits": {}}, {}
        def get_resources(self, server_id):
            return {"current_state": "offline", "resources": {}}

    _base.PterodactylClient = Client
    args = {"url": "http://panel.test", "api_key": "ptlc_x", "server": "1a7ce997", "fresh": sys.argv[2] == "true"}
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        resource_facts.main()
    else:
        with patch_module_args(args):
            resource_facts.main()
""")


def run_without_websocket(fresh: bool) -> dict:
    collections = next(path for path in sys.path if path.endswith("collections"))
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_WEBSOCKET, collections, str(fresh).lower()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fresh", [False, True])
def test_without_websocket_client(fresh):
    result = run_without_websocket(fresh)
    if fresh:
        assert result["failed"] is True and "websocket-client" in result["msg"]
    else:
        assert result.get("failed") is not True, result
        assert result["ansible_facts"]["pterodactyl_resources"]["source"] == "panel"
