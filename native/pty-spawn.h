// A pty and a program started on it with posix_spawn instead of fork (pty-spawn.c).
#ifndef CCMUX_PTY_SPAWN_H
#define CCMUX_PTY_SPAWN_H
#include <node_api.h>
void ccmux_register_pty_spawn(napi_env env, napi_value exports);
#endif
