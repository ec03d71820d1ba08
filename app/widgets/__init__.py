"""Qt widgets and windows. The only package (with app.tools) allowed to import PySide6."""
