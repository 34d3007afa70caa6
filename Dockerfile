# Same steps as the README's run command: install the package, serve with the sample articles indexed.
FROM python:3.11-slim
WORKDIR /srv/citewire
COPY pyproject.toml README.md ./
COPY app ./app
COPY prompts ./prompts
COPY evals ./evals
RUN python3 -m venv .venv && . .venv/bin/activate && pip install --no-cache-dir -e . \
    && citewire --help >/dev/null
ENV PATH=/srv/citewire/.venv/bin:$PATH \
    CITEWIRE_DATA_DIR=/data \
    ANONYMIZED_TELEMETRY=False
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["citewire", "serve", "--samples", "--host", "0.0.0.0", "--port", "8000"]
