-- Unit boundaries. Kept column-for-column equal with migrations/sqlite/0003_boundaries.sql.

-- One boundary per unit, replaced on re-import. `geometry` is a GeoJSON geometry object
-- (Polygon or MultiPolygon, lon/lat WGS84, rings as RFC 7946 orders them); the bounding box
-- (west, south, east, north) lets a map pick the units in view without parsing geometry.
-- `source` says where it came from (`demo`, `prg`, a file), `import_id` which import wrote it.
CREATE TABLE unit_boundary (
    unit_id   BIGINT PRIMARY KEY REFERENCES unit(id),
    source    TEXT NOT NULL,
    geometry  TEXT NOT NULL,
    min_x     DOUBLE PRECISION NOT NULL,
    min_y     DOUBLE PRECISION NOT NULL,
    max_x     DOUBLE PRECISION NOT NULL,
    max_y     DOUBLE PRECISION NOT NULL,
    import_id BIGINT NOT NULL REFERENCES import_log(id)
);
CREATE INDEX unit_boundary_by_source ON unit_boundary(source);
