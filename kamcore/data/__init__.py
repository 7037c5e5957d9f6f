"""Taking data in and out: export/import, backups and replay from the audit log."""
