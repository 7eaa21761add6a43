/** Agent session names: what `--session` accepts (also a safe audit and `ccmux ls` field). */
export const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
