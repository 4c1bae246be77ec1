"""Private links for anonymous contributors (assetmap.community.tokens): unguessable, and
only a hash is stored."""
from __future__ import annotations

from assetmap.community import tokens


def test_tokens_are_unguessable_and_stored_hashed():
    a, b = tokens.new_token(), tokens.new_token()
    assert a != b and len(a) >= 32
    assert tokens.token_hash(a) != a and len(tokens.token_hash(a)) == 64
