"""Threads for the races that need PostgreSQL's locks: each job on its own thread and database connection."""

import threading

from django.db import connection, connections


def race(jobs) -> tuple[list, list]:
    """Run each job in its own thread and connection, all released at once; return results and errors."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def run(job):
        try:
            barrier.wait()
            results.append(job())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def in_background(job) -> tuple[threading.Thread, list]:
    """Start the job in its own thread and connection; the list gets its result."""
    results = []

    def run():
        try:
            results.append(job())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, results


def sessions_waiting_for_a_lock(table: str) -> int:
    """PostgreSQL sessions on this database blocked on another's lock while reading `table`.

    pg_stat_activity cuts a long query's text off, so the FOR UPDATE at its end may not show: match its start."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE %s",
            [f'SELECT "{table}".%'],
        )
        return cursor.fetchone()[0]
