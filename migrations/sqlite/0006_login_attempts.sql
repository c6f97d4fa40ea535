-- Log-in attempts per key and minute, counted by every node of a cluster
-- (issue 17), so that more nodes allow no more guesses. The key is
-- `address:<ip>` or `name:<lower-cased name>@<ip>`. Windows older than a
-- few minutes are purged hourly.
CREATE TABLE login_attempts (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,  -- the minute's start, in ms
    attempts     INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) STRICT, WITHOUT ROWID;
