"""Reusable widgets and renderables (heat strip, model status, note view)."""
