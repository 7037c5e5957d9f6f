"""The customer's decision chain (D4): stakeholders, coverage flags and the relationship map."""
