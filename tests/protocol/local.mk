# tests/protocol/local.mk: owned by its area; add sources here once they compile.
