# Spreekuur: one image for web (gunicorn), worker and beat. See docker-compose.yml.
FROM python:3.11-slim

# The code runs from /app, next to locale/ and templates/ (settings find them from BASE_DIR).
# Only the dependencies are installed, not the package itself, so there is one copy of the code;
# PYTHONPATH lets every entry point (gunicorn, celery, python -m config.health) import it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Static files are baked into the image and served by WhiteNoise. The key only lets settings
# load for collectstatic; nothing is signed at build time.
COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

# The code stays owned by root: the app user can run it but not change it.
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent spreekuur
USER spreekuur

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
