"""Spreekuur settings: one module, every knob an environment variable with a sensible default.

The defaults run the zero-setup demo (`make run`): SQLite, Celery's filesystem broker, a
per-process cache and the console SMS gateway. Production sets DATABASE_URL, REDIS_URL (broker
and shared cache), SECRET_KEY and, once the Twilio gateway exists, SMS_GATEWAY and its keys.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# Required in production. Left empty, Django refuses the first use of it (a request, a signed
# value) with "The SECRET_KEY setting must not be empty", while commands that need no secret
# (makemigrations, check) still run.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-change-me" if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Swagger UI and ReDoc served from our own static files: the API docs work offline and load
    # nothing from a CDN.
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "interpreters",
    "scheduler",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # one working day
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients):
# request.is_secure() believes it, so secure cookies, CSRF and redirects see HTTPS.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# The container health check asks over plain HTTP from inside: never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)

# --- Booking rules --------------------------------------------------------------------------
# How far ahead a visitor may book, in days.
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=28)
# Until how many hours before the start a visitor may cancel or move a booking by SMS or phone.
CANCEL_CUTOFF_HOURS = env.float("CANCEL_CUTOFF_HOURS", default=2)
# How long a place freed for the first person on the waiting list is held for them.
WAITLIST_HOLD_MINUTES = env.int("WAITLIST_HOLD_MINUTES", default=120)
# Digits in a booking reference, the last one a Damm check digit.
BOOKING_REFERENCE_DIGITS = env.int("BOOKING_REFERENCE_DIGITS", default=6)
# The language the staff speak; a visitor who speaks it needs no interpreter.
STAFF_LANGUAGE = env.str("STAFF_LANGUAGE", default="nl")

# --- Messages -------------------------------------------------------------------------------
SMS_GATEWAY = env.str("SMS_GATEWAY", default="notifications.gateways.ConsoleGateway")
# The number a visitor can call; every message that asks for a reply names it.
MUNICIPALITY_PHONE = env.str("MUNICIPALITY_PHONE", default="14 036")
SMS_DEFAULT_REGION = env.str("SMS_DEFAULT_REGION", default="NL")
PHONENUMBER_DEFAULT_REGION = SMS_DEFAULT_REGION
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
# Seconds between outbox sweeps: the safety net for events whose on-commit kick was lost.
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=5)
# A claim older than this is taken to belong to a dead worker and may be claimed again.
OUTBOX_CLAIM_TIMEOUT_SECONDS = env.int("OUTBOX_CLAIM_TIMEOUT_SECONDS", default=120)
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_FS_DIR = Path(env.str("CELERY_FS_DIR", default=str(BASE_DIR / ".celery")))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_FS_DIR / "messages"),
        "data_folder_out": str(CELERY_FS_DIR / "messages"),
        "control_folder": str(CELERY_FS_DIR / "control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"socket_connect_timeout": 2, "socket_timeout": 5}
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "notifications.relay_outbox", "schedule": OUTBOX_SWEEP_SECONDS},
    "waitlist-expire-offers": {"task": "scheduler.expire_waitlist_offers", "schedule": 60.0},
}

# --- Cache ----------------------------------------------------------------------------------
# Holds the API throttle's counts. On Redis when REDIS_URL is set, so that every web process
# counts the same requests; else in each process's memory (make run, one process).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "spreekuur",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scheduler.permissions.HasStaffRole"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "scheduler.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "scheduler.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {"user": env.str("API_THROTTLE_USER", default="600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Spreekuur API",
    "DESCRIPTION": (
        "Walk-in hours and appointments for newcomers. Every refusal is JSON with a stable "
        '`code` and a readable `detail`, e.g. `{"code": "slot_full", "detail": "There is no '
        'place left at this time."}`; `detail` follows `Accept-Language` (Dutch by default).'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status` and a `channel`: one named enum for each set of choices.
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "scheduler.models.Session.Status",
        "BookingStatusEnum": "scheduler.models.Booking.Status",
        "WaitlistStatusEnum": "scheduler.models.WaitlistEntry.Status",
        "ChannelEnum": "scheduler.models.Channel",
        "BookingChannelEnum": "scheduler.api.serializers.BOOKING_CHANNELS",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
