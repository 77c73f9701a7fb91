"""Launchers start one job instance each: local processes now, a Ray cluster later (same port)."""
