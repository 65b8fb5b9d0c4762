"""gunicorn settings shared by the Procfile, the Dockerfile, docker-compose
and the API benchmark (``gunicorn -c config/gunicorn.py config.wsgi``).

gthread workers keep client connections alive (sync workers close each
one). On 2 cores, 3 processes of 1 thread answered the API's instant call
fastest (bench-api: about 600 rps, p99 19 ms, against 490 rps and p99 40 ms
for 2 x 2 threads): threads of one process wait for each other's
interpreter lock, processes do not. Override with WEB_CONCURRENCY (about
1.5 x cores) and WEB_THREADS.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "1"))
# Recycle workers now and then: each connection's catalogue cache grows
# with the schemas it touches (STACK_NOTES: Tenancy).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
