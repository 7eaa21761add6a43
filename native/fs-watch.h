// The inotify and poll calls of ccmux's native helper (fs-watch.c).
#ifndef CCMUX_FS_WATCH_H
#define CCMUX_FS_WATCH_H
#include <node_api.h>
void ccmux_register_fs_watch(napi_env env, napi_value exports);
#endif
