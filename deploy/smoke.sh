#!/usr/bin/env bash
# The production stack, end to end, on this host without a container registry:
#   1. Docker engine, local Debian base, wheelhouse (each cached on this machine after the first run)
#   2. images built with BuildKit: the app (web, CPU worker, beat, migrate), PostgreSQL, Redis,
#      nginx and the S3 stand-in, all FROM the local Debian base (compose.local.yaml)
#   3. the stack up, every health check passing; demo users and a patient without consent
#   4. through nginx only (HTTPS on 127.0.0.1, self-signed certificate): the demo uploader logs
#      in, records consent, registers a session, uploads a generated video in chunks as the upload
#      page does; the job finishes on the Celery worker; a clinician reads the metrics
#   5. a second upload: the worker container is SIGKILLed mid-job and started again; the job
#      finishes, once
#   6. pg_dump and a copy of the object store; a fresh stack restored from both serves the same
#      metrics to the clinician
#   7. everything it started is stopped and removed (volumes included), also on failure
# Each step prints its time. Traffic goes only to 127.0.0.1 and the stack's own containers; the
# builds reach only Debian's mirror (and PyPI for the wheelhouse, on the host).
#
#   deploy/smoke.sh                  # as root (dockerd); SMOKE_KEEP=1 leaves the stack running
# Environment: PYTHON (a Python 3.11 with the project installed, to generate the videos; default
# .venv/bin/python), SMOKE_KEEP.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
# Debian's docker client: BuildKit without buildx (deploy/README.md, "Without a registry").
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
WORK="$(mktemp -d /tmp/behaviour-smoke.XXXXXX)"
LOG="$WORK/log"
PROJECT="behaviour-smoke-$$"
RESTORED="$PROJECT-restored"
# The app image is this checkout's own: smoke tests of other checkouts may run at the same time.
APP_IMAGE="behaviour-platform:local-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-8)"
BASE_IMAGE=""
current_project="$PROJECT"
started_at=$(date +%s.%N)
step_started_at=$started_at
step_number=0

elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }
step() {
    step_number=$((step_number + 1))
    printf '[smoke %2d] %s\n' "$step_number" "$*"
    step_started_at=$(date +%s.%N)
}
done_step() { printf '[smoke %2d]   done in %s s (total %s s)%s\n' "$step_number" "$(elapsed "$step_started_at")" "$(elapsed "$started_at")" "${1:+: $1}"; }

compose() {
    "$DOCKER" compose --progress plain -p "$current_project" -f deploy/compose.yaml -f deploy/compose.local.yaml \
        --env-file "$WORK/env" "$@"
}
# Output goes to the log; the log's end is shown when the command fails.
quiet() { "$@" >>"$LOG" 2>&1; }
client() { SMOKE_URL="https://localhost:$HTTPS_PORT" SMOKE_CA="$WORK/certs/fullchain.pem" SMOKE_PASSWORD="$DEMO_PASSWORD" \
    python3 deploy/smoke_client.py "$@"; }
# Every container of the stack healthy, or running where it has no health check, or exited 0 (the
# one-shots), within $1 seconds. (`up --wait` refuses a service without a health check: beat.)
wait_healthy() {
    local deadline=$(($(date +%s) + $1)) states
    while :; do
        states=$(compose ps -a --format '{{.Service}} {{.State}} {{.Health}} {{.ExitCode}}')
        if echo "$states" | awk '$2 == "exited" && $NF != 0 { bad = 1 } END { exit !bad }'; then
            echo "a container failed: $states" >>"$LOG"
            return 1
        fi
        if ! echo "$states" | awk '($2 == "exited") || ($2 == "running" && ($3 == "healthy" || NF == 3)) { next } { pending = 1 } END { exit !pending }'; then
            return 0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "not healthy after $1 s: $states" >>"$LOG"
            return 1
        fi
        sleep 2
    done
}
json_field() { python3 -c "import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

on_exit() {
    status=$?
    if [ "$status" != 0 ]; then
        echo "[smoke] FAILED at step $step_number (exit $status); the end of $LOG:" >&2
        tail -40 "$LOG" >&2 || true
        echo "[smoke] the stack's containers and their last lines:" >&2
        compose ps -a >&2 2>/dev/null || true
        compose logs --tail 30 >&2 2>/dev/null || true
    fi
    if [ "${SMOKE_KEEP:-0}" = 1 ]; then
        echo "[smoke] SMOKE_KEEP=1: stack $current_project left running; its files are in $WORK" >&2
        exit "$status"
    fi
    for project in "$PROJECT" "$RESTORED"; do
        current_project=$project
        compose down --volumes --remove-orphans --timeout 5 >>"$LOG" 2>&1 || true
    done
    rm -rf "$WORK"
    echo "[smoke] stopped and removed everything it started (total $(elapsed "$started_at") s, exit $status)"
    exit "$status"
}
trap on_exit EXIT

step "Docker engine and Compose v2"
quiet deploy/docker-engine.sh --daemon
done_step "$("$DOCKER" version --format 'engine {{.Server.Version}}'), $("$DOCKER" compose version --short 2>/dev/null)"

step "local Debian 12 base image (debootstrap; cached)"
BASE_IMAGE="$(deploy/base-image.sh 2>>"$LOG")"
done_step "$BASE_IMAGE"

step "wheelhouse (pip wheel on the host; cached)"
quiet deploy/wheelhouse.sh
done_step "$(find deploy/wheels -name '*.whl' | wc -l) wheels"

build() {
    local tag="$1" started
    shift
    started=$(date +%s.%N)
    quiet "$DOCKER" build --progress=plain --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$tag" "$@"
    printf '[smoke %2d]   %-34s %6s s, %s MB\n' "$step_number" "$tag" "$(elapsed "$started")" \
        "$(( $("$DOCKER" image inspect -f '{{.Size}}' "$tag") / 1000000 ))"
}
step "images (BuildKit, FROM $BASE_IMAGE)"
build "$APP_IMAGE" -f deploy/Dockerfile .
build behaviour-platform/postgres:local -f deploy/local/postgres.Dockerfile deploy/local
build behaviour-platform/redis:local -f deploy/local/redis.Dockerfile deploy/local
build behaviour-platform/nginx:local -f deploy/local/nginx.Dockerfile deploy/local
build behaviour-platform/s3:local -f deploy/local/s3.Dockerfile deploy
done_step

step "secrets, self-signed certificate, generated videos"
free_port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
secret() { python3 -c "import secrets; print(secrets.token_urlsafe(32))"; }
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
DEMO_PASSWORD=$(secret)
mkdir -p "$WORK/certs" "$WORK/backup/objects"
quiet openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
    -keyout "$WORK/certs/privkey.pem" -out "$WORK/certs/fullchain.pem"
# The local nginx runs as www-data (uid 33): the key is that user's only.
chown 33:33 "$WORK/certs/privkey.pem"
chmod 600 "$WORK/certs/privkey.pem"
chmod 777 "$WORK/backup/objects"
cat >"$WORK/env" <<EOF
DJANGO_SECRET_KEY=$(secret)$(secret)
DJANGO_ALLOWED_HOSTS=localhost
DJANGO_CSRF_TRUSTED_ORIGINS=https://localhost:$HTTPS_PORT
POSTGRES_USER=platform
POSTGRES_PASSWORD=$(secret | tr -dc 'A-Za-z0-9')
POSTGRES_DB=platform
MINIO_ROOT_USER=s3-admin
MINIO_ROOT_PASSWORD=$(secret)
S3_BUCKET=behaviour-media
S3_ACCESS_KEY_ID=platform-app
S3_SECRET_ACCESS_KEY=$(secret)
TLS_CERT_DIR=$WORK/certs
PLATFORM_IMAGE=$APP_IMAGE
PUBLISH_ADDRESS=127.0.0.1
HTTP_PORT=$HTTP_PORT
HTTPS_PORT=$HTTPS_PORT
GUNICORN_WORKERS=2
ANALYSIS_PROCESSES=1
ANALYSIS_HEARTBEAT_STALE_S=60
ANALYSIS_SWEEP_EVERY_S=10
EOF
chmod 600 "$WORK/env"
quiet "$PYTHON" - "$WORK" <<'PY'
import sys
from pathlib import Path

from analysis.synthetic_video import make_person_video

work = Path(sys.argv[1])
make_person_video(work / "first-visit.mp4", duration_s=6.0, motion="nod", motion_hz=0.8)
# Long enough to be caught running and killed.
make_person_video(work / "second-visit.mp4", duration_s=10.0, motion="rock", motion_hz=1.2)
PY
done_step "https://localhost:$HTTPS_PORT"

step "stack up, every health check passing"
quiet compose up -d --no-build
wait_healthy 600
done_step "$(compose ps --format '{{.Service}}={{.Health}}' | tr '\n' ' ')"

step "demo users and a patient without consent (deploy/smoke_setup.py in the web container)"
PATIENT=$(compose exec -T -e DEMO_PASSWORD="$DEMO_PASSWORD" web python manage.py shell <deploy/smoke_setup.py \
    2>>"$LOG" | sed -n 's/^PATIENT=//p')
[ -n "$PATIENT" ] || { echo "no patient was created" >>"$LOG"; exit 1; }
done_step "patient $PATIENT"

step "uploader (through nginx): consent, session, chunked upload"
quiet client consent "$PATIENT"
SESSION_1=$(json_field "$(client session "$PATIENT" 2>>"$LOG")" session)
answer=$(client upload "$SESSION_1" "$WORK/first-visit.mp4" 2>>"$LOG")
JOB_1=$(json_field "$answer" job)
done_step "session $SESSION_1, $answer"

step "job $JOB_1 finishes on the Celery worker; a clinician reads the metrics"
quiet client wait-job "$JOB_1" --until finished --timeout-s 600
client metrics "$SESSION_1" >"$WORK/metrics-1.json" 2>>"$LOG"
done_step "$(python3 -c "import json, sys; m = json.load(open(sys.argv[1])); print(len(m), 'metrics, e.g.', dict(list(m.items())[:3]))" "$WORK/metrics-1.json")"

step "second upload; the worker container SIGKILLed mid-job, then started again"
SESSION_2=$(json_field "$(client session "$PATIENT" 2>>"$LOG")" session)
JOB_2=$(json_field "$(client upload "$SESSION_2" "$WORK/second-visit.mp4" 2>>"$LOG")" job)
running=$(client wait-job "$JOB_2" --until running --min-progress 1 --timeout-s 300 2>>"$LOG")
quiet "$DOCKER" kill --signal KILL "$(compose ps -q worker-cpu)"
quiet compose start worker-cpu
done_step "killed at $(json_field "$running" progress) % ($(json_field "$running" stage))"

step "job $JOB_2 requeued by the sweep and finished once"
quiet client wait-job "$JOB_2" --until finished --timeout-s 600
jobs=$(client jobs "$SESSION_2" 2>>"$LOG")
python3 -c "
import json, sys
jobs = json.loads(sys.argv[1])
assert [job['status'] for job in jobs] == ['succeeded'], f'expected one finished job, found {jobs}'" "$jobs"
client metrics "$SESSION_2" >"$WORK/metrics-2.json" 2>>"$LOG"
done_step "$jobs"

step "backup: pg_dump and a copy of the object store"
compose exec -T postgres pg_dump -U platform -d platform --format=custom >"$WORK/backup/platform.dump" 2>>"$LOG"
quiet compose run --rm --no-deps -v "$WORK/backup/objects:/backup" create-bucket dump /backup
done_step "$(du -sh "$WORK/backup/platform.dump" | cut -f1) dump, $(find "$WORK/backup/objects" -type f | wc -l) objects"

step "the first stack removed; a fresh one restored from the backup"
quiet compose down --volumes --remove-orphans --timeout 5
current_project=$RESTORED
quiet compose up -d --no-build postgres redis minio
wait_healthy 300
quiet compose run --rm --no-deps create-bucket create-bucket
compose exec -T postgres pg_restore -U platform -d platform --no-owner --exit-on-error \
    <"$WORK/backup/platform.dump" >>"$LOG" 2>&1
quiet compose run --rm --no-deps -v "$WORK/backup/objects:/backup" create-bucket load /backup
quiet compose up -d --no-build
wait_healthy 600
done_step

step "the restored stack serves the clinician the same metrics"
for session in 1 2; do
    sid_var="SESSION_$session"
    client metrics "${!sid_var}" >"$WORK/restored-$session.json" 2>>"$LOG"
    cmp -s "$WORK/metrics-$session.json" "$WORK/restored-$session.json" || {
        echo "session ${!sid_var}: the restored metrics differ" >>"$LOG"
        exit 1
    }
done
done_step "sessions $SESSION_1 and $SESSION_2 identical"

echo "[smoke] PASSED in $(elapsed "$started_at") s"
