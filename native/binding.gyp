{
  "targets": [
    {
      "target_name": "mcastpcap",
      "sources": ["src/mcastpcap.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "libraries": ["-lpcap"]
    }
  ]
}
