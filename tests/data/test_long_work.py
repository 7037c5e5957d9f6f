"""Long work reports progress (backup, full export, deal export) and a repeated click cannot run it twice."""

from __future__ import annotations

import sqlite3

import pytest

from kamcore import accounts, store, users
from kamcore.data import backups, portability
from kamcore.pipeline import deal_import
from tests.conftest import account_id, signed_in_app

HUAXIN = "Huaxin Semiconductor"


def _recorder():
    calls: list[tuple[int, int]] = []
    return calls, lambda done, total: calls.append((done, total))


def _moves_forward_to_the_end(calls: list[tuple[int, int]], steps: int = 2) -> None:
    assert len(calls) >= steps, calls
    shares = [done / total for done, total in calls]
    assert shares == sorted(shares), calls  # never goes back
    assert all(0 <= s <= 1 for s in shares)
    assert shares[-1] == 1, calls  # reaches the end


@pytest.fixture
def live(tmp_path):
    db = store.connect(tmp_path / "live.db")
    admin = users.create_user(db, users.SYSTEM, "admin", "Admin", "admin-pass-1", "admin")
    account = accounts.create_account(db, admin, {"name": "Acme", "industry": "Steel", "region": "East",
                                                  "notes": "x" * 3000})
    for number in range(300):  # a few hundred pages, so the copy goes in several steps
        accounts.create_account(db, admin, {"name": f"Account {number}", "industry": "Steel", "region": "East",
                                            "notes": "n" * 3000})
    yield db, admin, account, tmp_path / "backups"
    db.close()


def test_a_backup_reports_its_progress_to_the_end(live):
    db, admin, _, folder = live
    calls, progress = _recorder()
    path = store.backup(db, folder / "stepped.db", progress, step_pages=32)
    _moves_forward_to_the_end(calls, steps=5)
    copy = sqlite3.connect(path)
    assert copy.execute("SELECT count(*) FROM accounts").fetchone()[0] == 301
    copy.close()
    calls, progress = _recorder()
    backups.create_backup(db, admin, folder, progress=progress)
    _moves_forward_to_the_end(calls)


def test_a_stepped_backup_finishes_while_others_write(live, tmp_path):
    """Without one read snapshot, every write by another connection restarts a stepped backup."""
    db, admin, _, folder = live
    other = store.connect(tmp_path / "live.db")
    calls: list[tuple[int, int]] = []

    def write_between_steps(done: int, total: int) -> None:
        calls.append((done, total))
        assert len(calls) < 500, "the backup keeps restarting"
        accounts.create_account(other, admin, {"name": f"Written meanwhile {len(calls)}", "industry": "Steel",
                                               "region": "East"})

    path = store.backup(db, folder / "busy.db", write_between_steps, step_pages=16)
    other.close()
    _moves_forward_to_the_end(calls)
    copy = sqlite3.connect(path)
    assert copy.execute("SELECT count(*) FROM accounts").fetchone()[0] == 301  # the snapshot at the start
    copy.close()


def test_an_interrupted_backup_leaves_no_file_behind(live):
    db, admin, _, folder = live

    def stop(done: int, total: int) -> None:
        if done < total:
            raise KeyboardInterrupt  # what a stopped script run looks like from inside

    with pytest.raises(KeyboardInterrupt):
        store.backup(db, folder / "half.db", stop, step_pages=16)
    assert list(folder.iterdir()) == []
    assert not db.conn.in_transaction  # the read snapshot is released
    assert backups.list_backups(folder) == []


def test_a_full_export_reports_its_progress_and_the_files_read_back(demo_db):
    admin = users.find_by_username(demo_db, "admin")
    calls, progress = _recorder()
    files = portability.prepare_export(demo_db, admin, None, progress)
    _moves_forward_to_the_end(calls, steps=10)
    assert calls[-1] == (portability.PROGRESS_TOTAL, portability.PROGRESS_TOTAL)
    data = portability.from_json(files.json)
    assert len(data["tables"]["accounts"]["rows"]) == demo_db.execute("SELECT count(*) FROM accounts").fetchone()[0]
    assert files.xlsx[:2] == b"PK" and files.stem.startswith("warroom-all-")


def test_the_deal_export_reports_three_steps(demo_db, demo_path):
    admin = users.find_by_username(demo_db, "admin")
    huaxin = account_id(demo_path, HUAXIN)
    calls, progress = _recorder()
    done = deal_import.export_deals(demo_db, admin, huaxin, progress)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    deals = demo_db.execute("SELECT count(*) FROM opportunities WHERE account_id = ?", [huaxin]).fetchone()[0]
    assert done.count == deals > 0
    assert done.csv.decode("utf-8-sig").count("\n") == deals + 1


def _long_button(at, key):
    return next(b for b in at.button if (b.key or "").startswith(f"{key}."))


def test_a_repeated_backup_click_backs_up_once_and_reports_one_success(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/data.py", account_id(demo_path, HUAXIN))
    folder = demo_path.parent / "backups"
    first = _long_button(at, "data.backup.now")
    first.click().run()
    assert not at.exception and not at.error
    assert len(list(folder.glob("warroom-*.db"))) == 1
    assert [s.value for s in at.success if "Backup written" in s.value]
    # the same drawing of the button clicked again (a double click): its ticket is spent, nothing runs
    at.session_state["data.backup.now._asked"] = first.key.rsplit(".", 1)[1]
    at.run()
    assert not at.exception and not at.error
    assert len(list(folder.glob("warroom-*.db"))) == 1
    assert not [s for s in at.success if "Backup written" in s.value]  # the success was said once
    # a new click on the button drawn now is a new backup
    second = _long_button(at, "data.backup.now")
    assert second.key != first.key and not second.disabled
    second.click().run()
    assert len(list(folder.glob("warroom-*.db"))) == 2


def test_the_export_is_prepared_once_and_offered_for_download(demo_path):
    at = signed_in_app(demo_path, "admin", "pages/data.py", account_id(demo_path, HUAXIN))
    assert len(at.get("download_button")) == 0
    _long_button(at, "data.export.prepare").click().run()
    assert not at.exception and not at.error
    assert any("export is ready" in s.value for s in at.success)
    assert len(at.get("download_button")) == 2


def test_the_deal_export_is_prepared_on_request(demo_path):
    at = signed_in_app(demo_path, "li.wei", "pages/opportunity_import.py", account_id(demo_path, HUAXIN))
    assert not [d for d in at.get("download_button")]  # nothing is built until asked
    _long_button(at, "ix.export").click().run()
    assert not at.exception and not at.error
    assert len(at.get("download_button")) == 2


def test_the_first_run_leads_an_administrator_to_the_import_and_a_member_to_the_administrator(empty_path):
    """Item 8 of issue 16: an empty war room leads to accounts -> contacts -> products -> deals."""
    from kamcore.i18n import t

    at = signed_in_app(empty_path, "admin", "pages/home.py")
    assert not at.exception
    assert t("ix.first_run", "en") in [i.value for i in at.info]
    assert "1. **Accounts**" in " ".join(m.value for m in at.markdown)
    db = store.connect(empty_path)
    users.create_user(db, users.SYSTEM, "member.one", "Member One", "password-123", "member")
    db.close()
    at = signed_in_app(empty_path, "member.one", "pages/home.py")
    assert [i.value for i in at.info] == [t("home.empty", "en")]
