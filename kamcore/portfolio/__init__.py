"""The portfolio screens (D1–D2): overview, tiering, fake key accounts, Pareto, potential grid, financials."""
