"""Shared test support: real anvil nodes, PostgreSQL databases, compiled contracts."""
