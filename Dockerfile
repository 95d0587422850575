# Tabletalk: one Streamlit process serving the app on port 8501.
# Build: docker build -t tabletalk .   Run with PostgreSQL: see compose.yaml and docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# A fixed uid/gid so files on shared storage (NFS/EFS) keep one owner across replicas.
RUN groupadd --system --gid 10001 tabletalk \
    && useradd --system --uid 10001 --gid tabletalk --create-home --home-dir /home/tabletalk \
       --shell /usr/sbin/nologin tabletalk \
    && mkdir -p /data \
    && chown tabletalk:tabletalk /data

WORKDIR /app

# Dependencies first, so editing the app does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root: the app user can read it but not change it.
COPY . .

USER tabletalk

# Uploaded datasets (and the embedded PostgreSQL, when DATABASE_URL is unset) live here.
VOLUME ["/data"]

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).status != 200)"]

CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
