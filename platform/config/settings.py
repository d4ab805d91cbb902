"""Settings from the environment (12-factor).

With no environment at all this is the embedded default a newcomer runs: DEBUG on, SQLite in
var/, media on local disk, background tasks run in-process. Production sets DJANGO_DEBUG=0,
DJANGO_SECRET_KEY, DATABASE_URL, REDIS_URL and the object-store variables (deploy/env.example),
and uses config.settings_production for the hardening that `check --deploy` asks for.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

REPO_ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("PLATFORM_VAR_DIR", REPO_ROOT / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production (DJANGO_DEBUG=0) needs a long random secret "
            "key in the environment; see deploy/env.example."
        )
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "accounts",
    "audit",
    "patients",
    "recordings",
    "results",
    "care",
    "api",
    "frontend",
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.headers.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "audit.middleware.RefusalAuditMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_ROOT / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    # The embedded default's SQLite file lives in var/; SQLite creates the file, not its folder.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'platform.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login rate limiting: 5 failures for one username from one address lock that pair, and 5
# failures from one address whatever the usernames lock that address, for 15 minutes. The API
# answers a lockout in JSON, the pages with a page (accounts.lockout).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

# Sessions end after 8 hours (a clinical shift) or when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE_S", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts only from this site (the dashboard's one inline
# Dash bootstrap carries the request's nonce); inline styles, which Plotly and Dash's components
# set on elements; images and fonts from this site or data: URLs; no plugins, no framing by others.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [REPO_ROOT / "frontend" / "static"]

# Media (videos, tracks) is private: it is never served under a public URL, only streamed by
# views that ask accounts.permissions first. Local disk by default, S3-compatible in production.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
UPLOAD_TMP_DIR = Path(os.environ.get("UPLOAD_TMP_DIR", VAR_DIR / "uploads"))
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY"),
            "region_name": os.environ.get("S3_REGION", "us-east-1"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": os.environ.get("S3_ADDRESSING_STYLE", "path"),
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {STORAGE_BACKEND!r}.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads arrive in chunks; each request body is one chunk.
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(8 * 1024**3)))
UPLOAD_CHUNK_BYTES = int(os.environ.get("UPLOAD_CHUNK_BYTES", str(8 * 1024**2)))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_CHUNK_BYTES + 1024**2
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_CHUNK_BYTES + 1024**2
UPLOAD_STALE_AFTER = timedelta(hours=int(os.environ.get("UPLOAD_STALE_AFTER_HOURS", "48")))
# Videos beyond these are refused with a sentence before anything is stored or analysed.
UPLOAD_MAX_LONG_SIDE_PX = int(os.environ.get("UPLOAD_MAX_LONG_SIDE_PX", "4096"))
UPLOAD_MAX_DURATION_S = float(os.environ.get("UPLOAD_MAX_DURATION_S", str(3 * 3600)))

# Background tasks. Without REDIS_URL they run in-process (the embedded default).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = None
ANALYSIS_SOFT_TIME_LIMIT_S = int(os.environ.get("ANALYSIS_SOFT_TIME_LIMIT_S", str(3 * 3600)))
ANALYSIS_HARD_TIME_LIMIT_S = int(os.environ.get("ANALYSIS_HARD_TIME_LIMIT_S", str(3 * 3600 + 600)))

# Analysis.
ANALYSIS_TARGET_FPS = float(os.environ.get("ANALYSIS_TARGET_FPS", "10"))
ANALYSIS_PROCESSES = int(os.environ.get("ANALYSIS_PROCESSES", "2"))
ANALYSIS_DEVICE = os.environ.get("ANALYSIS_DEVICE", "cpu")
POSE_BACKEND = os.environ.get("POSE_BACKEND", "mediapipe")  # or "mmpose" on GPU workers
MMPOSE_CONFIG = os.environ.get("MMPOSE_CONFIG", "")
MMPOSE_CHECKPOINT = os.environ.get("MMPOSE_CHECKPOINT", "")
GESTURE_MODEL_DIR = Path(os.environ.get("GESTURE_MODEL_DIR", VAR_DIR / "models"))

REST_FRAMEWORK = {
    # Token first, so that an unauthenticated request gets 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardCursorPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "2000/hour", "anon": "60/hour"},
    # ?format= is the export's own parameter (csv or parquet), not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
# Personal API tokens (accounts.tokens): stored hashed, expiring.
API_TOKEN_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "90"))
API_TOKEN_MAX_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_MAX_LIFETIME_DAYS", "365"))

SPECTACULAR_SETTINGS = {
    "TITLE": "Clinical behaviour-analysis platform API",
    "DESCRIPTION": "Pseudonymised sessions, analyses, metrics and behaviour events. "
    "Every read of patient data is audited.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"BehaviourEventKindEnum": "results.models.BehaviourEvent.Kind"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
ANALYSIS_DISPATCHER = os.environ.get("ANALYSIS_DISPATCHER", "workers.dispatch.enqueue_analysis")
# Recomputes the praxis or apathy metrics from the stored tracks after a segment is marked.
SEGMENT_METRICS_DISPATCHER = "workers.dispatch.enqueue_segment_metrics"
# Without a broker, analyses run in the web process on this many background threads (never on
# the thread of the request that queued them).
ANALYSIS_LOCAL_THREADS = int(os.environ.get("ANALYSIS_LOCAL_THREADS", "1"))

# Job recovery: a running job's heartbeat is refreshed after every batch
# of frames; one older than ANALYSIS_HEARTBEAT_STALE_S means its worker was lost, and the sweep
# (every ANALYSIS_SWEEP_EVERY_S, run by celery beat or `manage.py sweep_analysis_jobs`) queues it
# again, up to ANALYSIS_MAX_ATTEMPTS runs, then fails it with a message.
ANALYSIS_HEARTBEAT_STALE_S = int(os.environ.get("ANALYSIS_HEARTBEAT_STALE_S", "600"))
ANALYSIS_SWEEP_EVERY_S = int(os.environ.get("ANALYSIS_SWEEP_EVERY_S", "300"))
ANALYSIS_MAX_ATTEMPTS = int(os.environ.get("ANALYSIS_MAX_ATTEMPTS", "3"))

# Client address: behind deploy/nginx every request reaches gunicorn from nginx's address.
# nginx overwrites X-Real-IP with the client's address; with TRUST_X_REAL_IP=1 (deploy/compose.yaml)
# the audit trail and the login lockout (username + address) use it, so that one person's failed
# logins do not lock that username for every client. Leave it off wherever clients can reach the
# app without that proxy (they could then choose their own address).
TRUST_X_REAL_IP = env_bool("TRUST_X_REAL_IP", False)
AXES_CLIENT_IP_CALLABLE = "audit.services.client_address"
