"""gunicorn configuration of the portal's web processes (README: Production).

    .venv/bin/gunicorn -c gunicorn.conf.py

Threads per process suit a web tier that mostly waits on PostgreSQL, the search
engine and S3; each process holds its own database connections (no preload, so
no connection crosses a fork). Web processes never import torch: models run in
Celery workers only.
"""

import multiprocessing
import os

wsgi_app = "aquacat.wsgi:application"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# A request longer than this is killed and logged: uploads go in resumable chunks
# and ingests run in workers, so no request needs long.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycled now and then, so a slow leak in any library cannot grow without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Bodies are bounded by Django (DATA_UPLOAD_MAX_MEMORY_SIZE) and the upload limits.
limit_request_line = 8190
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
