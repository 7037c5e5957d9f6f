"""Bring your own data: read CRM exports (any common encoding), map columns and values, preview,
then write accounts, contacts, product lines and deals through the same checks as the UI.

- `files`: bytes -> table of text cells (encoding detected, overridable), and export safety
  (formulas neutralised, control characters removed).
- `matching`: near-match suggestions for values ("GTXPro" ~ "GTX Pro").
- `runs`: one commit per preview token, so a second click returns the first result.
- `accounts`, `contacts`, `products`: the importers; deals live in `kamcore.pipeline.deal_import`.
"""
