"""Moving relationships on purpose (D8–D9): PDCA relationship plans and visits."""
