package wal

const killChildEnv = "WAL_KILL_CHILD_DIR"

func killChildMain() {}
