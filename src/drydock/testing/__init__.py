"""Test support shipped with the package: the live-server fixture and the ports' contract suites."""
