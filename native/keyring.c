// The kernel key retention service (keyrings(7)) for ccmux's journal master key (issue 15): Node has no keyctl.
// The key lives in the user keyring (@u) of the daemon's uid, as a "user" key readable only by its possessors, and
// never touches the disk; it goes away with the keyring (the uid's last process, or a reboot), taking every pane
// journal it wraps with it. Sandboxed panes cannot reach it: their seccomp filter refuses keyctl and add_key.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "keyring.h"

// A key's permissions: its possessor may do everything, its uid only see that it exists (keyctl show).
#define CCMUX_KEY_PERM 0x3f010000

static void throw_errno(napi_env env, const char *what, int saved) {
  char message[200];
  snprintf(message, sizeof(message), "%s failed: %s (errno %d)", what, strerror(saved), saved);
  napi_throw_error(env, "EKEYRING", message);
}

// Reads argument `index` as a string into `buffer`; false (and a TypeError thrown) when it is not one.
static bool string_arg(napi_env env, napi_value value, char *buffer, size_t size) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, buffer, size, &length) != napi_ok || length == 0 ||
      length >= size - 1) {
    napi_throw_type_error(env, NULL, "a key description: a non-empty string under 200 bytes");
    return false;
  }
  return true;
}

// keyringRead(description): the payload of the user key `description` in the user keyring, or null when there is
// none (ENOKEY) or the keyring cannot be used here (ENOSYS, EPERM: a seccomp filter, a kernel without keys).
// Throws EKEYRING on any other failure.
static napi_value keyring_read(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char description[200];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    napi_throw_type_error(env, NULL, "keyringRead(description)");
    return NULL;
  }
  if (!string_arg(env, argv[0], description, sizeof(description))) return NULL;
  napi_value none;
  napi_get_null(env, &none);
  long id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", description, 0);
  if (id < 0) {
    if (errno == ENOKEY || errno == ENOSYS || errno == EPERM || errno == EACCES || errno == EKEYREVOKED ||
        errno == EKEYEXPIRED)
      return none;
    throw_errno(env, "keyctl(KEYCTL_SEARCH)", errno);
    return NULL;
  }
  unsigned char payload[4096];
  long length = syscall(SYS_keyctl, KEYCTL_READ, id, payload, sizeof(payload));
  if (length < 0) {
    throw_errno(env, "keyctl(KEYCTL_READ)", errno);
    return NULL;
  }
  if ((size_t)length > sizeof(payload)) {
    napi_throw_error(env, "EKEYRING", "the key's payload is larger than a master key");
    return NULL;
  }
  napi_value result;
  void *data = NULL;
  napi_create_buffer_copy(env, (size_t)length, payload, &data, &result);
  memset(payload, 0, sizeof(payload));
  return result;
}

// keyringAdd(description, payload: Buffer): adds (or replaces) the user key `description` in the user keyring,
// readable only by its possessors. Returns its serial number. Throws EKEYRING.
static napi_value keyring_add(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char description[200];
  void *payload = NULL;
  size_t length = 0;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, argv[1], &payload, &length) != napi_ok || length == 0) {
    napi_throw_type_error(env, NULL, "keyringAdd(description, payload: non-empty Buffer)");
    return NULL;
  }
  if (!string_arg(env, argv[0], description, sizeof(description))) return NULL;
  long id = syscall(SYS_add_key, "user", description, payload, length, KEY_SPEC_USER_KEYRING);
  if (id < 0) {
    throw_errno(env, "add_key", errno);
    return NULL;
  }
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, CCMUX_KEY_PERM) < 0) {
    int saved = errno;
    syscall(SYS_keyctl, KEYCTL_INVALIDATE, id);
    throw_errno(env, "keyctl(KEYCTL_SETPERM)", saved);
    return NULL;
  }
  napi_value result;
  napi_create_int64(env, (int64_t)id, &result);
  return result;
}

// keyringRemove(description): unlinks the user key `description` from the user keyring and invalidates it; false
// when there was none.
static napi_value keyring_remove(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char description[200];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    napi_throw_type_error(env, NULL, "keyringRemove(description)");
    return NULL;
  }
  if (!string_arg(env, argv[0], description, sizeof(description))) return NULL;
  long id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", description, 0);
  napi_value result;
  if (id < 0) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  if (syscall(SYS_keyctl, KEYCTL_INVALIDATE, id) < 0 &&
      syscall(SYS_keyctl, KEYCTL_UNLINK, id, KEY_SPEC_USER_KEYRING) < 0) {
    throw_errno(env, "keyctl(KEYCTL_INVALIDATE)", errno);
    return NULL;
  }
  napi_get_boolean(env, true, &result);
  return result;
}

// keyringNewSession(): this process joins a new, anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING with no
// name), which its children inherit instead of the one it was started with. Security: a session keyring set up
// by a login (pam_keyinit) links the user keyring, and every process started under it possesses that keyring's
// keys, across setuid too: a root daemon's unsandboxed pane, running as nobody, read root's journal master key
// (an attack review). Returns false when the kernel or a seccomp filter refuses keyrings (nothing to inherit).
static napi_value keyring_new_session(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
  napi_get_boolean(env, id >= 0, &result);
  return result;
}

void ccmux_register_keyring(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "keyringRead", NAPI_AUTO_LENGTH, keyring_read, NULL, &fn);
  napi_set_named_property(env, exports, "keyringRead", fn);
  napi_create_function(env, "keyringAdd", NAPI_AUTO_LENGTH, keyring_add, NULL, &fn);
  napi_set_named_property(env, exports, "keyringAdd", fn);
  napi_create_function(env, "keyringRemove", NAPI_AUTO_LENGTH, keyring_remove, NULL, &fn);
  napi_set_named_property(env, exports, "keyringRemove", fn);
  napi_create_function(env, "keyringNewSession", NAPI_AUTO_LENGTH, keyring_new_session, NULL, &fn);
  napi_set_named_property(env, exports, "keyringNewSession", fn);
}
