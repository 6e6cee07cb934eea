# The DeliveryOps image for the server setup (compose.yaml): the same image runs web processes and workers.
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
# The versions the committed uv.lock pins, with their hashes (uv export writes them; pip checks them), then the app.
RUN pip install --no-cache-dir uv \
    && uv export --frozen --no-emit-project --quiet -o /tmp/requirements.txt \
    && pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt \
    && pip install --no-cache-dir --no-deps . \
    && pip uninstall -y -q uv && rm /tmp/requirements.txt \
    && useradd --create-home deliveryops
USER deliveryops
EXPOSE 8000
CMD ["deliveryops", "serve", "--host", "0.0.0.0", "--port", "8000"]
