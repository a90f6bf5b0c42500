# errwatch: the scheduler daemon (`errwatch schedule`) in a small, non-root image.
#   docker compose up -d --build        (see docker-compose.yml and docs/cron.md)
# Snapshots and reports live under /data (the working directory), the config file is
# mounted read-only at /config/errwatch.toml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid so bind-mounted folders can be chowned to it on the host (10001:10001).
RUN groupadd --system --gid 10001 errwatch \
 && useradd --system --uid 10001 --gid errwatch --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin errwatch \
 && mkdir -p /data/snapshots /data/reports /config \
 && chown -R errwatch:errwatch /data

# Only what the package build needs (no .venv, tests or local snapshots in the image).
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY scraper ./scraper
# tzdata: the IANA time zones for `timezone` (slim images may not ship them).
RUN pip install . tzdata \
 && errwatch --help > /dev/null \
 && rm -rf /src

WORKDIR /data
USER errwatch
VOLUME ["/data/snapshots", "/data/reports"]

ENTRYPOINT ["errwatch"]
# --run-on-start: a fresh container writes its first reports now, not at the first cron time.
CMD ["schedule", "--config", "/config/errwatch.toml", "--run-on-start"]
