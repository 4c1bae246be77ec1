"""Invented postcodes for the demo's addresses: district ``AS<n>`` (one per ward), then a
sector digit and two unit letters (no real postcode starts with AS).
"""
from __future__ import annotations


def postcode(rng, district: int) -> str:
    """A random postcode in district ``AS<district>``."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return (f"AS{district} {int(rng.integers(1, 10))}"
            f"{letters[int(rng.integers(len(letters)))]}{letters[int(rng.integers(len(letters)))]}")
