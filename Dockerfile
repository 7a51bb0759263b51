# syntax=docker/dockerfile:1
# Icebreaker: `icebreaker db upgrade && icebreaker run` as a non-root user. See docs/operations.md.
# The base image is pinned to a patch release and Debian release; bump it deliberately (security updates).
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, in their own layer: the exact, hash-checked versions of requirements.lock (`make lock`
# writes it from pyproject.toml), so a code change does not reinstall them and every build gets the same ones.
# Every dependency ships manylinux wheels for CPython 3.11, so no compiler and no apt-get are needed.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# The code (migrations included, as package data), then the `icebreaker` command without touching dependencies.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY adapters ./adapters
RUN pip install --no-cache-dir --no-deps . \
    && useradd --no-log-init --create-home --uid 10001 --user-group icebreaker

USER 10001:10001

# Listen on every interface inside the container; publish or proxy the port as needed.
ENV ICEBREAKER_HTTP_HOST=0.0.0.0 \
    ICEBREAKER_HTTP_PORT=8080
EXPOSE 8080

# /healthz answers 200 when the database and every adapter are fine, 503 otherwise (no curl in a slim image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('ICEBREAKER_HTTP_PORT', '8080'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]

# Migrations at start, then `exec` so icebreaker is PID 1 and receives SIGTERM for a clean shutdown.
CMD ["sh", "-c", "icebreaker db upgrade && exec icebreaker run"]
