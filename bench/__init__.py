"""`make bench`: the site measured against real servers on 127.0.0.1 (see bench/README.md)."""
