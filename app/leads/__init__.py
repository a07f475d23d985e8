"""Buyer leads: buy and sell offers, verified by a CDE before any producer sees them."""
