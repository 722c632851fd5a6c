"""Releases on the dual topology: the explicit release state, its invariants and its transitions.

``state`` reads and checks the state an environment file records (pure; the model stage calls it),
``steps`` computes each ``gitops-gen release`` step as a set of edits (pure), ``edit`` applies edits
to the file text with ruamel.yaml's round trip so only the changed values differ.
"""

__all__: list[str] = []
