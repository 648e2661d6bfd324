# shellcheck shell=bash
# Shared set-up for scripts/test and scripts/demo: source it, then call qcstation_setup.
#
# After qcstation_setup:
#   - the working directory is the repository root;
#   - the Debian packages are there (scripts/system-packages);
#   - the virtual environment QCSTATION_VENV (default: .venv in the repository root) exists,
#     holds the project's dependencies with the `test` extra, and holds qcstation itself
#     installed NON-editable from the current tree (rebuilt and reinstalled whenever the
#     tree changed, so the tests exercise the wheel as it ships, resources included);
#   - QCSTATION_VENV is exported as an absolute path.
#
# Environment:
#   QCSTATION_VENV                  where the virtual environment lives (default .venv)
#   QCSTATION_PYTHON                the interpreter that creates it (default: python3, or
#                                   the newest python3.1x on PATH if python3 is too old)
#   QCSTATION_SKIP_SYSTEM_PACKAGES  1: don't check Debian packages
#
# The dependencies are installed again only when pyproject.toml changes (a stamp in the
# venv records its SHA-256), and the project only when a file it is built from changed.

_qcstation_say() { printf '%s: %s\n' "${QCSTATION_SCRIPT_NAME:-setup}" "$*" >&2; }

_qcstation_find_python() {
    local candidates=() c
    if [[ -n "${QCSTATION_PYTHON:-}" ]]; then
        candidates=("$QCSTATION_PYTHON")
    else
        candidates=(python3 python3.13 python3.12 python3.11 python3.10)
    fi
    for c in "${candidates[@]}"; do
        if command -v "$c" >/dev/null 2>&1 &&
            "$c" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$c"
            return 0
        fi
    done
    _qcstation_say "no Python >= 3.10 with venv found (tried: ${candidates[*]})"
    return 1
}

_qcstation_sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$@" | awk '{print $1}'
    else
        shasum -a 256 "$@" | awk '{print $1}'
    fi
}

qcstation_setup() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    cd "$root" || return 1

    "$root/scripts/system-packages"

    local venv="${QCSTATION_VENV:-.venv}"
    [[ "$venv" == /* ]] || venv="$root/$venv"
    export QCSTATION_VENV="$venv"

    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    local py="$venv/bin/python"
    if ! "$py" -c 'import sys' >/dev/null 2>&1; then
        local base
        base="$(_qcstation_find_python)"
        _qcstation_say "creating virtual environment $venv ($("$base" --version 2>&1))"
        "$base" -m venv --clear "$venv"
        "$py" -m pip install -qq --upgrade pip
    fi

    # Dependencies, when pyproject.toml (or the venv's Python) changed since the last run.
    local stamp="$venv/.qcstation-deps" want
    want="$(_qcstation_sha256 pyproject.toml) $("$py" -c 'import sys; print(sys.version)' | head -n1)"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        _qcstation_say "installing dependencies into $venv"
        "$py" -m pip install -qq ".[test]"
        printf '%s\n' "$want" >"$stamp"
    fi

    # The project itself, from the current tree (not editable), whenever the tree differs
    # from what was installed last: a stamp holds the hash of every file the wheel is built
    # from. Skipping an unchanged tree also lets CI build the bundle from the installed
    # package while the tests start (a reinstall under it would pull files from under it).
    local tree_stamp="$venv/.qcstation-tree" tree
    tree="$(_qcstation_tree_hash "$py")"
    if [[ ! -f "$tree_stamp" || "$(cat "$tree_stamp")" != "$tree" ]] ||
        ! "$py" -c 'import qcstation' >/dev/null 2>&1; then
        rm -f "$tree_stamp"
        "$py" -m pip install -qq --no-deps --force-reinstall .
        printf '%s\n' "$tree" >"$tree_stamp"
    fi
}

# The hash of the files the wheel is built from (paths and contents, caches left out).
_qcstation_tree_hash() {
    "$1" - <<'PY'
import hashlib
from pathlib import Path

h = hashlib.sha256()
roots = [Path("src"), Path("resources"), Path("pyproject.toml"), Path("README.md")]
files = [f for r in roots for f in ([r] if r.is_file() else r.rglob("*"))]
for f in sorted(f for f in files if f.is_file() and "__pycache__" not in f.parts):
    h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
print(h.hexdigest())
PY
}
