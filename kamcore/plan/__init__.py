"""The account plan (D3): goals, balanced scorecard, share growth, strategy and barriers, baselines, coverage."""
