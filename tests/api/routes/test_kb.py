"""The knowledge-base endpoints: open, with the KB's version and sources."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_kb_endpoints_are_open(client: TestClient) -> None:
    listing = client.get("/api/v1/kb/conditions")
    assert listing.status_code == 200
    conditions = listing.json()["conditions"]
    assert listing.json()["count"] == len(conditions) > 0
    first = conditions[0]["id"]
    detail = client.get(f"/api/v1/kb/conditions/{first}")
    assert detail.status_code == 200 and detail.json()["id"] == first and detail.json()["imaging"]
    liver = client.get("/api/v1/kb/conditions", params={"organ": "liver"}).json()["conditions"]
    assert liver and all("liver" in c["organs"] for c in liver)
    assert client.get("/api/v1/kb/conditions/no_such_condition").status_code == 404
    rules = client.get("/api/v1/kb/rules")
    assert rules.status_code == 200 and rules.json()["rules"][0]["sources"]
    seed = client.get("/api/v1/kb/rules", params={"policy": "seed"}).json()["rules"]
    assert all(r["policies"] is None or "seed" in r["policies"] for r in seed)
    assert client.get("/api/v1/kb/rules", params={"policy": "nope"}).status_code == 422
