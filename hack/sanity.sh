#!/usr/bin/env bash
# Run `ansible-test sanity` (every test) on a copy of the collection laid out under
# .build/sanity/ansible_collections/gameops/pterodactyl, offline except for the package registry.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
python_version=${SANITY_PYTHON:-$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}

# ansible-test bootstraps pip in its virtual environments from a script it downloads from a
# host we cannot reach; it uses a cached copy first, so seed the cache with our stand-in.
at_dir=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for version in $(grep -rhoE "pip='[0-9.]+'" "$at_dir/_internal/python_requirements.py" | grep -oE '[0-9.]+' | sort -u); do
  cp "$repo/hack/get_pip_offline.py" "$cache/get_pip_${version//./_}.py"
done

tree=$("$venv/bin/python" "$repo/hack/collection_tree.py" "$repo/.build/sanity" | cut -d' ' -f1)
cd "$tree"
# The copy sits inside this repo's ignored .build folder; give it a git index of its own so
# ansible-test lists its files instead of the (ignored) parent's.
[ -d .git ] || git init -q .
echo "tests/output/" > .git/info/exclude
git rm -r -q --cached --ignore-unmatch tests/output
git add -A .
export PATH="$venv/bin:$PATH"
exec "$venv/bin/ansible-test" sanity --venv --requirements --python "$python_version" --color no "$@"
