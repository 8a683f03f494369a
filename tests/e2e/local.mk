# tests/e2e/local.mk: owned by its area; add sources here once they compile.
