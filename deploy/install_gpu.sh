#!/usr/bin/env bash
# Install MMPose (RTMPose) into a Python environment: the GPU worker's (mmcv's operators compiled
# against CUDA), and the test environment's (bin/test: CPU operators, so that the backend runs in
# the suite on CPU). On CUDA (MMCV_OPS=cuda) it also puts onnxruntime-gpu in place of onnxruntime
# (the newest release not newer than the installed onnxruntime: GPU wheels can come out later):
# the expression network (analysis/emotion.py) runs with onnxruntime, and only onnxruntime-gpu
# has its CUDAExecutionProvider (both packages install the same `onnxruntime` module, so one
# replaces the other). Nothing else needs onnxruntime-gpu; CPU installs keep onnxruntime.
#
# Why a script and not a pip extra: mmpose 1.3.2 and mmdet 3.3.0 need mmcv < 2.2.0, and mmcv 2.1.0
# has no wheel for Python 3.11 with torch 2.13, so it is compiled here (against the host's CUDA
# when torch has CUDA). mmcv-lite, which has no compiled operators, is not enough: RTMPose itself
# uses none, but `mmpose.models` imports every model of mmpose (and RTMPose's backbone those of
# mmdet), and some of them load mmcv's compiled operators at import. torchvision is not needed:
# analysis/pose_mmpose.py does not import `mmpose.apis`, the one part of mmpose that uses it (and
# torchvision's PyPI wheels load only with the CUDA build of torch).
# mmcv, mmengine, mmpose and mmdet are installed without their declared dependencies (they would
# add opencv-python over the project's opencv-contrib-python, torchvision, and chumpy, which does
# not import on Python 3.11), and the packages they do use are installed by name: nothing the
# platform installed changes (bin/test's environment gains packages, none is replaced).
#
# Run it after torch (the CUDA build on GPU hosts) and `pip install ".[gpu]"`:
#   bash deploy/install_gpu.sh
# Environment:
#   PYTHON                the environment's Python (default: python)
#   MMCV_OPS              cuda or cpu: which operators mmcv is compiled with (default: cuda when
#                         torch is built with CUDA, else cpu)
#   TORCH_CUDA_ARCH_LIST  e.g. "8.0;8.6;9.0": the GPUs mmcv's CUDA operators are compiled for
#   MAX_JOBS              parallel compile jobs (default 2)
#   WHEEL_CACHE           a folder that keeps the compiled wheels (mmcv, xtcocotools) by the versions
#                         they were built for: only the first install on a machine compiles (mmcv
#                         with CPU operators: 650 CPU-seconds, about 6 minutes on 2 idle cores),
#                         later ones take seconds. Default: none.
set -euo pipefail

PYTHON=${PYTHON:-python}
PIP=("$PYTHON" -m pip)
export MAX_JOBS=${MAX_JOBS:-2}
MMCV_VERSION=2.1.0
XTCOCOTOOLS_VERSION=1.14.3

read -r torch_version torch_cuda numpy_version python_tag < <("$PYTHON" - <<'PY'
import sys

import numpy
import torch

print(torch.__version__, torch.version.cuda or "none", numpy.__version__, f"cp{sys.version_info[0]}{sys.version_info[1]}")
PY
)
MMCV_OPS=${MMCV_OPS:-$([ "$torch_cuda" = none ] && echo cpu || echo cuda)}
echo "torch $torch_version (CUDA $torch_cuda), numpy $numpy_version; mmcv's operators for $MMCV_OPS"
if [ "$MMCV_OPS" = cuda ]; then
    # Compile the CUDA operators even when the build host has no GPU (docker build).
    export FORCE_CUDA=1
else
    unset FORCE_CUDA
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "${WHEEL_CACHE:-}" ]; then
    # Compiled code is tied to torch (mmcv's C++ ABI), numpy (xtcocotools' C API) and Python.
    mmcv_dir="$WHEEL_CACHE/mmcv-$MMCV_VERSION-$MMCV_OPS-${TORCH_CUDA_ARCH_LIST:-default}-torch-$torch_version-$python_tag"
    xtcocotools_dir="$WHEEL_CACHE/xtcocotools-$XTCOCOTOOLS_VERSION-numpy-$numpy_version-$python_tag"
    mkdir -p "$WHEEL_CACHE"
    # One build at a time on this machine (several checkouts may share the cache).
    exec 8>"$WHEEL_CACHE/.mmcv.lock"
    flock 8
else
    mmcv_dir="$work/mmcv"
    xtcocotools_dir="$work/xtcocotools"
fi

# setuptools < 70 (mmcv's setup.py imports pkg_resources), Cython and ninja only for the builds:
# on PYTHONPATH, so that the environment's own setuptools stays as it is.
build_tools="$work/build-tools"
with_build_tools() { PYTHONPATH="$build_tools" PATH="$build_tools/bin:$PATH" "$@"; }

built_wheel() { compgen -G "$1/$2-*.whl" | head -1; }
if [ -z "$(built_wheel "$mmcv_dir" mmcv)" ] || [ -z "$(built_wheel "$xtcocotools_dir" xtcocotools)" ]; then
    echo "1/4 build tools"
    "${PIP[@]}" install --quiet --no-warn-conflicts --target "$build_tools" "setuptools<70" wheel ninja "cython<3.1"
fi

echo "2/4 mmcv $MMCV_VERSION and xtcocotools $XTCOCOTOOLS_VERSION, compiled from source unless in ${WHEEL_CACHE:-a cache}"
if [ -z "$(built_wheel "$mmcv_dir" mmcv)" ]; then
    echo "    compiling mmcv (the long step)"
    started=$(date +%s)
    # Without debug information (Python's own CFLAGS ask for it): it tripled the compile time.
    CFLAGS="${CFLAGS:-} -g0" with_build_tools "${PIP[@]}" wheel --quiet --no-deps --no-build-isolation --no-binary mmcv \
        --wheel-dir "$work/mmcv-build" "mmcv==$MMCV_VERSION"
    mkdir -p "$mmcv_dir" && mv "$work"/mmcv-build/mmcv-*.whl "$mmcv_dir/"
    echo "    compiled in $(($(date +%s) - started)) s"
fi
if [ -z "$(built_wheel "$xtcocotools_dir" xtcocotools)" ]; then
    # Its PyPI wheel is built against numpy 1 and does not import with numpy 2: compiled here.
    with_build_tools "${PIP[@]}" wheel --quiet --no-deps --no-build-isolation --no-binary xtcocotools \
        --wheel-dir "$work/xtcocotools-build" "xtcocotools==$XTCOCOTOOLS_VERSION"
    mkdir -p "$xtcocotools_dir" && mv "$work"/xtcocotools-build/xtcocotools-*.whl "$xtcocotools_dir/"
fi
"${PIP[@]}" install --quiet --no-warn-conflicts --no-deps "$(built_wheel "$mmcv_dir" mmcv)" "$(built_wheel "$xtcocotools_dir" xtcocotools)"

echo "3/4 mmengine, mmpose and mmdet, without their declared dependencies"
"${PIP[@]}" install --quiet --no-warn-conflicts --no-deps mmengine==0.10.7 mmpose==1.3.2 mmdet==3.3.0

echo "4/4 what they use"
"${PIP[@]}" install --quiet --no-warn-conflicts addict yapf termcolor json_tricks munkres pycocotools shapely \
    terminaltables

if [ "$MMCV_OPS" = cuda ]; then
    read -r ort_version ort_gpu_version < <("$PYTHON" - <<'PY'
from importlib import metadata


def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


print(version("onnxruntime"), version("onnxruntime-gpu"))
PY
)
    if [ "$ort_version" != none ]; then
        echo "CUDA: onnxruntime-gpu <= $ort_version in place of onnxruntime $ort_version (onnxruntime-gpu before: $ort_gpu_version)"
        # Fetched before anything is removed: if none is found, this fails with onnxruntime in place.
        "${PIP[@]}" download --quiet --no-deps --dest "$work/onnxruntime-gpu" "onnxruntime-gpu<=$ort_version"
        "${PIP[@]}" uninstall --quiet --yes onnxruntime onnxruntime-gpu
        # Its dependencies are onnxruntime's, already installed.
        "${PIP[@]}" install --quiet --no-warn-conflicts --no-deps "$work"/onnxruntime-gpu/onnxruntime_gpu-*.whl
    fi
    "$PYTHON" -c "import onnxruntime as o; p = o.get_available_providers(); assert 'CUDAExecutionProvider' in p, p; print('onnxruntime', o.__version__, p)"
fi

"$PYTHON" - <<'PY'
import mmcv
import mmpose
from mmcv.ops import nms  # noqa: F401 (the compiled operators load)
from mmengine.runner import load_checkpoint  # noqa: F401
from mmpose.models import build_pose_estimator  # noqa: F401
from mmdet.models import CSPNeXt  # noqa: F401 (RTMPose's backbone)

print(f"mmcv {mmcv.__version__} and mmpose {mmpose.__version__} are installed.")
PY
