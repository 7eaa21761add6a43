{
  "targets": [
    {
      "target_name": "fd_flags",
      "sources": ["native/fd-flags.c"]
    },
    {
      "target_name": "ccmux_nodump",
      "type": "loadable_module",
      "product_extension": "so",
      "sources": ["native/shell-nodump.c"]
    },
    {
      "target_name": "pane_launcher",
      "type": "executable",
      "sources": ["native/pane-launcher.c"]
    }
  ]
}
