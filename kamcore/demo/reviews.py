"""Placeholder."""


def seed(ctx) -> None:
    """Nothing yet."""
