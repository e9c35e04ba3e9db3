"""Fixtures of the security tests: the tiny trained assistant of tests/channels."""

from tests.channels.test_intranet import agent, tiny_model  # noqa: F401 - fixtures
