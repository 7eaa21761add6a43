// The kernel keyring calls of ccmux's native helper (keyring.c).
#ifndef CCMUX_KEYRING_H
#define CCMUX_KEYRING_H
#include <node_api.h>
void ccmux_register_keyring(napi_env env, napi_value exports);
#endif
