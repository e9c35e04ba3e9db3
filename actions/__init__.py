"""The action server: one module per concern; actions orchestrate, the knowledge package reads data."""
