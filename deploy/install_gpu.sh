#!/usr/bin/env bash
# Install MMPose (RTMPose) for the GPU worker, into the active Python environment.
#
# Why a script and not a pip extra: mmpose 1.3.2 needs mmcv < 2.2.0, and mmcv 2.1.0 has no wheel
# for Python 3.11 with torch 2.13, so it is compiled here (against the host's CUDA when torch has
# CUDA; about 11 minutes on 2 cores). mmpose and mmdet are then installed without their declared
# dependencies (chumpy, which RTMPose does not use, does not import on Python 3.11), and the
# dependencies they do use are installed one by one.
#
# Run it after torch (the CUDA build on GPU hosts) and `pip install ".[gpu]"`:
#   bash deploy/install_gpu.sh
# Environment: PIP (default: pip), MAX_JOBS (parallel compile jobs, default 2),
#   TORCH_CUDA_ARCH_LIST (e.g. "8.0;8.6;9.0" to compile mmcv's CUDA ops for those GPUs).
set -euo pipefail

PIP=${PIP:-pip}
export MAX_JOBS=${MAX_JOBS:-2}

python - <<'PY'
import torch
print(f"torch {torch.__version__}, CUDA {'available' if torch.cuda.is_available() else 'not available'}"
      f" (built for CUDA {torch.version.cuda})")
PY
if python -c "import torch, sys; sys.exit(0 if torch.version.cuda else 1)"; then
  # Compile mmcv's CUDA operators even when the build host has no GPU (docker build).
  export FORCE_CUDA=1
fi

echo "1/4 build tools"
$PIP install "setuptools<70" wheel ninja

echo "2/4 mmcv 2.1.0, compiled from source (the long step)"
$PIP install --no-build-isolation mmcv==2.1.0

echo "3/4 mmpose and mmdet, without their declared dependencies"
$PIP install --no-deps mmpose==1.3.2 mmdet==3.3.0

echo "4/4 what mmpose uses"
$PIP install --no-build-isolation --no-binary xtcocotools xtcocotools
$PIP install pycocotools shapely terminaltables munkres json_tricks scipy mmengine

python - <<'PY'
import mmcv
import mmpose
from mmpose.apis import inference_topdown, init_model  # noqa: F401

print(f"mmcv {mmcv.__version__} and mmpose {mmpose.__version__} are installed.")
PY
