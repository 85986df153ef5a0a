"""Fixtures for the NamastePMS API tests: a shop (owner, store, Bearer headers) that speaks JSON to /api."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Shop:
    """A signed-in API client of one store."""

    user: Any
    store: Any
    headers: dict
    client: Any

    def call(self, method: str, path: str, body: Any = None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.client.open(path, method=method, headers=self.headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs):
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def make_shop(app, client, make_user, api_headers):
    """make_shop(role="owner", store=None): a user of a (new or given) store with their API headers."""
    from services.accounts.access import current_store_for

    def factory(username: str | None = None, role: str = "owner", store=None) -> Shop:
        user = make_user(username=username, role=role, store=store)
        return Shop(user=user, store=current_store_for(user), headers=api_headers(user), client=client)

    return factory


@pytest.fixture
def shop(make_shop) -> Shop:
    """The first shop of the database: its owner is user 1 and its first category is category 1."""
    return make_shop("john_doe")


@pytest.fixture
def other_shop(shop, make_shop) -> Shop:
    """A second, unrelated shop."""
    return make_shop("rival")
