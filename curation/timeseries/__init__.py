"""Time series of a fixed camera or station: counts of labels per time bin.

The station is one image set. Its `platform` and `instrument` name NVS vocabulary
classes (an L06 platform category, an L22 device model), shared by every camera of
that kind, and the catalogue has no site field; a fixed camera's or observatory
node's deployment is deposited as a set, so the set is what identifies one series.

- `params`: the series asked for, read from query parameters (every problem named);
- `bins`: time bins in UTC (hour, day, ISO week, month), empty ones included;
- `selectors`: the counts, aggregated in the database, through the access rules;
- `documents`: the series as JSON and CSV (the documented columns);
- `plot`: an SVG line chart drawn on the server; `views`, `api`: page and endpoints.
"""
