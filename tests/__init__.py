"""The test suite: tests mirror the layout; shared helpers live in tests/support."""
