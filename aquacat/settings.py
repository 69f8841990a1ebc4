"""AquaCat settings, read from the environment.

With no variables set, AquaCat runs in its embedded mode: SQLite, the database
search backend, a Celery broker on a SQLite file and files in a local folder.
Pointing it at PostgreSQL, OpenSearch/Elasticsearch, Redis/RabbitMQ and S3 is a
matter of setting the variables described in the README.
"""

import json
import os
from pathlib import Path

import dj_database_url

from aquacat.schedule import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Local state of the embedded mode (SQLite files, uploaded media, broker).
VAR_DIR = Path(env_str("AQUACAT_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# The fallback key only exists so the embedded mode starts without set-up;
# `check --deploy` flags it, and production must set SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-aquacat-embedded-mode-only")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "catalogue",
    "curation",
    "inference",
    "aquacat",
    # Sign-in through ORCID and OpenID Connect providers (OIDC_PROVIDERS below).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (CSS, JS, the vendored map assets) served by the app itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # catalogue.access's refusals as 404, 403 and 409 pages.
    "aquacat.middleware.AccessErrorMiddleware",
]

ROOT_URLCONF = "aquacat.urls"
WSGI_APPLICATION = "aquacat.wsgi.application"
ASGI_APPLICATION = "aquacat.asgi.application"

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

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'aquacat.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-aquacat.sqlite3")}
    # WAL lets the web server, workers and ingest processes read while one writes;
    # IMMEDIATE takes the write lock up front instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Served from the app folders without collectstatic, so the embedded mode needs no set-up.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# S3 (or any S3-compatible store) when a bucket is named; a local folder otherwise.
S3_BUCKET = env_str("S3_BUCKET")
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
S3_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID")
S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY")
S3_REGION = env_str("S3_REGION", "us-east-1")
if S3_BUCKET:
    from botocore.config import Config as BotoConfig

    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL or None,
            "access_key": S3_ACCESS_KEY_ID or None,
            "secret_key": S3_SECRET_ACCESS_KEY or None,
            "region_name": S3_REGION,
            "location": env_str("S3_PREFIX"),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
            # Fail fast when the store is down instead of boto's long default waits.
            "client_config": BotoConfig(
                connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}
            ),
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/" + MEDIA_URL},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Search -----------------------------------------------------------------------
# Empty SEARCH_URL: the database backend. Otherwise an OpenSearch or
# Elasticsearch server; SEARCH_ENGINE names it, or "auto" asks the server.
SEARCH_URL = env_str("SEARCH_URL")
SEARCH_ENGINE = env_str("SEARCH_ENGINE", "auto")
SEARCH_INDEX_PREFIX = env_str("SEARCH_INDEX_PREFIX", "aquacat")
SEARCH_TIMEOUT = float(env_str("SEARCH_TIMEOUT", "10"))
# Queue of the indexing task (empty: the default queue); workers can specialise.
SEARCH_INDEX_QUEUE = env_str("SEARCH_INDEX_QUEUE")
# Indexing retries back off exponentially up to this many seconds while the engine is down.
SEARCH_INDEX_RETRY_MAX_SECONDS = env_int("SEARCH_INDEX_RETRY_MAX_SECONDS", 300)

# --- Tasks --------------------------------------------------------------------------
# The embedded broker is kombu's SQLAlchemy transport on a SQLite file: no server.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_RESULT_BACKEND = env_str(
    "CELERY_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'task-results.sqlite3'}"
)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "aquacat")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The embedded broker is polled: kombu's default of one poll a second would keep each
# task waiting up to a second; a poll is one indexed read of a SQLite file.
EMBEDDED_BROKER_POLLING_SECONDS = float(env_str("EMBEDDED_BROKER_POLLING_SECONDS", "0.1"))
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis redelivers unacknowledged tasks after this; longer than any task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
    }

# --- Scheduled care (Celery beat; aquacat/schedule.py) ------------------------------
# Seconds between runs of each scheduled task; 0 leaves it out of the schedule.
SCHEDULE_PERIODS = {
    "embargo": env_int("SCHEDULE_EMBARGO_SECONDS", 3600),
    "fixity": env_int("SCHEDULE_FIXITY_SECONDS", 3600),
    "reconcile": env_int("SCHEDULE_RECONCILE_SECONDS", 6 * 3600),
    "uploads": env_int("SCHEDULE_UPLOADS_SECONDS", 900),
    "taxa": env_int("SCHEDULE_TAXA_SECONDS", 24 * 3600),
    "sessions": env_int("SCHEDULE_SESSIONS_SECONDS", 24 * 3600),
    "deposits": env_int("SCHEDULE_DEPOSITS_SECONDS", 900),
    "harvest": env_int("SCHEDULE_HARVEST_SECONDS", 900),
    "similarity": env_int("SCHEDULE_SIMILARITY_SECONDS", 600),
}
CELERY_BEAT_SCHEDULE = beat_schedule(SCHEDULE_PERIODS)
CELERY_BEAT_SCHEDULE_FILENAME = env_str(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule")
)
# Every stored file (original and thumbnails) is re-hashed at least once in this period.
FIXITY_PERIOD_DAYS = env_int("FIXITY_PERIOD_DAYS", 30)
# A deposit queued or running without a change for this long lost its task: queue it again.
DEPOSIT_STALE_SECONDS = env_int("DEPOSIT_STALE_SECONDS", 3600)

# --- Inference ----------------------------------------------------------------------
# Queue of inference batches (empty: the default queue); GPU workers consume it.
INFERENCE_QUEUE = env_str("INFERENCE_QUEUE")
INFERENCE_BATCH_SIZE = env_int("INFERENCE_BATCH_SIZE", 32)
# A batch delivered more often than this (worker killed each time) gives up.
INFERENCE_MAX_DELIVERIES = env_int("INFERENCE_MAX_DELIVERIES", 3)
# New images get embeddings ("more like this") from a job queued after their ingest.
INFERENCE_EMBED_NEW_IMAGES = env_bool("INFERENCE_EMBED_NEW_IMAGES", True)
INFERENCE_DEVICE = env_str("INFERENCE_DEVICE")  # empty: cuda when available, else cpu
# Threads reading and decoding a batch's images while the model runs on the last chunk.
INFERENCE_DECODE_THREADS = env_int("INFERENCE_DECODE_THREADS", 2)
# Keep freed memory for the next forward pass instead of giving it back to the kernel
# each batch (glibc's malloc; inference/memory.py).
INFERENCE_MALLOC_TUNING = env_bool("INFERENCE_MALLOC_TUNING", True)
# Held-out images a verification of numerics compares against fp32 (inference/numerics/).
INFERENCE_NUMERICS_SAMPLE = env_int("INFERENCE_NUMERICS_SAMPLE", 64)
# Where the code behind our model cards lives (AI4OS links.source_code); empty: the
# version's page on this portal, which shows its training recipe.
SOURCE_CODE_URL = env_str("SOURCE_CODE_URL")
# Tests only: seconds to sleep per image, so a test can kill a worker mid-batch.
INFERENCE_TEST_SLEEP_PER_IMAGE = float(env_str("INFERENCE_TEST_SLEEP_PER_IMAGE", "0"))
# "More like this": below this many embeddings the exact scan answers, past it the
# approximate index (inference/ann/) that workers publish to the default storage.
SIMILARITY_INDEX_MIN_EMBEDDINGS = env_int("SIMILARITY_INDEX_MIN_EMBEDDINGS", 20_000)
# Which index: "engine" (the search engine's own kNN: Elasticsearch dense_vector),
# "index" (our faiss inverted file, inference/ann/), "exact" (always scan); "auto":
# the engine where it has kNN, else our index.
SIMILARITY_BACKEND = env_str("SIMILARITY_BACKEND", "auto")
if SIMILARITY_BACKEND not in ("auto", "engine", "index", "exact"):
    raise ValueError(
        f"SIMILARITY_BACKEND must be auto, engine, index or exact: {SIMILARITY_BACKEND!r}"
    )
# How often a process looks for a newer index; where it keeps its local copy.
SIMILARITY_INDEX_CHECK_SECONDS = float(env_str("SIMILARITY_INDEX_CHECK_SECONDS", "10"))
SIMILARITY_INDEX_CACHE_DIR = Path(
    env_str("SIMILARITY_INDEX_CACHE_DIR", str(VAR_DIR / "similarity"))
)
SIMILARITY_INDEX_DTYPE = env_str("SIMILARITY_INDEX_DTYPE", "f16")  # f16, i8 or f32 in the index
# A query by an uploaded image waits this long for a worker to embed it.
SIMILARITY_UPLOAD_WAIT_SECONDS = float(env_str("SIMILARITY_UPLOAD_WAIT_SECONDS", "20"))

# --- Ingestion ----------------------------------------------------------------------
# Images over this many pixels are refused as decompression bombs.
INGEST_MAX_PIXELS = env_int("INGEST_MAX_PIXELS", 200_000_000)
# GeoTIFFs read through GDAL in bounded memory (a Sentinel-1 GRD scene: ~430 million).
GEORASTER_MAX_PIXELS = env_int("GEORASTER_MAX_PIXELS", 1_000_000_000)
INGEST_MAX_FILE_BYTES = env_int("INGEST_MAX_FILE_BYTES", 2 * 1024**3)
INGEST_ARCHIVE_MAX_ENTRIES = env_int("INGEST_ARCHIVE_MAX_ENTRIES", 100_000)
INGEST_ARCHIVE_MAX_BYTES = env_int("INGEST_ARCHIVE_MAX_BYTES", 20 * 1024**3)
INGEST_ARCHIVE_MAX_RATIO = float(env_str("INGEST_ARCHIVE_MAX_RATIO", "200"))
# Folders that `ingest` may read server-side (empty: any folder, for the command line).
INGEST_ALLOWED_ROOTS = env_list("INGEST_ALLOWED_ROOTS")
INGEST_WORKERS = env_int("INGEST_WORKERS", 1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024**2
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 1000)

# --- Health -----------------------------------------------------------------------
HEALTH_TIMEOUT = float(env_str("HEALTH_TIMEOUT", "5"))

# --- REST API ---------------------------------------------------------------------
# Rates are read on every request (catalogue/api/throttling.py), so tests can lower them.
API_THROTTLE_RATES = {
    "token": env_str("API_THROTTLE_TOKEN", "2000/min"),
    "address": env_str("API_THROTTLE_ADDRESS", "300/min"),
}
# One upload request may carry at most this many bytes (files included); more is a 413.
API_MAX_UPLOAD_BYTES = env_int("API_MAX_UPLOAD_BYTES", 2 * 1024**3)
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50)
# Resumable uploads (catalogue/uploads/): the largest file, how many a user may have
# open at once, how long an idle one lives, where local chunks are staged, and the
# part size asked of clients (S3 parts; local chunks may be up to UPLOAD_CHUNK_MAX_BYTES).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024**3)
UPLOAD_MAX_CONCURRENT = env_int("UPLOAD_MAX_CONCURRENT", 4)
UPLOAD_EXPIRY_HOURS = env_int("UPLOAD_EXPIRY_HOURS", 24)
UPLOAD_STAGING_DIR = Path(env_str("UPLOAD_STAGING_DIR", str(VAR_DIR / "uploads")))
UPLOAD_PART_BYTES = env_int("UPLOAD_PART_BYTES", 16 * 1024**2)
UPLOAD_CHUNK_MAX_BYTES = env_int("UPLOAD_CHUNK_MAX_BYTES", 64 * 1024**2)
# Form posts of more bytes than this are ingested by a worker, not in the request.
UPLOAD_IN_REQUEST_MAX_BYTES = env_int("UPLOAD_IN_REQUEST_MAX_BYTES", 32 * 1024**2)
# The queue of upload ingests; empty: the default queue.
UPLOAD_QUEUE = env_str("UPLOAD_QUEUE")
API_MAX_PAGE_SIZE = 200
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "catalogue.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "aquacat.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["catalogue.api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": [
        "catalogue.api.throttling.TokenRateThrottle",
        "catalogue.api.throttling.AddressRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["catalogue.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "catalogue.api.pagination.CursorPagination",
    "EXCEPTION_HANDLER": "catalogue.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# A CSRF refusal Django makes itself (outside DRF's views) is a problem under /api/.
CSRF_FAILURE_VIEW = "catalogue.api.problems.csrf_failure"
SPECTACULAR_SETTINGS = {
    "TITLE": "AquaCat API",
    "DESCRIPTION": "Catalogue and FAIR publishing portal for aquatic image data.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalogue.api.schema.text_parameters_without_nul",
        "catalogue.api.schema.bodies_with_required_fields_are_required",
        "catalogue.api.strict.closed_request_bodies",
        "catalogue.api.links.add_links",
    ],
    # Several models have a `state`: each choice set gets its own enum name.
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "catalogue.models.State",
        "DepositStateEnum": "curation.models.Deposit.State",
        "LabelSetStateEnum": "curation.models.LabelSet.State",
        "SeriesStatusEnum": "curation.timeseries.params.STATUSES",
    },
}

# --- Security (production sets these; `manage.py check --deploy` verifies) -------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # The search clients log every request at INFO.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("opensearch", "opensearchpy", "elastic_transport", "botocore")
    },
}

# --- FAIR outputs: exported metadata, OAI-PMH (catalogue/formats, catalogue/oai) ----
# The public address of the portal: landing pages and identifiers in exported metadata.
SITE_URL = env_str("SITE_URL", "http://localhost:8000")
AQUACAT_PUBLISHER = env_str("AQUACAT_PUBLISHER", "AquaCat")
OAI_REPOSITORY_NAME = env_str("OAI_REPOSITORY_NAME", "AquaCat aquatic image catalogue")
# The host part of OAI identifiers (oai:<host>:set/<uuid>): stable whatever Host a request uses.
OAI_REPOSITORY_IDENTIFIER = env_str(
    "OAI_REPOSITORY_IDENTIFIER", (SITE_URL.split("://", 1)[-1].split("/")[0].split(":")[0])
)
OAI_ADMIN_EMAILS = env_list("OAI_ADMIN_EMAILS", "aquacat-admin@example.org")
OAI_PAGE_SIZE = env_int("OAI_PAGE_SIZE", 200)
# Resumption tokens are signed and stateless; they stay valid this long (at least a day).
OAI_TOKEN_MAX_AGE = env_int("OAI_TOKEN_MAX_AGE", 7 * 24 * 3600)
SIGNPOSTING_MAX_ITEMS = env_int("SIGNPOSTING_MAX_ITEMS", 50)

# --- Publishing (curation/services/deposits.py, curation/repositories/) -------------
# Where sets are published: a JSON object of name -> {"kind": ..., options}. Empty (the
# embedded default): publishing freezes a set, its landing page is its identifier.
PUBLISH_TARGETS = json.loads(env_str("PUBLISH_TARGETS", "{}") or "{}")
# A deposit that waits for its repository tries again after at most this many seconds.
DEPOSIT_RETRY_MAX_SECONDS = env_int("DEPOSIT_RETRY_MAX_SECONDS", 600)

# --- Taxa from WoRMS (catalogue/vocabularies/taxa/worms.py) -------------------------
# The WoRMS REST API; empty: the bundled snapshot only, names it lacks wait (pending).
WORMS_URL = env_str("WORMS_URL", "https://www.marinespecies.org/rest")
WORMS_TIMEOUT = float(env_str("WORMS_TIMEOUT", "10"))
WORMS_RETRIES = env_int("WORMS_RETRIES", 3)
WORMS_BACKOFF = float(env_str("WORMS_BACKOFF", "1"))
# A 429 asking to wait longer than this counts as WoRMS unavailable.
WORMS_MAX_WAIT = float(env_str("WORMS_MAX_WAIT", "30"))
# After WoRMS failed, names wait (pending) this long before it is asked again.
WORMS_DOWN_SECONDS = env_int("WORMS_DOWN_SECONDS", 300)
# How long WoRMS's answer for a name is reused (names it settles become taxon rows).
WORMS_ANSWER_SECONDS = env_int("WORMS_ANSWER_SECONDS", 24 * 3600)

# --- Web UI sign-in ---------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "curation:my-sets"
LOGOUT_REDIRECT_URL = "catalogue:home"

# --- Sign-in with ORCID and OpenID Connect providers (aquacat/signin/) --------------
# OIDC_PROVIDERS: a JSON object of id -> {server_url, client_id, secret, name, scope,
# orcid_claim, token_auth_method}; see aquacat/signin/providers.py. Empty (the
# embedded default): local accounts only. Every provider is asked with PKCE.
from aquacat.signin.providers import socialaccount_providers  # noqa: E402

SOCIALACCOUNT_PROVIDERS = socialaccount_providers(env_str("OIDC_PROVIDERS"))
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# allauth does provider sign-in only: local accounts keep Django's own sign-in pages
# (aquacat/accounts.py), and allauth adds no sign-up, password or e-mail pages.
SOCIALACCOUNT_ONLY = True
SOCIALACCOUNT_ADAPTER = "aquacat.signin.adapters.SocialAccountAdapter"
# Providers vouch for addresses (email_verified); AquaCat sends no confirmation mail.
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
# Linking by verified address or ORCID iD is AquaCat's own (aquacat/signin/identity.py).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_AUTO_SIGNUP = True
# The provider buttons post (with the CSRF token); a GET only shows a confirmation.
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
