"""Subcommands of ``gitops-gen``: each module parses its flags and delegates."""
