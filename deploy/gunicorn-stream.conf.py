"""gunicorn settings for the live case event streams (``/sessions/<id>/live/events``).

A stream is an idle connection most of its life: it waits on Redis for the next
change of the case. On the main server's gthread workers each one would hold a
thread, so nginx sends the stream route to this second gunicorn, whose gevent
workers hold a thousand idle connections each at the cost of a greenlet. Every
stream closes itself after LMS_LIVE_STREAM_SECONDS (the browser reconnects at
once), so a stream never outlives a deploy by long.
"""

import os

bind = os.environ.get("LMS_STREAM_BIND", "127.0.0.1:8001")
# Two processes: one can restart (max_requests) while the other keeps serving.
workers = int(os.environ.get("LMS_STREAM_WORKERS", "2"))
worker_class = "gevent"
worker_connections = int(os.environ.get("LMS_STREAM_CONNECTIONS", "1000"))
# The gevent worker reports to the master from its own loop: a long stream is
# not a stuck worker, so the usual timeout applies.
timeout = int(os.environ.get("LMS_WORKER_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
max_requests = int(os.environ.get("LMS_STREAM_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("LMS_ACCESS_LOG", "-")
access_log_format = (
    '{"remote":"%(h)s","request":"%(r)s","status":%(s)s,"bytes":%(B)s,'
    '"duration_us":%(D)s,"request_id":"%({x-request-id}o)s","agent":"%(a)s"}'
)
errorlog = "-"
loglevel = os.environ.get("LMS_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("LMS_FORWARDED_ALLOW_IPS", "127.0.0.1")
