"""Command line: `python -m kamcore <command>` for operators.

  migrate                         apply pending migrations
  create-user USER NAME [--role admin|executive|member]   (password read from prompt or $KAM_PASSWORD)
  reset-password USER             (password read from prompt or $KAM_PASSWORD)
  backup [DEST]                   online backup (default: db/backups/warroom-<time>.db)
  load-demo [--force]             fill the database with the demo war room
  generate --size S|M|L           the demo grown to benchmark size (empty database; see kamcore/demo/scale.py)
  list-backups [--dir DIR]        backups next to the database (default: db/backups), newest first
  restore-backup FILE [--yes]     replace the database with a backup (shows what would be lost; --yes to go ahead)
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path

from kamcore import clock, demo, passwords, store, users
from kamcore.data import backups
from kamcore.errors import KamError


def _password() -> str:
    return os.environ.get("KAM_PASSWORD") or getpass.getpass("Password: ")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run one command, and return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m kamcore", description="KAM War Room operations")
    parser.add_argument("--db", help=f"database file (default: ${store.ENV_VAR} or {store.DEFAULT_PATH})")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply pending migrations")
    create = sub.add_parser("create-user", help="add a user")
    create.add_argument("username")
    create.add_argument("display_name")
    create.add_argument("--role", default="member", choices=users.GLOBAL_ROLES)
    reset = sub.add_parser("reset-password", help="set a new password for a user")
    reset.add_argument("username")
    backup = sub.add_parser("backup", help="online backup of the live database")
    backup.add_argument("destination", nargs="?")
    load = sub.add_parser("load-demo", help="fill the database with the demo war room")
    load.add_argument("--force", action="store_true", help="even if the database already has users")
    grow = sub.add_parser("generate", help="build the demo grown to size S, M or L (empty database only)")
    grow.add_argument("--size", default="M", choices=("S", "M", "L"))
    listing = sub.add_parser("list-backups", help="list backups, newest first")
    listing.add_argument("--dir", help="backup folder (default: backups/ next to the database)")
    restore = sub.add_parser("restore-backup", help="replace the database with a backup")
    restore.add_argument("file")
    restore.add_argument("--yes", action="store_true", help="go ahead even if newer data would be lost")
    mail = sub.add_parser("send-mail", help="queue the mail that is due and send the outbox (SMTP: see README)")
    mail.add_argument("--loop", action="store_true", help="keep going, one round every 30 seconds")
    args = parser.parse_args(argv)

    path = Path(args.db) if args.db else store.database_path()
    db = store.connect(path)
    try:
        return _run(args, db, path)
    except KamError as exc:
        print(f"error: {exc.message('en')}", file=sys.stderr)
        return 2
    finally:
        db.close()


def _run(args: argparse.Namespace, db, path: Path) -> int:
    if args.command == "migrate":
        print("applied:", ", ".join(store.applied_migrations(db)))
    elif args.command == "create-user":
        user = users.create_user(db, users.SYSTEM, args.username, args.display_name, _password(), args.role)
        print(f"created user {user.username} ({user.global_role})")
    elif args.command == "reset-password":
        user = users.find_by_username(db, args.username)
        passwords.reset_password(db, users.SYSTEM, user.id, _password())
        print(f"password reset for {user.username}; every sign-in session of theirs has ended")
    elif args.command == "backup":
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        dest = Path(args.destination) if args.destination else path.parent / "backups" / f"warroom-{stamp}.db"
        print(f"backup written to {store.backup(db, dest)}")
    elif args.command == "load-demo":
        if not store.is_empty(db) and not args.force:
            print("error: the database already has users; use --force to add the demo anyway", file=sys.stderr)
            return 2
        demo.build(db, progress=lambda share, step: print(f"[{share:4.0%}] {step}", flush=True))
        print(f"demo loaded into {path}; sign in as li.wei / {demo.DEMO_PASSWORD}")
    elif args.command == "generate":
        return _generate(db, path, args.size)
    elif args.command in ("list-backups", "restore-backup"):
        return backups.command(db, args, path)
    elif args.command == "send-mail":
        return _send_mail(db, args.loop)
    return 0


def _send_mail(db, loop: bool) -> int:
    from kamcore.mail import sender

    if sender.config() is None:
        print("error: no SMTP server configured (KAM_SMTP_HOST or [smtp] in .streamlit/secrets.toml)", file=sys.stderr)
        return 2
    while True:
        done = sender.run_once(db)
        print(f"queued {done['queued']}, sent {done['sent']}, failed {done['failed']}", flush=True)
        if not loop:
            return 1 if done["failed"] else 0
        time.sleep(sender.INTERVAL_SECONDS)


def _generate(db, path: Path, size: str) -> int:
    from kamcore.demo import scale

    if not store.is_empty(db):
        print("error: generate needs an empty database (a new --db path)", file=sys.stderr)
        return 2

    def bar(share: float, step: str) -> None:
        filled = int(share * 30)
        end = "\n" if share >= 1 or not sys.stdout.isatty() else ""
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {step:<32}", end=end, flush=True)

    counts = scale.generate(db, size, progress=bar)
    print(f"size {size} written to {path}: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
