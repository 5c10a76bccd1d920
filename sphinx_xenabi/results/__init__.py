"""The build's one result, and everything that reads it.

- ``build_result``: produced once per build at ``env-updated`` (registry,
  drift findings, executed rows, what is reported, whether the build fails),
  and where each application's result is kept for the later phases;
- ``reference_choice`` and ``release``: what the docs are checked against;
- ``guides``: which guide each document belongs to;
- ``evidence_column``, ``relinking``: the pages' evidence and links;
- ``publishing``: ``xenabi-registry.json``, never beside html that contradicts it;
- ``doctest_namespace``: what the pages' doctests see.
"""
