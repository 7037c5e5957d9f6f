"""Mail to each person in their own language (issue 31 item 2): an outbox filled by `triggers`, drained by
`sender` (a background thread per server process, or `python -m kamcore send-mail`), never inside a page run."""
