"""Proposal / tender war rooms (D13): bid decision, compliance matrix, win themes, pricing, reviews,
submission and outcome on a working-day timeline."""
