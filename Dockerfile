FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# Build-time values only: collectstatic needs settings, not real secrets.
RUN DEBUG=0 SECRET_KEY=build-only PII_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1yZWFsLWtleS0wMDAwMDA= \
    PII_BLIND_INDEX_KEY=YnVpbGQtb25seS1ibGluZC1pbmRleC1rZXktMDAwMDA= \
    DATABASE_URL=postgresql://build@localhost/build python manage.py collectstatic --noinput
RUN mkdir -p /var/lib/jinqiao/media && chown nobody /var/lib/jinqiao/media
ENV MEDIA_ROOT=/var/lib/jinqiao/media
USER nobody
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind", "0.0.0.0:8000"]
