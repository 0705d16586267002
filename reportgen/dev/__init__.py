"""dev stage."""
