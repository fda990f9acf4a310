# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Appended by hack/docs.sh to the conf.py that `antsibull-docs sphinx-init` generates: the docsite
builds offline.

The generated conf.py maps intersphinx to docs.python.org, jinja and docs.ansible.com, which Sphinx
would fetch at every build (and warn about when it cannot). Here intersphinx has nothing to fetch,
and the few references the generated pages make into Ansible's own documentation (not into this
collection) are resolved to docs.ansible.com without its inventory: the "common return values" and
"configuration settings" pages, ansible-core's ANSIBLE_* environment variables (the inventory plugin's
cache options come from ansible-core's cache fragment) and ansible.builtin's plugin pages. Anything
else that does not resolve is still a warning, and `sphinx-build -W` fails on it.
"""

import re

from docutils import nodes

intersphinx_mapping = {}

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
ANSIBLE_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
}
BUILTIN_PLUGIN = re.compile(r"^ansible_collections\.ansible\.builtin\.(?P<name>\w+)_(?P<type>[a-z]+)$")


def ansible_docs_uri(domain: str, role: str, target: str) -> str | None:
    """The docs.ansible.com address of a reference the collection's pages make into Ansible's docs."""
    if domain != "std":
        return None
    if role == "ref" and target in ANSIBLE_LABELS:
        return ANSIBLE_DOCS + ANSIBLE_LABELS[target]
    if role == "ref" and (match := BUILTIN_PLUGIN.match(target)):
        return f"{ANSIBLE_DOCS}collections/ansible/builtin/{match['name']}_{match['type']}.html"
    if role == "envvar" and target.startswith("ANSIBLE_"):
        return f"{ANSIBLE_DOCS}reference_appendices/config.html#envvar-{target}"
    return None


def resolve_ansible_docs(app, env, node, contnode):
    uri = ansible_docs_uri(node.get("refdomain", ""), node.get("reftype", ""), node.get("reftarget", ""))
    if uri is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", resolve_ansible_docs)


# The browser tab's title: the theme's default would be "<project> <release> documentation" with no release.
html_title = "gameops.pterodactyl documentation"
