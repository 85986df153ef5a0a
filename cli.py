"""Flask CLI commands: `flask seed-demo`, `flask purge-idempotency-keys`, `flask create-admin`, `flask audit-verify`,
`flask backup`, `flask restore`."""
from __future__ import annotations

import click
from flask import Flask


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (make run).")
    def seed_demo_command(if_empty: bool) -> None:
        """Create the three demo stores with 30 days of data (safe to run twice)."""
        from flask import current_app

        from extensions import db
        from services.demo import seed_demo

        # Hundreds of demo bills: each renders on its first download, not all at once in the job runner.
        current_app.config["PDF_PRERENDER"] = False
        report = seed_demo(only_if_empty=if_empty)
        db.session.commit()
        for line in report:
            click.echo(line)

    @app.cli.command("purge-idempotency-keys")
    def purge_idempotency_keys_command() -> None:
        """Delete Idempotency-Keys older than their lifetime (run daily from cron)."""
        from extensions import db
        from services.billing.idempotency import purge_expired

        removed = purge_expired()
        db.session.commit()
        click.echo(f"Removed {removed} expired idempotency keys.")

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--username", prompt=True)
    @click.option("--store-name", prompt="Shop name")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_admin_command(email: str, username: str, store_name: str, password: str) -> None:
        """Create a verified owner and their store for a real install."""
        from extensions import db
        from services.accounts.stores import create_owner
        from services.errors import DomainError

        try:
            user, store = create_owner(
                username=username, email=email, password=password, store_name=store_name, verified=True
            )
        except DomainError as exc:
            db.session.rollback()
            for field, messages in (exc.errors or {"error": [exc.message]}).items():
                click.echo(f"{field}: {' '.join(messages)}", err=True)
            raise SystemExit(1) from exc
        db.session.commit()
        click.echo(f"Created owner {user.username} <{user.email}> (id {user.id}) "
                   f"of store {store.name!r} (id {store.id}).")

    @app.cli.command("audit-verify")
    @click.option("--store", "store_id", type=int, default=None,
                  help="Only this store's trail (0: the account-level rows). Default: every trail.")
    def audit_verify_command(store_id: int | None) -> None:
        """Check the audit trail's hash chains: prints OK or each row changed or deleted; exit code 1 on a problem."""
        from services.audit_chain import store_of, verify_all

        reports = verify_all(None if store_id is None else [store_of(store_id)])
        broken = 0
        for report in reports:
            name = "account rows" if report.chain == 0 else f"store {report.chain}"
            if report.ok:
                click.echo(f"{name}: OK ({report.rows} rows)")
                continue
            broken += 1
            click.echo(f"{name}: {len(report.problems) + report.more_problems} problem(s) in {report.rows} rows")
            for problem in report.problems:
                click.echo(f"  {problem.kind}: {problem.message}")
            if report.more_problems:
                click.echo(f"  ... and {report.more_problems} more")
        if not reports:
            click.echo("OK (no audit rows)")
        if broken:
            raise SystemExit(1)

    @app.cli.command("backup")
    @click.option("--keep", type=click.IntRange(min=1), default=None,
                  help="Keep this many newest backups, removing older ones (default BACKUP_KEEP, 14).")
    @click.option("--list", "list_only", is_flag=True, help="List the backups kept, oldest first; make none.")
    def backup_command(keep: int | None, list_only: bool) -> None:
        """Back up the database and the uploads into BACKUP_DIR (safe while the app runs)."""
        from services.backups import BackupError, from_config, make_backup

        try:
            if list_only:
                destination = from_config(app)
                names = destination.names()
                for name in names:
                    click.echo(name)
                click.echo(f"{len(names)} backup(s) in {destination!r}.")
                return
            result = make_backup(keep=keep)
        except BackupError as exc:
            click.echo(f"Backup failed: {exc}", err=True)
            raise SystemExit(1) from exc
        files = result.manifest["files"]
        size = sum(facts["bytes"] for facts in files.values())
        click.echo(f"Backup {result.name} written to {result.location}: {result.manifest['database']} database and "
                   f"{result.manifest['uploads']} upload(s), {size:,} bytes, in {result.manifest['seconds']} s.")
        for name in result.removed:
            click.echo(f"Removed the old backup {name}.")

    @app.cli.command("restore")
    @click.argument("backup")
    @click.option("--force", is_flag=True,
                  help="The target database holds data: DELETE all of it and put the backup in its place.")
    @click.option("--no-uploads", is_flag=True, help="Restore the database only, not the uploads.")
    def restore_command(backup: str, force: bool, no_uploads: bool) -> None:
        """Restore BACKUP (a backup folder, or a backup's name in BACKUP_DIR) into the empty database DATABASE_URL
        names, and its uploads into the uploads storage (UPLOAD_FOLDER or the object store). Stop the app first."""
        from services.backups import BackupError, restore_backup

        try:
            result = restore_backup(backup, force=force, uploads=not no_uploads)
        except BackupError as exc:
            click.echo(f"Restore refused: {exc}", err=True)
            raise SystemExit(1) from exc
        if result.wiped:
            click.echo(f"Deleted the data that was in the target (--force): {', '.join(result.wiped)}.")
        click.echo(f"Restored the {result.manifest['database']} backup of {result.manifest['created_at']} from "
                   f"{result.folder}, and {result.uploads} upload(s).")
        for note in result.notes:
            click.echo(note)
