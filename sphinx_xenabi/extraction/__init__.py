"""Extraction: docutils table nodes to the registry's typed, located records.

It knows docutils nodes and the model's records, and nothing of the build,
the domain or the command line. One module per step:

- ``kinds``: which kind of table a header announces, the releases a title states;
- ``cells``: a table's rows and cells, each cell's text and line;
- ``rows``: a body row checked and read as a registry row, its faults as problems;
- ``table``: a recognised table as a record, and the row stamps the page reads;
- ``document``: every table of one document;
- ``located_entries``: the table directives (and the grid, simple and pipe
  table row builders) whose cells carry the line they were written on;
- ``markdown``: whether a directive stands in a MyST page;
- ``requirements``: requirement items (sections opened by a backticked id);
- ``id_nodes``: the nodes such an id is parsed to, looked at before the rest loads.
"""
