"""Leads and opportunities (D5–D6): deals, stage model, qualification, needs discovery, competitors, analytics, import."""
