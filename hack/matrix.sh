#!/usr/bin/env bash
# make test-matrix: the unit and integration tests against the oldest supported ansible-core
# (2.16, on Python 3.11) and the newest ansible-core available (on Python 3.13, else 3.12).
#
# Each version gets its own virtual environment beside the main one (.venv-2.16, .venv-newest),
# made once and re-made when a requirements file changes. The tests run with that environment's
# Python, so ansible-playbook and the modules' interpreter come from it (hack/devenv.py uses the
# running interpreter when it is a virtual environment's). The sandbox panel keeps running on the main .venv when
# it exists (it is not part of the collection).
#
# Environment: MATRIX_VERSIONS="2.16 newest" (which ones), MATRIX_PYTEST_ARGS (extra pytest args).
# Exit code: 0 when every version passed, 1 otherwise (a summary per version is printed last).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

versions=${MATRIX_VERSIONS:-"2.16 newest"}
read -r -a extra_args <<< "${MATRIX_PYTEST_ARGS:-}"
requirements=(requirements.txt sandbox/requirements.txt)
test_tools=("pytest>=8,<10" "pytest-httpserver>=1.0.10,<2" "pytest-timeout>=2.3,<3")
export ANSIBLE_COLLECTIONS_PATH="$repo/.build/collections"

log() { printf '[matrix] %s\n' "$*" >&2; }

# The collection as Ansible finds it (hack/devenv.py, the same link as `make collection`;
# standard library only, so any python3 will do).
python3 -m hack.devenv >/dev/null

# A Python interpreter of the given minor version: pyenv's first, then the PATH.
find_python() {
  local version=$1 candidate
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv which "python$version" 2>/dev/null || true)")
    # Installed in pyenv but not selected by `pyenv global`: the newest such patch release.
    candidates+=("$(ls -d "$(pyenv root)/versions/$version".*/bin/"python$version" 2>/dev/null | sort -V | tail -n 1)")
  fi
  candidates+=("$(command -v "python$version" 2>/dev/null || true)")
  for candidate in "${candidates[@]}"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# Which Python and which ansible-core spec each matrix entry uses.
python_for() {
  case $1 in
    2.16) find_python 3.11 ;;
    newest) find_python 3.13 || find_python 3.12 ;;
    *) return 1 ;;
  esac
}

core_spec_for() {
  case $1 in
    2.16) printf '%s\n' "ansible-core>=2.16,<2.17" ;;
    newest) printf '%s\n' "ansible-core" ;;
  esac
}

# Make (or re-use) the virtual environment of one entry; prints nothing, returns non-zero on failure.
make_venv() {
  local name=$1 python=$2 core=$3 venv="$repo/.venv-$1" stamp wanted
  wanted=$( { "$python" --version 2>&1; printf '%s\n' "$core" "${test_tools[@]}"; cat "${requirements[@]}"; } | sha256sum | cut -d' ' -f1)
  stamp="$venv/.matrix-installed"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    log "$name: re-using $venv"
    return 0
  fi
  log "$name: creating $venv with $python"
  rm -rf "$venv"
  "$python" -m venv "$venv" || return 1
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip || return 1
  local req_args=()
  for file in "${requirements[@]}"; do req_args+=(-r "$file"); done
  # --upgrade: "newest" must really be the newest ansible-core that supports this Python.
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade "$core" "${req_args[@]}" "${test_tools[@]}" || return 1
  printf '%s\n' "$wanted" > "$stamp"
}

declare -A summary
failed=0
for name in $versions; do
  python=$(python_for "$name") || python=""
  if [ -z "$python" ]; then
    summary[$name]="FAILED: no suitable Python found"
    failed=1
    continue
  fi
  if ! make_venv "$name" "$python" "$(core_spec_for "$name")"; then
    summary[$name]="FAILED: could not create .venv-$name"
    failed=1
    continue
  fi
  venv="$repo/.venv-$name"
  described=$("$venv/bin/python" -c 'import sys, ansible; print("ansible-core %s, Python %d.%d.%d" % ((ansible.__version__,) + sys.version_info[:3]))')
  log "$name: $described"
  results=""
  entry_failed=0
  for suite in tests/unit tests/integration; do
    log "$name: pytest $suite"
    start=$SECONDS
    # PATH first: the venv's ansible-* commands for anything that looks them up there.
    PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$suite" "${extra_args[@]}"
    code=$?
    if [ $code -eq 0 ]; then
      results+=" $suite=passed($((SECONDS - start))s)"
    else
      results+=" $suite=FAILED(exit $code)"
      entry_failed=1
    fi
  done
  if [ $entry_failed -eq 0 ]; then
    summary[$name]="passed: $described;$results"
  else
    summary[$name]="FAILED: $described;$results"
    failed=1
  fi
done

printf '\n== test matrix summary ==\n'
for name in $versions; do
  printf '%-8s %s\n' "$name" "${summary[$name]}"
done
exit $failed
