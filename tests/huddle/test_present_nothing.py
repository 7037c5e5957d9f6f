"""The shared screen with nothing to present says why and what to do, and gives a way back (issue 27: it was a
dead end)."""

from __future__ import annotations

import pytest

from kamcore import accounts, store, users
from tests.conftest import signed_in_app


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("account", [False, True], ids=["no account", "an account with no huddle"])
def test_nothing_to_present_says_what_to_do_and_links_back(empty_path, lang, account):
    quiet = None
    if account:
        db = store.connect(empty_path)
        quiet = accounts.create_account(db, users.find_by_username(db, "admin"),
                                        {"name": "Quiet Account", "industry": "Retail", "region": "East"})["id"]
        db.close()
    at = signed_in_app(empty_path, "admin", "pages/present.py", quiet, lang=lang)
    assert not at.exception, at.exception
    assert at.info, "it says why the screen is empty"
    links = [link.proto.page for link in at.get("page_link")]
    assert any("huddle" in p for p in links) and any("home" in p for p in links), links
