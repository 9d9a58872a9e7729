"""Tests of tabs/: one module per tab, as the user drives it."""
