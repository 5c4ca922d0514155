# CQO Registry — one image for the web server, the Celery worker and Celery beat
# (docker-compose.yml chooses the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cqo_registry.settings.production

# fonts-noto-cjk: Chinese text in PDF receipts (without it Chinese renders as boxes).
# libpango*: what WeasyPrint needs to lay out those PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: the exact versions of the
# lock file, each checked against its hash (the code itself runs from /app).
COPY requirements/run.txt requirements/run.txt
RUN pip install --require-hashes -r requirements/run.txt

COPY . .

# Run as an unprivileged user. var/ holds the mount points of the static and private-upload
# volumes: a new named volume takes its owner from the image, so the app can write to it.
RUN useradd --system --uid 1000 --user-group --home-dir /app --no-create-home app \
    && mkdir -p /app/var/staticfiles /app/var/private \
    && chown -R app:app /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "cqo_registry.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
