#!/usr/bin/env bash
# One GPU analysis job end to end, on a host with an NVIDIA GPU, its driver, Docker and the
# NVIDIA Container Toolkit, and a registry (the CUDA base image is pulled):
#   1. builds the GPU worker image (deploy/Dockerfile.gpu) and the app image
#   2. starts the stack with the `gpu` profile (official images, MinIO), with throwaway secrets
#   3. stores a generated demo video (manage.py demo --no-analysis) and queues one job on the
#      `gpu` queue
#   4. waits until the GPU worker finished it, prints the job's device and model versions and the
#      number of metric samples, and checks that torch saw CUDA inside the worker and that
#      onnxruntime has its CUDA provider (the expression network)
#   5. stops and removes the stack (SMOKE_KEEP=1 leaves it running)
# The RTMPose config and checkpoint must be in MODELS_DIR (default deploy/models; deploy/workers.md).
#   sudo deploy/gpu-job.sh
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
DOCKER="${DOCKER:-docker}"
WORK="$(mktemp -d /tmp/behaviour-gpu-job.XXXXXX)"
PROJECT="behaviour-gpu-job-$$"
started_at=$(date +%s)
say() { printf '[gpu-job %4d s] %s\n' "$(($(date +%s) - started_at))" "$*"; }
secret() { python3 -c "import secrets; print(secrets.token_urlsafe(32))"; }
compose() { "$DOCKER" compose -p "$PROJECT" -f deploy/compose.yaml --env-file "$WORK/env" --profile gpu "$@"; }
cleanup() {
    status=$?
    [ "$status" = 0 ] || compose logs --tail 60 worker-gpu >&2 || true
    if [ "${SMOKE_KEEP:-0}" != 1 ]; then
        compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
        rm -rf "$WORK"
    fi
    say "exit $status"
}
trap cleanup EXIT

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
MODELS_DIR="$(cd "${MODELS_DIR:-deploy/models}" && pwd)"
ls "$MODELS_DIR"/*.py "$MODELS_DIR"/*.pth >/dev/null

mkdir -p "$WORK/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -keyout "$WORK/certs/privkey.pem" -out "$WORK/certs/fullchain.pem" 2>/dev/null
sed -e "s/^DJANGO_SECRET_KEY=.*/DJANGO_SECRET_KEY=$(secret)$(secret)/" \
    -e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$(secret | tr -dc 'A-Za-z0-9')/" \
    -e "s/^MINIO_ROOT_PASSWORD=.*/MINIO_ROOT_PASSWORD=$(secret)/" \
    -e "s/^S3_SECRET_ACCESS_KEY=.*/S3_SECRET_ACCESS_KEY=$(secret)/" \
    -e "s/^DJANGO_ALLOWED_HOSTS=.*/DJANGO_ALLOWED_HOSTS=localhost/" \
    -e "s|^TLS_CERT_DIR=.*|TLS_CERT_DIR=$WORK/certs|" \
    -e "s|^MODELS_DIR=.*|MODELS_DIR=$MODELS_DIR|" deploy/env.example >"$WORK/env"
printf 'PUBLISH_ADDRESS=127.0.0.1\nHTTP_PORT=18080\nHTTPS_PORT=18443\n' >>"$WORK/env"

say "building the images (the GPU image compiles mmcv: about 15 minutes the first time)"
DOCKER_BUILDKIT=1 compose build web worker-gpu
say "starting the stack with the GPU worker"
compose up -d --wait --wait-timeout 900
compose exec -T worker-gpu python -c "import torch; assert torch.cuda.is_available(), 'torch sees no GPU'; print('CUDA device:', torch.cuda.get_device_name(0))"
compose exec -T worker-gpu python -c "import onnxruntime as o; p = o.get_available_providers(); assert 'CUDAExecutionProvider' in p, f'onnxruntime has no CUDA provider: {p}'; print('onnxruntime', o.__version__, p)"

say "a demo video stored, one job queued on the gpu queue"
compose exec -T web python manage.py demo --no-analysis >/dev/null
JOB=$(compose exec -T web python manage.py shell -c "
from recordings.models import Recording
from results.models import AnalysisJob
from results.services import analysis_job_create
recording = Recording.objects.filter(status=Recording.Status.STORED).order_by('pk').first()
print('JOB=%d' % analysis_job_create(recording=recording, queue=AnalysisJob.Queue.GPU).pk)" | sed -n 's/^JOB=//p')
say "job $JOB queued"

for _ in $(seq 180); do
    state=$(compose exec -T web python manage.py shell -c "
from results.models import AnalysisJob
job = AnalysisJob.objects.get(pk=$JOB)
print('STATE=%s %s%% %s' % (job.status, job.progress, job.stage))" | sed -n 's/^STATE=//p')
    say "job $JOB: $state"
    case "$state" in succeeded*) break ;; failed* | cancelled*) exit 1 ;; esac
    sleep 10
done
compose exec -T web python manage.py shell -c "
from results.models import AnalysisJob
job = AnalysisJob.objects.get(pk=$JOB)
assert job.status == AnalysisJob.Status.SUCCEEDED, job.status
print('queue', job.queue, '| model versions', job.model_versions)
print('metric samples', job.metric_samples.count(), '| behaviour events', job.events.count())"
say "one GPU job analysed end to end"
