"""Benchmarks, one package per capability: ``python -m bench.<area>``; ``python -m bench`` runs all."""
