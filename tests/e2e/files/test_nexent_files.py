"""Nexent /api/file and /api/proxy through the gateway: upload, storage, URLs, delete, preprocess SSE, SSRF."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import orjson
import pytest

from tests.e2e.conftest import MeshClient
from tests.e2e.files.conftest import PNG, Tenant, digest, fetch

pytestmark = pytest.mark.e2e


def test_upload_stores_files_and_starts_ingestion(mesh: MeshClient, alice: Tenant) -> None:
    one, two = os.urandom(3000), b"# notes\n" + os.urandom(100).hex().encode()
    reply = mesh.http.post(
        "/api/file/upload",
        headers=alice.auth,
        files=[("file", ("a.bin", one, "application/pdf")), ("file", ("notes.md", two, "text/markdown"))],
        data={"chunking_strategy": "basic", "index_name": "kb-e2e"},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["uploaded_files"] == ["a.bin", "notes.md"] and body["message"]
    task_ids = body["process_tasks"]["task_ids"]
    assert body["process_tasks"]["task_id"] == task_ids[0] and len(set(task_ids)) == 2
    assert all(len(t) == 32 and int(t, 16) >= 0 for t in task_ids)
    missing = mesh.http.post("/api/file/upload", headers=alice.auth, files=[("file", ("a.txt", b"x", "text/plain"))])
    assert missing.status_code == 400 and "index_name" in missing.json()["detail"]


def test_storage_round_trip_list_urls_and_delete(mesh: MeshClient, alice: Tenant, bob: Tenant) -> None:
    data = os.urandom(700_000)
    stored = mesh.http.post(
        "/api/file/storage",
        headers=alice.auth,
        files=[("files", ("photo.png", PNG, "image/png")), ("files", ("blob.pdf", data, "application/pdf"))],
        data={"folder": "e2e-docs"},
    )
    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert (body["success_count"], body["failed_count"]) == (2, 0)
    results = {r["file_name"]: r for r in body["results"]}
    assert digest(fetch(mesh, results["blob.pdf"]["url"]).content) == digest(data)
    assert fetch(mesh, results["photo.png"]["url"]).headers["content-type"] == "image/png"
    name = results["blob.pdf"]["object_name"]
    assert name.startswith("e2e-docs/")

    listing = mesh.http.get("/api/file/storage", headers=alice.auth, params={"prefix": "e2e-docs/", "limit": 10})
    assert listing.status_code == 200
    assert listing.json()["total"] == 2 and {f["name"] for f in listing.json()["files"]} == {
        r["object_name"] for r in body["results"]
    }
    assert all(f["url"] for f in listing.json()["files"])
    bare = mesh.http.get("/api/file/storage", headers=alice.auth, params={"prefix": "e2e-docs/", "include_urls": False})
    assert all("url" not in f for f in bare.json()["files"])

    one = mesh.http.get(f"/api/file/storage/{name}", headers=alice.auth, params={"download": True, "expires": 60})
    assert one.status_code == 200 and one.json()["success"] and one.json()["expires"]
    downloaded = fetch(mesh, one.json()["url"])
    assert downloaded.status_code == 200 and digest(downloaded.content) == digest(data)
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert downloaded.headers["x-content-type-options"] == "nosniff"

    batch = mesh.http.post(
        "/api/file/storage/batch-urls",
        headers=alice.auth,
        json={"object_names": [name, "e2e-docs/nope", "../../etc/passwd"], "expires": 120},
    )
    assert [u["success"] for u in batch.json()["urls"]] == [True, False, False]
    assert digest(fetch(mesh, batch.json()["urls"][0]["url"]).content) == digest(data)

    assert mesh.http.get(f"/api/file/storage/{name}", headers=bob.auth).status_code == 404
    assert mesh.http.delete(f"/api/file/storage/{name}", headers=bob.auth).status_code == 404
    gone = mesh.http.delete(f"/api/file/storage/{name}", headers=alice.auth)
    assert gone.status_code == 200 and gone.json()["success"]
    again = mesh.http.delete(f"/api/file/storage/{name}", headers=alice.auth)
    assert again.status_code == 404 and again.json() == {"detail": "file not found"}
    assert fetch(mesh, one.json()["url"]).status_code == 404


def test_a_traversal_name_is_just_not_found(mesh: MeshClient, alice: Tenant) -> None:
    for path in ("/api/file/storage/..%2F..%2Fetc%2Fpasswd", "/api/file/storage/%2Fetc%2Fpasswd"):
        reply = mesh.http.get(path, headers=alice.auth)
        assert reply.status_code == 404 and reply.json() == {"detail": "file not found"}
    assert mesh.http.get("/files/download/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_preprocess_streams_extracted_text(mesh: MeshClient, alice: Tenant) -> None:
    csv = b"city,population\nShenzhen,17000000\n"
    with mesh.http.stream(
        "POST",
        "/api/file/preprocess",
        headers=alice.auth,
        files=[("files", ("t.csv", csv, "text/csv")), ("files", ("p.png", PNG, "image/png"))],
        data={"query": "summarise"},
    ) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert reply.headers["cache-control"] == "no-cache" and reply.headers["x-accel-buffering"] == "no"
        frames = [orjson.loads(line[6:]) for line in reply.iter_lines() if line.startswith("data: ")]
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "progress" and kinds[-1] == "complete"
    assert "Shenzhen" in "".join(f["content"] for f in frames if f["type"] == "text")
    assert [f["reason"] for f in frames if f["type"] == "error"] == ["unsupported_format"]
    assert frames[-1]["processed"] == 1 and frames[-1]["failed"] == 1
    # The uploads existed only for this: nothing of them is left in storage.
    listing = mesh.http.get("/api/file/storage", headers=alice.auth, params={"prefix": "preprocess/"})
    assert listing.json()["total"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/healthz",
        "http://10.0.0.7/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/healthz",
        "http://localhost:{port}/healthz",
        "gopher://example.com/",
    ],
)
def test_the_image_proxy_refuses_inside_addresses(mesh: MeshClient, alice: Tenant, url: str) -> None:
    port = urlsplit(mesh.mesh.base_url).port
    reply = mesh.http.get("/api/proxy/image", headers=alice.auth, params={"url": url.format(port=port)})
    assert reply.status_code == 400, reply.text
    assert set(reply.json()) == {"detail"} and "url" in reply.json()["detail"]


def test_proxy_and_files_need_a_token(mesh: MeshClient) -> None:
    reply = mesh.http.get("/api/proxy/image", params={"url": "http://10.0.0.1/a.png"})
    assert reply.status_code == 401 and set(reply.json()) == {"detail"}
    assert mesh.http.get("/api/file/storage").status_code == 401


def test_a_body_over_the_limit_is_refused_before_it_is_read(mesh: MeshClient, alice: Tenant) -> None:
    host, port = urlsplit(mesh.mesh.base_url).hostname, urlsplit(mesh.mesh.base_url).port
    assert host and port
    head = (
        f"POST /api/file/storage HTTP/1.1\r\nHost: {host}\r\nAuthorization: {alice.auth['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 500000000\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head.encode())
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        answer = received.decode(errors="replace")
    status_line, _, rest = answer.partition("\r\n")
    assert " 413 " in status_line, answer
    assert '{"detail":' in rest
