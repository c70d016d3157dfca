"""Emulation engines behind one contract (see base.py)."""
