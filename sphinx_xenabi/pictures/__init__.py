"""Pictures drawn as SVG from the ABI's data at build time: no Sphinx, no system tool.

``svg.py`` writes the markup; ``register_layout.py`` and ``page_map.py``
draw the registers tables and the hypercall page, ``abi_timeline.py`` the
ABI's history on one time axis (releases, their changes, drift windows).
The directives that put them in pages are in ``directives/``.
"""
