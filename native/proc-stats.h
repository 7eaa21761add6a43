// The /proc/<pid>/stat reader of ccmux's native helper (proc-stats.c).
#ifndef CCMUX_PROC_STATS_H
#define CCMUX_PROC_STATS_H
#include <node_api.h>
void ccmux_register_proc_stats(napi_env env, napi_value exports);
#endif
