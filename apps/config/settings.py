"""SurgeDesk settings: every value comes from the environment, with a default for the local demo."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from apps.config.queues import BACKGROUND_QUEUE
from apps.config.redis_client import broker_transport_options, channel_layer_hosts

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEMO_MODEL_DIR = BASE_DIR / "apps" / "inference" / "demo_model" / "weights"
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-deploy"

env = environ.Env()


def _read(name: str, cast, default):
    """Read one variable; a value that does not parse stops start-up with a clear message."""
    try:
        return env(name, cast=cast, default=default)
    except (ValueError, TypeError, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"{name} is invalid: {exc}") from exc


def _flag(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def _positive(name: str, default: int) -> int:
    value = _read(name, int, default)
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive integer, got {value}")
    return value


def _seconds(name: str, default: float) -> float:
    value = _read(name, float, default)
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive number of seconds, got {value}")
    return value


DEBUG = _flag("DEBUG", False)
# "production" requires a real SECRET_KEY and turns the HTTPS settings below on by default.
PRODUCTION = _read("SURGEDESK_ENV", str, "dev") == "production"
SECRET_KEY = _read("SECRET_KEY", str, DEV_SECRET_KEY)
# Whatever DEBUG says: a known key lets anyone forge sessions and password-reset links.
if PRODUCTION and SECRET_KEY in ("", DEV_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set in production (SURGEDESK_ENV=production).")
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", list, ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", list, [])

try:
    DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres:///surgedesk")}
except (ValueError, environ.ImproperlyConfigured) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is invalid: {exc}") from exc
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
DATABASES["default"].setdefault("HOST", "127.0.0.1")
if not DATABASES["default"]["HOST"]:
    DATABASES["default"]["HOST"] = "127.0.0.1"
DATABASES["default"].setdefault("USER", "postgres")
if not DATABASES["default"]["USER"]:
    DATABASES["default"]["USER"] = "postgres"
# Reused connections: a chat message is a handful of short queries, and opening a
# connection per call would cost more than they do.
DATABASES["default"]["CONN_MAX_AGE"] = _read("DB_CONN_MAX_AGE", int, 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Which process holds each connection, as Postgres shows it (pg_stat_activity).
DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = env.str(
    "DB_APPLICATION_NAME", default="surgedesk"
)

# Raw string on purpose: django-environ treats a leading "$" as a reference.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, got {REDIS_URL!r}")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "csp",
    "axes",
    "apps.conversations",
    "apps.inference",
    "apps.faq",
    "apps.sentiment",
    "simple_history",
    "apps.ops",
    "apps.console",
    "apps.api",
    "apps.dashboard",
    "apps.demo_model",  # build tooling: `manage.py build_demo_model`
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.config.content_policy.SameHostWebsocketCSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 response.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts, styles and connections from this site only,
# no inline script and no eval. The middleware adds this host's ws:/wss: to connect-src,
# which not every browser reads into 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Staff logins (admin and console) are throttled by django-axes: this many failures for one
# username from one address lock that pair out for the cool-off; a success resets the count.
# Per pair, so nobody can lock an agent out from elsewhere by failing on their name.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _positive("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_positive("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "apps.conversations.ratelimit.request_client_ip"

ROOT_URLCONF = "apps.config.urls"
ASGI_APPLICATION = "apps.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# What customers are answered in (``apps.config.languages`` maps a conversation's language
# here); the catalogs are locale/*/LC_MESSAGES/django.po, compiled by ``make messages``.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = _read("TIME_ZONE", str, "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": _read(
            "STATICFILES_BACKEND", str, "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve static files straight from the app folders: no collectstatic step for the demo.
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only in production; the local demo is served on plain http, so these default off.
SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # probes and scrapers inside the network
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", int, 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = _flag("SECURE_HSTS_PRELOAD", PRODUCTION)
# Behind a proxy that terminates TLS, Daphne sees http: trust the proxy's X-Forwarded-Proto,
# or the SSL redirect loops. Only when every request comes through that proxy.
if _flag("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "apps.config.channel_layer.ReconnectingRedisChannelLayer",
        "CONFIG": {"hosts": channel_layer_hosts(REDIS_URL), "capacity": 1000, "expiry": 30},
    }
}

CELERY_BROKER_URL = REDIS_URL
# A key prefix keeps separate deployments (or test stacks) sharing one Redis db apart.
CELERY_KEY_PREFIX = env.str("CELERY_KEY_PREFIX", default="")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **broker_transport_options(CELERY_KEY_PREFIX),
    # A task delivered to a worker that died before it started comes back after this.
    "visibility_timeout": _positive("CELERY_VISIBILITY_TIMEOUT_S", 120),
}
CELERY_TASK_IGNORE_RESULT = True
# Every task names its lane (apps.config.queues); one that did not goes where it cannot
# delay a customer reply.
CELERY_TASK_DEFAULT_QUEUE = BACKGROUND_QUEUE
# A task is acked when it starts, and a worker takes a task only when a thread is free, so
# a worker never holds unacked tasks. Recovering a reply whose worker died is the reply
# lease's job (see apps.conversations.leases), not the broker's: it is faster than a
# visibility timeout and it also covers a task that failed half-way. Holding unacked
# tasks also crashes a Celery 5.7 worker when the Redis connection drops (kombu closes
# the channel twice and the second close restores them without a transport).
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_DISABLE_PREFETCH = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits out a Redis outage
# Celery's Django fix-up closes every database connection before and after each task,
# unless this is set; then it closes them once in this many tasks. Every reply paid for a
# new Postgres connection (a backend forked, its caches cold: about 8 ms of a c=1 first
# token). Django's own rules decide instead, as for a web request (CONN_MAX_AGE,
# CONN_HEALTH_CHECKS: ``apps.config.celery``); this is only the fix-up's spare recycle.
CELERY_DB_REUSE_MAX = 1000
# Enqueueing runs on the web's request path: fail fast; the reaper queues it again.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}

# Reply leases (apps.conversations.leases): a worker renews its reply's lease while it
# writes; the reaper in every reply worker queues again the replies whose lease ran out.
REPLY_LEASE_S = _seconds("REPLY_LEASE_S", 10)
# A queued reply no worker has taken after this long is queued again (its task was lost).
REPLY_PENDING_GRACE_S = _seconds("REPLY_PENDING_GRACE_S", 30)
REAPER_INTERVAL_S = _seconds("REAPER_INTERVAL_S", 1)
# A reply that keeps killing its writer ends as an apology after this many attempts.
REPLY_MAX_ATTEMPTS = _positive("REPLY_MAX_ATTEMPTS", 3)
# SIGTERM to a worker: replies in flight get this long to finish, then go to another worker.
WORKER_DRAIN_S = _seconds("WORKER_DRAIN_S", 10)
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = WORKER_DRAIN_S

# Chat limits and streaming.
CHAT_MAX_MESSAGE_CHARS = _positive("CHAT_MAX_MESSAGE_CHARS", 2000)
CHAT_RATE_LIMIT_PER_MINUTE = _positive("CHAT_RATE_LIMIT_PER_MINUTE", 30)
# Every frame a customer's socket sends is limited per session and per client IP
# (apps.conversations.ratelimit; `limits` notation). An IP's limits leave room for many
# customers behind one address (a shop's wifi, a carrier's NAT).
CHAT_RATE_LIMIT_IP_PER_MINUTE = _positive("CHAT_RATE_LIMIT_IP_PER_MINUTE", 600)
CHAT_RATE_LIMIT_SESSIONS_IP_PER_MINUTE = _positive("CHAT_RATE_LIMIT_SESSIONS_IP_PER_MINUTE", 60)
CHAT_RATE_LIMIT_SOCKETS_IP_PER_MINUTE = _positive("CHAT_RATE_LIMIT_SOCKETS_IP_PER_MINUTE", 300)
CHAT_RATE_LIMIT_HANDOFFS_PER_MINUTE = _positive("CHAT_RATE_LIMIT_HANDOFFS_PER_MINUTE", 120)
CHAT_RATE_LIMITS = {
    "message": {
        "session": f"{CHAT_RATE_LIMIT_PER_MINUTE}/minute",
        "ip": f"{CHAT_RATE_LIMIT_IP_PER_MINUTE}/minute",
    },
    "resume": {"session": "60/minute", "ip": f"{2 * CHAT_RATE_LIMIT_IP_PER_MINUTE}/minute"},
    # A person is asked for once; more presses only re-read the notice, and fake requests
    # from many sessions must not fill the agents' queue: all sessions together get a cap.
    "handoff": {
        "session": "10/minute",
        "ip": "60/minute",
        "global": f"{CHAT_RATE_LIMIT_HANDOFFS_PER_MINUTE}/minute",
    },
    # A rating is given once; a few tries leave room for fixing a bad frame.
    "csat": {"session": "10/minute", "ip": f"{CHAT_RATE_LIMIT_IP_PER_MINUTE}/minute"},
    # New sessions (GET / mints one) and socket opens, per client IP: sessions are free.
    "session": {"ip": f"{CHAT_RATE_LIMIT_SESSIONS_IP_PER_MINUTE}/minute"},
    "socket": {"ip": f"{CHAT_RATE_LIMIT_SOCKETS_IP_PER_MINUTE}/minute"},
}
# Proxies (addresses or networks) whose X-Forwarded-For names the real client; from any
# other peer the header is ignored.
TRUSTED_PROXIES = _read("TRUSTED_PROXIES", list, [])
REPLY_FLUSH_MS = _positive("REPLY_FLUSH_MS", 25)
# CSAT (apps.conversations.csat): the widget asks for a rating once, when staff close the
# conversation or once it has been idle this long (checked every CSAT_SWEEP_S by each
# background worker). A comment is capped at CSAT_COMMENT_MAX_CHARS.
CSAT_IDLE_S = _seconds("CSAT_IDLE_S", 900)
CSAT_SWEEP_S = _seconds("CSAT_SWEEP_S", 30)
CSAT_COMMENT_MAX_CHARS = _positive("CSAT_COMMENT_MAX_CHARS", 500)
# Admission control (apps.conversations.admission): a customer who would wait this long
# for their reply to start is told their place at once, and is told again as the line
# moves (checked every QUEUE_PLACE_TICK_S); one who has waited this long with no text is
# told then. Until the workers' rate is measured, a line of QUEUE_NOTICE_AT does the same.
QUEUE_NOTICE_WAIT_S = _seconds("QUEUE_NOTICE_WAIT_S", 0.5)
QUEUE_PLACE_TICK_S = _seconds("QUEUE_PLACE_TICK_S", 0.5)
QUEUE_NOTICE_AT = _positive("QUEUE_NOTICE_AT", 8)
# Websocket database work in each web process runs on this many threads; handoffs have
# two of their own. 0: on asgiref's one thread-sensitive thread, where Django (and its
# async ORM, in 5.2) runs every such call of the process, for `make bench` to compare.
# A message's work is mostly round trips to Postgres and Redis, so in a surge threads
# wait more than they run, and more of them keep more messages moving (`make bench-surge`).
# Each thread keeps a Postgres connection (CONN_MAX_AGE) once it has been used.
CHAT_DB_THREADS = _read("CHAT_DB_THREADS", int, 16)
if CHAT_DB_THREADS < 0:
    raise ImproperlyConfigured(f"CHAT_DB_THREADS must be >= 0, got {CHAT_DB_THREADS}")
# How long a web process's thread may hold the GIL while another waits for it
# (sys.setswitchinterval). Its event loop and database threads share one GIL, and each
# round trip to Postgres or Redis gives it up: at CPython's 5 ms, a thread whose reply had
# come waited up to 5 ms behind a busy one, each time (the convoy effect), and in a surge
# the event loop's sends waited behind all of them.
WEB_SWITCH_INTERVAL_MS = _read("WEB_SWITCH_INTERVAL_MS", float, 0.5)
if not 0 < WEB_SWITCH_INTERVAL_MS <= 5:
    raise ImproperlyConfigured(
        f"WEB_SWITCH_INTERVAL_MS must be in (0, 5], got {WEB_SWITCH_INTERVAL_MS}"
    )

# The OpenAI-compatible API (apps.api): requests a minute per key, unless the key sets its
# own; the largest request body; how long a request waits for its reply to end; how long
# a webhook push may take.
API_RATE_LIMIT_PER_MINUTE = _positive("API_RATE_LIMIT_PER_MINUTE", 60)
API_MAX_BODY_BYTES = _positive("API_MAX_BODY_BYTES", 1_048_576)
API_REPLY_TIMEOUT_S = _seconds("API_REPLY_TIMEOUT_S", 120)
API_WEBHOOK_TIMEOUT_S = _seconds("API_WEBHOOK_TIMEOUT_S", 5)

# /metrics asks for `Authorization: Bearer <METRICS_TOKEN>` when this is set; unset, it is
# open in dev (`make run`) and off in production.
METRICS_TOKEN = _read("METRICS_TOKEN", str, "")
# Prometheus: a worker serves its metrics on this port when set (0 = off).
WORKER_METRICS_PORT = _read("WORKER_METRICS_PORT", int, 0)
WORKER_METRICS_ADDR = _read("WORKER_METRICS_ADDR", str, "127.0.0.1")
# Prometheus multiprocess mode (prometheus_client reads the same variable): every web and
# worker process on a host writes its counters under this directory, and any of them
# serves the host's sum. Empty: each process serves its own.
PROMETHEUS_MULTIPROC_DIR = _read("PROMETHEUS_MULTIPROC_DIR", str, "")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR must be an existing directory, got {PROMETHEUS_MULTIPROC_DIR!r}"
    )

# Outcome metrics (/ops/): a conversation with no handoff that has been idle this long
# counts as resolved by the AI.
OUTCOME_IDLE_MINUTES = _positive("OUTCOME_IDLE_MINUTES", 30)

# Local engine (mlx-lm). LOCAL_MODELS names several model directories, the small model
# first: simple intents go to the first, every other local reply to the last (router
# ``simple_intent``). Each loads on first use; past LOCAL_MODELS_MAX_BYTES of weights, idle
# models are unloaded, least recently used first. LOCAL_MODEL is the one-model shorthand.
LOCAL_MODEL = _read("LOCAL_MODEL", str, str(DEMO_MODEL_DIR))
LOCAL_MODELS = [m.strip() for m in _read("LOCAL_MODELS", list, [LOCAL_MODEL]) if m.strip()]
if not LOCAL_MODELS:
    raise ImproperlyConfigured("LOCAL_MODELS must name at least one model directory")
LOCAL_MODELS_MAX_BYTES = _positive("LOCAL_MODELS_MAX_BYTES", 2 * 2**30)
# mlx-lm's repetition penalty on the last LOCAL_REPETITION_CONTEXT tokens (1.0: off).
LOCAL_REPETITION_PENALTY = _read("LOCAL_REPETITION_PENALTY", float, 1.1)
if LOCAL_REPETITION_PENALTY < 1.0:
    raise ImproperlyConfigured(
        f"LOCAL_REPETITION_PENALTY must be >= 1.0 (1.0 is off), got {LOCAL_REPETITION_PENALTY}"
    )
LOCAL_REPETITION_CONTEXT = _positive("LOCAL_REPETITION_CONTEXT", 20)
LOCAL_MAX_TOKENS = _positive("LOCAL_MAX_TOKENS", 160)
LOCAL_MAX_BATCH = _positive("LOCAL_MAX_BATCH", 16)
LOCAL_MAX_PROMPT_TOKENS = _positive("LOCAL_MAX_PROMPT_TOKENS", 1536)
LOCAL_KV_CACHE_MB = _positive("LOCAL_KV_CACHE_MB", 256)
LOCAL_PREFILL_STALL_MS = _positive("LOCAL_PREFILL_STALL_MS", 250)

# Logs: one JSON object a line (apps.config.logs) carrying the ids of the conversation,
# message and task at hand, never a message's text; "plain" for reading by eye.
LOG_FORMAT = _read("LOG_FORMAT", str, "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "apps.config.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", str, "INFO")},
}

# Cloud backend: any OpenAI-compatible server (the demo runs mlx_lm.server on loopback).
CLOUD_BASE_URL = _read("CLOUD_BASE_URL", str, "http://127.0.0.1:8081/v1")
CLOUD_API_KEY = _read("CLOUD_API_KEY", str, "not-needed")
CLOUD_MODEL = _read("CLOUD_MODEL", str, "default_model")
CLOUD_CONNECT_TIMEOUT_MS = _positive("CLOUD_CONNECT_TIMEOUT_MS", 2000)
# Longest silence allowed between two streamed chunks; the ops TTFT/total deadlines cut sooner.
CLOUD_READ_TIMEOUT_MS = _positive("CLOUD_READ_TIMEOUT_MS", 30000)
# The SDK's retries are off by default: the fallback chain is the one retry layer.
CLOUD_MAX_RETRIES = _read("CLOUD_MAX_RETRIES", int, 0)
if CLOUD_MAX_RETRIES < 0:
    raise ImproperlyConfigured(f"CLOUD_MAX_RETRIES must be >= 0, got {CLOUD_MAX_RETRIES}")

# Circuit breakers (pybreaker, state shared by every process through Redis).
BREAKER_FAIL_MAX = _positive("BREAKER_FAIL_MAX", 3)
BREAKER_RESET_TIMEOUT_S = _positive("BREAKER_RESET_TIMEOUT_S", 15)
BREAKER_SUCCESS_THRESHOLD = _positive("BREAKER_SUCCESS_THRESHOLD", 2)
BREAKER_NAMESPACE = _read("BREAKER_NAMESPACE", str, "surgedesk:breaker")

# Ops routing flags: workers re-read them when the Redis version key moves, or after this
# many seconds when Redis cannot be reached.
OPS_FLAGS_TTL_S = _positive("OPS_FLAGS_TTL_S", 5)
LOGIN_URL = _read("LOGIN_URL", str, "/console/login/")

# FAQ knowledge base (apps.faq).
FAQ_MATCH_THRESHOLD = _read("FAQ_MATCH_THRESHOLD", float, 0.2)
if not 0.0 <= FAQ_MATCH_THRESHOLD <= 1.0:
    raise ImproperlyConfigured(f"FAQ_MATCH_THRESHOLD must be in [0, 1], got {FAQ_MATCH_THRESHOLD}")
# A model's prompt carries this many of the FAQ entries confident for the question (at
# least FAQ_MATCH_THRESHOLD), best first, as the references it answers from; 0: none. The
# demo model was trained with one reference line, so one is the default.
GROUNDING_REFERENCES = _read("GROUNDING_REFERENCES", int, 1)
if not 0 <= GROUNDING_REFERENCES <= 3:
    raise ImproperlyConfigured(f"GROUNDING_REFERENCES must be 0-3, got {GROUNDING_REFERENCES}")
# The shop the assistant speaks for, in every model prompt (apps/inference/prompts.py). The
# defaults are the demo shop's: its model was trained on exactly this prompt.
SHOP_NAME = _read("SHOP_NAME", str, "Maple & Moon")
SHOP_PERSONA = _read("SHOP_PERSONA", str, "an online shop: orders, shipping, returns, payments")
# The languages the assistant answers in, named as the prompt says them.
SHOP_LANGUAGES = env.list("SHOP_LANGUAGES", default=["English", "Chinese"])
if not SHOP_NAME.strip() or not SHOP_PERSONA.strip() or not SHOP_LANGUAGES:
    raise ImproperlyConfigured("SHOP_NAME, SHOP_PERSONA and SHOP_LANGUAGES must not be empty")
# How often a process double-checks Postgres for FAQ edits the Redis version counter missed.
FAQ_INDEX_RECHECK_S = _positive("FAQ_INDEX_RECHECK_S", 30)
FAQ_REDIS_PREFIX = env.str("FAQ_REDIS_PREFIX", default="surgedesk:faq:")
ANSWER_CACHE_TTL_S = _positive("ANSWER_CACHE_TTL_S", 3600)

# FAQ embeddings (apps.faq.embeddings). No base URL: the packaged offline model. A base URL:
# any OpenAI-compatible embeddings endpoint, which then needs the model to ask it for.
EMBEDDINGS_BASE_URL = _read("EMBEDDINGS_BASE_URL", str, "").strip()
if EMBEDDINGS_BASE_URL and not EMBEDDINGS_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"EMBEDDINGS_BASE_URL must be an http(s):// URL, got {EMBEDDINGS_BASE_URL!r}"
    )
EMBEDDINGS_MODEL = _read("EMBEDDINGS_MODEL", str, "").strip()
if EMBEDDINGS_BASE_URL and not EMBEDDINGS_MODEL:
    raise ImproperlyConfigured("EMBEDDINGS_MODEL must be set when EMBEDDINGS_BASE_URL is.")
EMBEDDINGS_API_KEY = _read("EMBEDDINGS_API_KEY", str, "not-needed")
# One request's limit, connecting included. A customer's question is embedded on the reply's
# path: after BREAKER_FAIL_MAX failures in a row the endpoint is skipped for
# BREAKER_RESET_TIMEOUT_S, so a stalled one costs few replies this wait.
EMBEDDINGS_TIMEOUT_MS = _positive("EMBEDDINGS_TIMEOUT_MS", 10000)
# Texts per request: background embedding sends entries in batches this big.
EMBEDDINGS_BATCH_SIZE = _positive("EMBEDDINGS_BATCH_SIZE", 32)
