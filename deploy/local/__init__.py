"""The local launcher behind `make run`: the whole mesh on one machine, embedded backends."""
