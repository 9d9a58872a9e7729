"""Tests of models/tasks/: one module per task."""
