"""The extension's directives, one module each; ``table_nodes`` builds their tables.

``extension.setup`` registers every one of them by name.
"""
