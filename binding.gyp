{
  "targets": [
    {
      "target_name": "fd_flags",
      "sources": ["native/fd-flags.c"]
    },
    {
      "target_name": "ccmux_shell_builtins",
      "type": "loadable_module",
      "sources": ["native/shell-builtins.c"]
    },
    {
      "target_name": "pane_launcher",
      "type": "executable",
      "sources": ["native/pane-launcher.c"]
    }
  ]
}
