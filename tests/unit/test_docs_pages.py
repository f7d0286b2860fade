"""docs/: one page per dialect lists every route the gateway serves, and the README links every page."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.main import create_app

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGES = {
    "/next_console": "nextconsole.md",
    "/console/api": "dify.md",
    "/api/": "nexent.md",
    "/ai-api/v1": "lbai.md",
    "/admin/v1": "admin.md",
}


def _operations() -> list[tuple[str, str]]:
    spec = create_app().openapi()
    return [(method.upper(), path) for path, ops in spec["paths"].items() for method in ops]


@pytest.mark.parametrize(("prefix", "page"), PAGES.items())
def test_each_dialect_page_lists_every_route_of_its_prefix(prefix: str, page: str) -> None:
    text = (REPO_ROOT / "docs" / page).read_text()
    missing = [f"{m} {p}" for m, p in _operations() if p.startswith(prefix) and f"| {m} | `{p}` |" not in text]
    assert not missing, f"add a row for each to the Routes table of docs/{page}: {missing}"


def test_the_readme_links_every_page_and_the_live_docs() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for page in [*PAGES.values(), "data-model.md", "security.md"]:
        assert f"(docs/{page})" in readme, page
    assert "/docs" in readme and "docs/quickstart/walkthrough.sh" in readme
