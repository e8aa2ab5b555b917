"""Unit tests: drmaa against a fake libdrmaa, never a real one."""
