# One image for every Sasar component; the compose file picks the command per component.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# uvicorn believes X-Forwarded-* only from these addresses; empty = nobody (its default is 127.0.0.1).
ENV FORWARDED_ALLOW_IPS=""

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY sasar ./sasar
COPY services ./services
COPY gateway ./gateway
COPY migrations ./migrations
# Editable: alembic.ini and migrations/ stay beside the code, where `sasar migrate` finds them.
RUN pip install -e . \
    && useradd --system --uid 10001 --home /app sasar
USER sasar

EXPOSE 8000 8001 8002 8003
# Default: the gateway. Services override the command in docker-compose.yml.
CMD ["uvicorn", "gateway.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
