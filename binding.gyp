{
  "variables": {
    "have_zsh_headers": "<!(node -p \"require('fs').existsSync('/usr/include/zsh/zsh.mdh') ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "fd_flags",
      "sources": [
        "native/fd-flags.c",
        "native/fs-watch.c",
        "native/keyring.c",
        "native/napi-strings.c",
        "native/proc-stats.c",
        "native/pty-spawn.c"
      ]
    },
    {
      "target_name": "ccmux_shell_builtins",
      "type": "loadable_module",
      "sources": [
        "native/shell-builtins.c"
      ]
    },
    {
      "target_name": "pane_launcher",
      "type": "executable",
      "sources": [
        "native/pane-launcher.c"
      ]
    }
  ],
  "conditions": [
    [
      "have_zsh_headers==1",
      {
        "targets": [
          {
            "target_name": "ccmux_zsh_module",
            "type": "loadable_module",
            "product_name": "ccmux_shell",
            "include_dirs": [
              "native/zsh-include"
            ],
            "sources": [
              "native/zsh-module.c"
            ]
          },
          {
            "target_name": "ccmux_zsh_module_path",
            "type": "none",
            "dependencies": [
              "ccmux_zsh_module"
            ],
            "actions": [
              {
                "action_name": "zmodload_name",
                "inputs": [
                  "<(PRODUCT_DIR)/ccmux_shell.node"
                ],
                "outputs": [
                  "<(PRODUCT_DIR)/zsh/ccmux_shell.so"
                ],
                "action": [
                  "node",
                  "-e",
                  "const fs=require('fs');fs.mkdirSync(process.argv[2],{recursive:true});fs.copyFileSync(process.argv[1],process.argv[2]+'/ccmux_shell.so')",
                  "<(PRODUCT_DIR)/ccmux_shell.node",
                  "<(PRODUCT_DIR)/zsh"
                ]
              }
            ]
          }
        ]
      }
    ]
  ]
}
