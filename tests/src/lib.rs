//! Black-box tests for Stoa live in `tests/tests/`: one test binary that spawns the real `stoa`
//! server against SQLite and PostgreSQL and talks to it over HTTP.
