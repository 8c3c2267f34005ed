"""Shared helpers for the wheelnext-pip test suite: artefact builders and a local index."""
