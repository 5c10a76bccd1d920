"""The pure model layer: ABI facts, hypercall pages, dispatcher, registry.

Nothing in this package imports Sphinx or docutils, so tools can load the
published registry JSON and run the reference model on their own.
"""
