"""Learning from deals (D10): retrospectives, the playbook and deal-health rules."""
