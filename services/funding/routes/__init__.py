"""Funding HTTP routes, one module per resource; ``services.funding.router`` joins them."""
