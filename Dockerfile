# Multi-stage: build the virtualenv (the wheel compiles the message catalogs into the package),
# then copy it into a slim image that runs as an unprivileged user.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/mic
ENV PATH=/opt/mic/bin:$PATH
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY app ./app
COPY bots ./bots
COPY jobs ./jobs
COPY migrations ./migrations
COPY locales ./locales
RUN pip install .

FROM python:3.11-slim
# pg_dump and pg_restore, for `mic db backup` and `mic db restore` on PostgreSQL (Debian's client
# matches the postgres:15 of compose.yaml). Share cards: FriBiDi, which the libraqm in Pillow's
# wheels loads to shape Burmese, Khmer and Lao, and Noto Sans CJK for Chinese cards. The CJK
# package's serif and bold collections go (cards use the sans regular face only): they would add
# some 70 MB to the image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client libfribidi0 fonts-noto-cjk \
    && rm -f /usr/share/fonts/opentype/noto/NotoSerifCJK-*.ttc \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mic
COPY --from=build /opt/mic /opt/mic
WORKDIR /srv/mic
RUN mkdir -p var && chown mic:mic var
USER mic
ENV PATH=/opt/mic/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MIC_HOST=0.0.0.0 \
    MIC_DATABASE_URL=sqlite:////srv/mic/var/mic.db
VOLUME ["/srv/mic/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# Migrating on start is safe: `mic db upgrade` at the newest schema changes nothing.
CMD ["sh", "-c", "mic db upgrade && mic seed demo --if-empty && exec mic run --host 0.0.0.0"]
