"""gunicorn settings for production: several stateless worker processes.

Every setting can be overridden by an environment variable so one file serves
a 2-core trial box and a 32-core server alike.
"""

import multiprocessing
import os

bind = os.environ.get("LMS_BIND", "127.0.0.1:8000")
# Threads let one process wait on PostgreSQL for one request while serving
# another; processes use every core. (2 x cores) + 1 is gunicorn's own advice.
workers = int(os.environ.get("LMS_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("LMS_THREADS", "4"))
worker_class = "gthread"
# nginx buffers slow clients, so a request that takes longer than this is stuck.
timeout = int(os.environ.get("LMS_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never takes a server down; not
# too often: a new worker spends most of a second of CPU importing the app, and
# recycling every 5,000 requests cost a fast route (a cached certificate check)
# about a third of its throughput.
max_requests = int(os.environ.get("LMS_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("LMS_ACCESS_LOG", "-")
access_log_format = (
    '{"remote":"%(h)s","request":"%(r)s","status":%(s)s,"bytes":%(B)s,'
    '"duration_us":%(D)s,"request_id":"%({x-request-id}o)s","agent":"%(a)s"}'
)
errorlog = "-"
loglevel = os.environ.get("LMS_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the local nginx.
forwarded_allow_ips = os.environ.get("LMS_FORWARDED_ALLOW_IPS", "127.0.0.1")
