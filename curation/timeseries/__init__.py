"""Time series of a fixed camera or station: counts of labels per time bin.

A fixed camera's or observatory node's deployment is deposited as a set, so a set is
one series; the sets that share a station code (`ImageSet.station`, e.g. EMSO-OBSEA)
make the station's series, over those the caller may read. `platform` and
`instrument` name NVS vocabulary classes shared by every camera of a kind, so they
identify no station.

- `params`: the series asked for, read from query parameters (every problem named);
- `bins`: time bins in UTC (hour, day, ISO week, month), empty ones included;
- `stations`: a station's sets the caller may read, and the list of stations;
- `selectors`: the counts, aggregated in the database, through the access rules;
- `harvested`: the labels harvested images bring from their source, as validated;
- `documents`: the series as JSON and CSV (the documented columns);
- `plot`: an SVG line chart drawn on the server; `views`, `api`, `station_api`:
  pages and endpoints.
"""
