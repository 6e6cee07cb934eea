"""Static assets and pages travel compressed to browsers that accept it."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_plotly_and_the_stylesheet_are_sent_gzip_compressed(client: TestClient) -> None:
    plotly = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert plotly.status_code == 200
    assert plotly.headers["content-encoding"] == "gzip"
    assert plotly.num_bytes_downloaded < len(plotly.content) / 3  # about 1.4 MB on the wire instead of 4.7 MB
    css = client.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["content-encoding"] == "gzip"
    plain = client.get("/static/app.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
