"""The plan advisor as Rasa sees it: components, channels, stores, settings and the CLI."""
