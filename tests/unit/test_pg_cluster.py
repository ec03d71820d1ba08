"""The test suite's throwaway PostgreSQL cluster works: a fresh database per test, reachable through psycopg 3."""

import psycopg


def test_fresh_database_per_test(pg_url: str, pg_cluster) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, name text)")
        conn.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
        version = conn.execute("SHOW server_version_num").fetchone()[0]
    assert int(version) >= 130000
    other = pg_cluster.create_database()
    with psycopg.connect(other) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'").fetchone() == (0,)
