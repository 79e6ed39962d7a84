"""Benchmarks of the whole stack (see bench/README.md); not part of the test suite."""
