{
  "targets": [
    {
      "target_name": "fd_flags",
      "sources": ["native/fd-flags.c"]
    }
  ]
}
