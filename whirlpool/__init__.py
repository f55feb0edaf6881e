"""Whirlpool: media monitoring of Russia–DPRK cooperation (collect, clean and tag, index, alert)."""

__version__ = "0.1.0"
