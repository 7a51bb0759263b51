# syntax=docker/dockerfile:1
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, in their own layer: code changes don't reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir bot adapters storage && touch bot/__init__.py adapters/__init__.py storage/__init__.py \
    && pip install --no-cache-dir . && pip uninstall -y icebreaker

COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 icebreaker
USER icebreaker

ENV ICEBREAKER_HTTP_HOST=0.0.0.0 ICEBREAKER_HTTP_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
CMD ["sh", "-c", "icebreaker db upgrade && exec icebreaker run"]
