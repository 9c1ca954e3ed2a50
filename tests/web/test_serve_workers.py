"""``calcitrack serve --workers 2`` without ``CALCITRACK_SECRET_KEY``: a web login holds across workers.

Why a real server: the bug was per-process secrets, which only several uvicorn worker processes show. Each
request below opens a new TCP connection, so the kernel spreads them over both workers; with one secret
per worker, the CSRF check of the login or a later page would fail on the other worker.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.api.server_process import Server, prepare_database
from tests.web.conftest import csrf_of


def test_login_survives_requests_spread_over_two_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALCITRACK_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    keys = prepare_database(url, ("clinician",))
    server = Server(url, tmp_path / "server.log", workers=2, warmup=False)
    try:
        server.start(timeout=120)

        def get(path: str, cookies: httpx.Cookies) -> httpx.Response:
            with httpx.Client(base_url=server.base, cookies=cookies, timeout=30) as fresh:  # a new connection
                return fresh.get(path, follow_redirects=False)

        cookies = httpx.Cookies()
        login_page = get("/ui/login", cookies)
        cookies.update(login_page.cookies)
        with httpx.Client(base_url=server.base, cookies=cookies, timeout=30) as fresh:
            response = fresh.post("/ui/login", data={"username": "clinician", "key": keys["clinician"],
                                                     "csrf": csrf_of(login_page.text), "next": "/ui/worklist"},
                                  follow_redirects=False)
        assert response.status_code == 303, response.text
        assert response.headers["location"].endswith("/ui/worklist")
        cookies.update(response.cookies)
        for _ in range(12):
            page = get("/ui/worklist", cookies)
            assert page.status_code == 200, (page.status_code, page.headers.get("location"))
    finally:
        server.stop()
