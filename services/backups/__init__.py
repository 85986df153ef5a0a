"""Backups a shop can restore: `flask backup`, the job runner's scheduled backup, `flask restore`
(docs/operations.md, "Backups")."""
from services.backups.destinations import BackupError, Destination, LocalFolder, from_config
from services.backups.restore import RestoreResult, restore_backup
from services.backups.writer import BackupResult, backup_if_due, make_backup, prune

__all__ = ["BackupError", "BackupResult", "Destination", "LocalFolder", "RestoreResult", "backup_if_due",
           "from_config", "make_backup", "prune", "restore_backup"]
