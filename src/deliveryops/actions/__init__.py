"""Improvement actions whose effect is measured with process behaviour charts."""
