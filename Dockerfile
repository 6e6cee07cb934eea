# The DeliveryOps image for the server setup (compose.yaml): the same image runs web processes and workers.
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --create-home deliveryops
USER deliveryops
EXPOSE 8000
CMD ["deliveryops", "serve", "--host", "0.0.0.0", "--port", "8000"]
