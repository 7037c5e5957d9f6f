"""Customer segments, their value propositions and key-buying-factor weights (D5, D13)."""
