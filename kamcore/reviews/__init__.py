"""Customer reviews (QBR): a quarterly business review with the customer."""
