/*
 * mcastpcap: the smallest libpcap binding mcastkit needs, written against node_api.h alone.
 *
 * What the npm package `cap` lacks and this provides: the kernel's timestamp (nanosecond precision when the
 * platform has it), the wire length of every frame, the kernel's drop counters, and BPF filters run over frames
 * that came from a file (pcap_offline_filter).
 *
 * Delivery: the capture fd (pcap_get_selectable_fd, non-blocking) is watched by a uv_poll handle on the Node
 * event loop; when it is readable the JS callback runs and calls dispatch(), which copies a batch of frames into
 * a data buffer and a Uint32Array of metadata that JS owns and reuses, so a steady capture allocates nothing per
 * frame. Metadata per frame, META_WORDS words: offset in data, caplen, wirelen, ts seconds, ts nanoseconds.
 *
 * Errors are JS Errors with a stable `code` (ERR_NO_SUCH_INTERFACE, ERR_PERMISSION, ERR_INTERFACE_DOWN,
 * ERR_BAD_FILTER, ERR_FRAME_TOO_LONG, ERR_CLOSED, ERR_PCAP, ERR_INJECT, ERR_ARG) and, when libpcap returned one,
 * `pcapStatus` (the PCAP_ERROR_* number); the TypeScript wrapper turns them into SystemErrors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>

#define META_WORDS 5
#define MAX_STR 1024

typedef struct capture {
  pcap_t *p;
  napi_env env;
  uv_poll_t *poll;          /* NULL until startPolling; handed to uv_close on close */
  napi_ref on_readable;     /* JS function called when the fd is readable */
  napi_async_context actx;
  int async_inited;
  int fd;
  int polling;
  int snaplen;
  int nano;                 /* timestamps arrive in nanoseconds */
  int pending_status;       /* an error met after frames were already copied: thrown by the next dispatch */
  char pending_msg[PCAP_ERRBUF_SIZE + 64];
  char iface[256];
} capture_t;

/* Per-environment data (main thread and each worker have their own). */
typedef struct instance {
  napi_ref filter_match;
} instance_t;

/* ---------- small helpers ---------- */

#define CHECK(call)                                                                                   \
  do {                                                                                                \
    if ((call) != napi_ok) return throw_last(env);                                                    \
  } while (0)

static napi_value throw_last(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, "ERR_ARG", info && info->error_message ? info->error_message : "node-api call failed");
  }
  return NULL;
}

static napi_value throw_code(napi_env env, const char *code, int pcap_status, const char *fmt, ...) {
  char msg[2 * MAX_STR];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  napi_value vcode, vmsg, err;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &vcode);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &vmsg);
  napi_create_error(env, vcode, vmsg, &err);
  if (pcap_status != 0) {
    napi_value st;
    napi_create_int32(env, pcap_status, &st);
    napi_set_named_property(env, err, "pcapStatus", st);
  }
  napi_throw(env, err);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return -1;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok) return -1;
  if (len >= size - 1) return -1; /* possibly truncated */
  return 0;
}

/* Reads an optional property: returns 1 when present (not undefined/null), 0 when absent, -1 on a type error. */
static int opt_prop(napi_env env, napi_value obj, const char *name, napi_valuetype want, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return -1;
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  if (t == napi_undefined || t == napi_null) return 0;
  return t == want ? 1 : -1;
}

static int opt_int(napi_env env, napi_value obj, const char *name, int32_t *out) {
  napi_value v;
  int r = opt_prop(env, obj, name, napi_number, &v);
  if (r == 1) napi_get_value_int32(env, v, out);
  return r;
}

static int opt_bool(napi_env env, napi_value obj, const char *name, bool *out) {
  napi_value v;
  int r = opt_prop(env, obj, name, napi_boolean, &v);
  if (r == 1) napi_get_value_bool(env, v, out);
  return r;
}

static int opt_string(napi_env env, napi_value obj, const char *name, char *out, size_t size) {
  napi_value v;
  int r = opt_prop(env, obj, name, napi_string, &v);
  if (r == 1 && get_string(env, v, out, size) != 0) return -1;
  return r;
}

static void set_str(napi_env env, napi_value obj, const char *name, const char *s) {
  napi_value v;
  if (s == NULL)
    napi_get_null(env, &v);
  else
    napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, name, v);
}

static void set_int(napi_env env, napi_value obj, const char *name, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  napi_set_named_property(env, obj, name, v);
}

static void set_bool(napi_env env, napi_value obj, const char *name, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  napi_set_named_property(env, obj, name, v);
}

static capture_t *unwrap_capture(napi_env env, napi_value h, int must_be_open) {
  capture_t *c = NULL;
  napi_valuetype t;
  if (napi_typeof(env, h, &t) != napi_ok || t != napi_object || napi_unwrap(env, h, (void **)&c) != napi_ok ||
      c == NULL) {
    throw_code(env, "ERR_ARG", 0, "expected a capture handle");
    return NULL;
  }
  if (must_be_open && c->p == NULL) {
    throw_code(env, "ERR_CLOSED", 0, "%s: capture is closed", c->iface);
    return NULL;
  }
  return c;
}

/* Maps a pcap_activate()/pcap_create() status to a stable code and a one-line message. */
static napi_value throw_open_error(napi_env env, const char *iface, int status, const char *detail) {
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return throw_code(env, "ERR_NO_SUCH_INTERFACE", status, "no such interface: %s", iface);
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return throw_code(env, "ERR_PERMISSION", status,
                        "capturing on %s needs root or the CAP_NET_RAW capability (%s)", iface, detail);
    case PCAP_ERROR_IFACE_NOT_UP:
      return throw_code(env, "ERR_INTERFACE_DOWN", status, "interface %s is down", iface);
    default:
      return throw_code(env, "ERR_PCAP", status, "%s: %s", iface, detail);
  }
}

/* ---------- close / finalize ---------- */

static void on_poll_closed(uv_handle_t *h) {
  pcap_t *p = (pcap_t *)h->data;
  if (p != NULL) pcap_close(p);
  free(h);
}

static void capture_close(capture_t *c) {
  if (c->p == NULL) return;
  pcap_t *p = c->p;
  c->p = NULL;
  c->polling = 0;
  if (c->poll != NULL) {
    /* The fd must outlive the poll handle: pcap_close runs in the close callback. */
    uv_poll_stop(c->poll);
    c->poll->data = p;
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
    c->poll = NULL;
  } else {
    pcap_close(p);
  }
  if (c->on_readable != NULL) {
    napi_delete_reference(c->env, c->on_readable);
    c->on_readable = NULL;
  }
  if (c->async_inited) {
    napi_async_destroy(c->env, c->actx);
    c->async_inited = 0;
  }
}

static void capture_finalize(napi_env env, void *data, void *hint) {
  capture_t *c = (capture_t *)data;
  capture_close(c);
  free(c);
}

/* ---------- listInterfaces() ---------- */

static void add_sockaddr(napi_env env, napi_value obj, const char *name, const struct sockaddr *sa) {
  char buf[INET_ADDRSTRLEN] = "";
  if (sa != NULL && sa->sa_family == AF_INET &&
      inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf) != NULL)
    set_str(env, obj, name, buf);
  else
    set_str(env, obj, name, NULL);
}

static napi_value list_interfaces(napi_env env, napi_callback_info info) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t *all = NULL;
  if (pcap_findalldevs(&all, errbuf) != 0) return throw_code(env, "ERR_PCAP", PCAP_ERROR, "%s", errbuf);
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (pcap_if_t *d = all; d != NULL; d = d->next) {
    napi_value o, addrs;
    napi_create_object(env, &o);
    set_str(env, o, "name", d->name);
    set_str(env, o, "description", d->description);
    set_bool(env, o, "up", (d->flags & PCAP_IF_UP) != 0);
    set_bool(env, o, "running", (d->flags & PCAP_IF_RUNNING) != 0);
    set_bool(env, o, "loopback", (d->flags & PCAP_IF_LOOPBACK) != 0);
    set_bool(env, o, "wireless", (d->flags & PCAP_IF_WIRELESS) != 0);
    const char *cs = "unknown";
    switch (d->flags & PCAP_IF_CONNECTION_STATUS) {
      case PCAP_IF_CONNECTION_STATUS_CONNECTED: cs = "connected"; break;
      case PCAP_IF_CONNECTION_STATUS_DISCONNECTED: cs = "disconnected"; break;
      case PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE: cs = "not-applicable"; break;
    }
    set_str(env, o, "connectionStatus", cs);
    napi_create_array(env, &addrs);
    uint32_t j = 0;
    for (pcap_addr_t *a = d->addresses; a != NULL; a = a->next) {
      if (a->addr == NULL || a->addr->sa_family != AF_INET) continue;
      napi_value ao;
      napi_create_object(env, &ao);
      add_sockaddr(env, ao, "address", a->addr);
      add_sockaddr(env, ao, "netmask", a->netmask);
      add_sockaddr(env, ao, "broadcast", a->broadaddr);
      add_sockaddr(env, ao, "destination", a->dstaddr);
      napi_set_element(env, addrs, j++, ao);
    }
    napi_set_named_property(env, o, "ipv4", addrs);
    napi_set_element(env, arr, i++, o);
  }
  pcap_freealldevs(all);
  return arr;
}

/* ---------- open(iface, options) ---------- */

static napi_value open_capture(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], opts = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char iface[256];
  if (argc < 1 || get_string(env, argv[0], iface, sizeof iface) != 0 || iface[0] == '\0')
    return throw_code(env, "ERR_ARG", 0, "open: interface name must be a non-empty string");
  int32_t snaplen = 262144, buffer_size = 0, timeout_ms = 100;
  bool promisc = false, immediate = true;
  char filter[4096] = "", precision[16] = "nano", direction[16] = "inout";
  int has_filter = 0;
  if (argc >= 2) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_object) opts = argv[1];
  }
  if (opts != NULL) {
    if (opt_int(env, opts, "snaplen", &snaplen) < 0 || opt_int(env, opts, "bufferSize", &buffer_size) < 0 ||
        opt_int(env, opts, "timeoutMs", &timeout_ms) < 0 || opt_bool(env, opts, "promisc", &promisc) < 0 ||
        opt_bool(env, opts, "immediate", &immediate) < 0 ||
        opt_string(env, opts, "tstampPrecision", precision, sizeof precision) < 0 ||
        opt_string(env, opts, "direction", direction, sizeof direction) < 0)
      return throw_code(env, "ERR_ARG", 0, "open: bad option type");
    has_filter = opt_string(env, opts, "filter", filter, sizeof filter);
    if (has_filter < 0) return throw_code(env, "ERR_ARG", 0, "open: filter must be a string (< 4096 bytes)");
  }
  if (snaplen <= 0 || snaplen > 262144) snaplen = 262144;
  int want_nano = strcmp(precision, "micro") != 0;
  pcap_direction_t dir = PCAP_D_INOUT;
  if (strcmp(direction, "in") == 0)
    dir = PCAP_D_IN;
  else if (strcmp(direction, "out") == 0)
    dir = PCAP_D_OUT;
  else if (strcmp(direction, "inout") != 0)
    return throw_code(env, "ERR_ARG", 0, "open: direction must be in, out or inout");

  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(iface, errbuf);
  if (p == NULL) return throw_code(env, "ERR_PCAP", PCAP_ERROR, "%s: %s", iface, errbuf);
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_immediate_mode(p, immediate ? 1 : 0);
  pcap_set_timeout(p, timeout_ms);
  if (buffer_size > 0) pcap_set_buffer_size(p, buffer_size);
  if (want_nano && pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0)
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO); /* platform lacks it: fall back, JS sees 6 digits */
  int status = pcap_activate(p);
  if (status < 0) {
    char detail[PCAP_ERRBUF_SIZE + 64];
    const char *e = pcap_geterr(p);
    snprintf(detail, sizeof detail, "%s", (e != NULL && e[0] != '\0') ? e : pcap_statustostr(status));
    pcap_close(p);
    return throw_open_error(env, iface, status, detail);
  }
  char warning[PCAP_ERRBUF_SIZE + 64] = "";
  if (status > 0) {
    const char *e = pcap_geterr(p);
    snprintf(warning, sizeof warning, "%s%s%s", pcap_statustostr(status), (e && e[0]) ? ": " : "", e ? e : "");
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    pcap_close(p);
    return throw_code(env, "ERR_PCAP", PCAP_ERROR, "%s: %s", iface, errbuf);
  }
  if (dir != PCAP_D_INOUT && pcap_setdirection(p, dir) != 0) {
    napi_value r = throw_code(env, "ERR_PCAP", PCAP_ERROR, "%s: %s", iface, pcap_geterr(p));
    pcap_close(p);
    return r;
  }
  if (has_filter == 1) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      napi_value r = throw_code(env, "ERR_BAD_FILTER", PCAP_ERROR, "bad filter expression '%s': %s", filter,
                                pcap_geterr(p));
      pcap_close(p);
      return r;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
      napi_value r = throw_code(env, "ERR_PCAP", PCAP_ERROR, "%s: %s", iface, pcap_geterr(p));
      pcap_close(p);
      return r;
    }
  }
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) {
    pcap_close(p);
    return throw_code(env, "ERR_PCAP", PCAP_ERROR, "%s: no selectable file descriptor", iface);
  }

  capture_t *c = calloc(1, sizeof *c);
  if (c == NULL) {
    pcap_close(p);
    return throw_code(env, "ERR_PCAP", 0, "out of memory");
  }
  c->p = p;
  c->env = env;
  c->fd = fd;
  c->snaplen = pcap_snapshot(p);
  c->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  snprintf(c->iface, sizeof c->iface, "%s", iface);

  napi_value h;
  CHECK(napi_create_object(env, &h));
  if (napi_wrap(env, h, c, capture_finalize, NULL, NULL) != napi_ok) {
    pcap_close(p);
    free(c);
    return throw_last(env);
  }
  set_str(env, h, "iface", iface);
  set_int(env, h, "linkType", pcap_datalink(p));
  set_int(env, h, "snaplen", c->snaplen);
  set_int(env, h, "tsDigits", c->nano ? 9 : 6);
  set_str(env, h, "warning", warning[0] ? warning : NULL);
  return h;
}

/* ---------- polling ---------- */

static void on_poll(uv_poll_t *h, int status, int events) {
  capture_t *c = (capture_t *)h->data;
  if (c == NULL || c->p == NULL || c->on_readable == NULL) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, result;
  napi_get_reference_value(env, c->on_readable, &fn);
  napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
  /* 0 when readable, else the negative libuv status (the fd went bad): JS decides what to do. */
  napi_create_int32(env, status, &arg);
  if (fn != NULL && napi_make_callback(env, c->actx, recv, fn, 1, &arg, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc); /* process 'uncaughtException', as for any event-loop callback */
  }
  napi_close_handle_scope(env, scope);
}

/* startPolling(handle, onReadable(status)): watch the fd; resume after stopPolling. */
static napi_value start_polling(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_code(env, "ERR_ARG", 0, "startPolling: missing handle");
  capture_t *c = unwrap_capture(env, argv[0], 1);
  if (c == NULL) return NULL;
  if (argc >= 2) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t != napi_function) return throw_code(env, "ERR_ARG", 0, "startPolling: callback must be a function");
    if (c->on_readable != NULL) napi_delete_reference(env, c->on_readable);
    CHECK(napi_create_reference(env, argv[1], 1, &c->on_readable));
  }
  if (c->on_readable == NULL) return throw_code(env, "ERR_ARG", 0, "startPolling: no callback");
  if (!c->async_inited) {
    napi_value res, name;
    napi_create_object(env, &res);
    napi_create_string_utf8(env, "mcastpcap.capture", NAPI_AUTO_LENGTH, &name);
    CHECK(napi_async_init(env, res, name, &c->actx));
    c->async_inited = 1;
  }
  if (c->poll == NULL) {
    uv_loop_t *loop = NULL;
    CHECK(napi_get_uv_event_loop(env, &loop));
    c->poll = calloc(1, sizeof *c->poll);
    if (c->poll == NULL) return throw_code(env, "ERR_PCAP", 0, "out of memory");
    int r = uv_poll_init(loop, c->poll, c->fd);
    if (r != 0) {
      free(c->poll);
      c->poll = NULL;
      return throw_code(env, "ERR_PCAP", 0, "%s: uv_poll_init: %s", c->iface, uv_strerror(r));
    }
    c->poll->data = c;
  }
  if (!c->polling) {
    int r = uv_poll_start(c->poll, UV_READABLE, on_poll);
    if (r != 0) return throw_code(env, "ERR_PCAP", 0, "%s: uv_poll_start: %s", c->iface, uv_strerror(r));
    c->polling = 1;
  }
  return NULL;
}

/* stopPolling(handle): pause delivery (the kernel keeps buffering and counts drops when its buffer fills). */
static napi_value stop_polling(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_code(env, "ERR_ARG", 0, "stopPolling: missing handle");
  capture_t *c = unwrap_capture(env, argv[0], 0);
  if (c == NULL) return NULL;
  if (c->poll != NULL && c->polling) uv_poll_stop(c->poll);
  c->polling = 0;
  return NULL;
}

/* ---------- dispatch(handle, data, meta) -> frames copied ---------- */

typedef struct fill {
  uint8_t *data;
  size_t cap;
  size_t used;
  uint32_t *meta;
  uint32_t slots;
  uint32_t n;
  int nano;
} fill_t;

static void fill_one(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes) {
  fill_t *f = (fill_t *)user;
  if (f->n >= f->slots) return; /* cannot happen: dispatch never asks for more than the free slots */
  size_t len = hdr->caplen;
  if (len > f->cap - f->used) len = f->cap - f->used; /* cannot happen either: room >= snaplen per frame asked */
  memcpy(f->data + f->used, bytes, len);
  uint32_t *m = f->meta + (size_t)f->n * META_WORDS;
  m[0] = (uint32_t)f->used;
  m[1] = (uint32_t)len;
  m[2] = hdr->len;
  m[3] = (uint32_t)hdr->ts.tv_sec;
  m[4] = f->nano ? (uint32_t)hdr->ts.tv_usec : (uint32_t)hdr->ts.tv_usec * 1000u;
  f->used += len;
  f->n++;
}

static napi_value dispatch_frames(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return throw_code(env, "ERR_ARG", 0, "dispatch(handle, data, meta)");
  capture_t *c = unwrap_capture(env, argv[0], 1);
  if (c == NULL) return NULL;
  if (c->pending_status != 0) {
    int st = c->pending_status;
    c->pending_status = 0;
    return throw_code(env, st == PCAP_ERROR_IFACE_NOT_UP ? "ERR_INTERFACE_DOWN" : "ERR_PCAP", st, "%s",
                      c->pending_msg);
  }
  napi_typedarray_type t1, t2;
  size_t n1, n2;
  void *d1, *d2;
  bool is1 = false, is2 = false;
  napi_is_typedarray(env, argv[1], &is1);
  napi_is_typedarray(env, argv[2], &is2);
  if (!is1 || !is2) return throw_code(env, "ERR_ARG", 0, "dispatch: data must be a Uint8Array, meta a Uint32Array");
  CHECK(napi_get_typedarray_info(env, argv[1], &t1, &n1, &d1, NULL, NULL));
  CHECK(napi_get_typedarray_info(env, argv[2], &t2, &n2, &d2, NULL, NULL));
  if (t1 != napi_uint8_array || t2 != napi_uint32_array)
    return throw_code(env, "ERR_ARG", 0, "dispatch: data must be a Uint8Array, meta a Uint32Array");
  if (n1 < (size_t)c->snaplen)
    return throw_code(env, "ERR_ARG", 0, "dispatch: data buffer (%zu bytes) smaller than snaplen %d", n1, c->snaplen);
  fill_t f = {(uint8_t *)d1, n1, 0, (uint32_t *)d2, (uint32_t)(n2 / META_WORDS), 0, c->nano};
  for (;;) {
    size_t room = (f.cap - f.used) / (size_t)c->snaplen;
    size_t slots = f.slots - f.n;
    int want = (int)(room < slots ? room : slots);
    if (want <= 0) break;
    int r = pcap_dispatch(c->p, want, fill_one, (u_char *)&f);
    if (r == 0 || r == PCAP_ERROR_BREAK) break;
    if (r < 0) {
      /* Linux reports a vanished or downed interface here ("The interface went down"). */
      int down = strstr(pcap_geterr(c->p), "went down") != NULL;
      int st = down ? PCAP_ERROR_IFACE_NOT_UP : r;
      if (f.n > 0) { /* deliver what was copied; report the error on the next call */
        c->pending_status = st;
        snprintf(c->pending_msg, sizeof c->pending_msg, "%s: %s", c->iface, pcap_geterr(c->p));
        break;
      }
      return throw_code(env, down ? "ERR_INTERFACE_DOWN" : "ERR_PCAP", st, "%s: %s", c->iface, pcap_geterr(c->p));
    }
  }
  napi_value out;
  napi_create_uint32(env, f.n, &out);
  return out;
}

/* ---------- stats / inject / datalink / close ---------- */

static napi_value capture_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_code(env, "ERR_ARG", 0, "stats: missing handle");
  capture_t *c = unwrap_capture(env, argv[0], 1);
  if (c == NULL) return NULL;
  struct pcap_stat st;
  memset(&st, 0, sizeof st);
  if (pcap_stats(c->p, &st) != 0) return throw_code(env, "ERR_PCAP", PCAP_ERROR, "%s: %s", c->iface, pcap_geterr(c->p));
  napi_value o;
  napi_create_object(env, &o);
  set_int(env, o, "recv", st.ps_recv);
  set_int(env, o, "drop", st.ps_drop);
  set_int(env, o, "ifdrop", st.ps_ifdrop);
  return o;
}

static napi_value capture_inject(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_code(env, "ERR_ARG", 0, "inject(handle, frame)");
  capture_t *c = unwrap_capture(env, argv[0], 1);
  if (c == NULL) return NULL;
  bool is = false;
  napi_is_typedarray(env, argv[1], &is);
  napi_typedarray_type t;
  size_t n = 0;
  void *d = NULL;
  if (!is || napi_get_typedarray_info(env, argv[1], &t, &n, &d, NULL, NULL) != napi_ok || t != napi_uint8_array)
    return throw_code(env, "ERR_ARG", 0, "inject: frame must be a Uint8Array");
  errno = 0;
  int r = pcap_inject(c->p, d, n);
  if (r < 0) {
    int e = errno;
    const char *err = pcap_geterr(c->p);
    if (e == ENETDOWN) return throw_code(env, "ERR_INTERFACE_DOWN", PCAP_ERROR, "interface %s is down (%s)", c->iface, err);
    if (e == ENXIO || e == ENODEV)
      return throw_code(env, "ERR_NO_SUCH_INTERFACE", PCAP_ERROR, "interface %s is gone (%s)", c->iface, err);
    if (e == EMSGSIZE) return throw_code(env, "ERR_FRAME_TOO_LONG", PCAP_ERROR, "%s: frame of %zu bytes too long (%s)", c->iface, n, err);
    if (e == EPERM || e == EACCES)
      return throw_code(env, "ERR_PERMISSION", PCAP_ERROR, "sending on %s needs root or the CAP_NET_RAW capability (%s)", c->iface, err);
    return throw_code(env, "ERR_INJECT", PCAP_ERROR, "%s: %s", c->iface, err);
  }
  napi_value out;
  napi_create_int32(env, r, &out);
  return out;
}

static napi_value capture_datalink(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_code(env, "ERR_ARG", 0, "datalink: missing handle");
  capture_t *c = unwrap_capture(env, argv[0], 1);
  if (c == NULL) return NULL;
  napi_value out;
  napi_create_int32(env, pcap_datalink(c->p), &out);
  return out;
}

/* close(handle): idempotent. The poll handle is closed first; libpcap's fd goes in the poll's close callback. */
static napi_value capture_close_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_code(env, "ERR_ARG", 0, "close: missing handle");
  capture_t *c = unwrap_capture(env, argv[0], 0);
  if (c == NULL) return NULL;
  capture_close(c);
  return NULL;
}

/* ---------- compileFilter(linkType, snaplen, expr) ---------- */

typedef struct filter {
  struct bpf_program prog;
} filter_t;

static void filter_finalize(napi_env env, void *data, void *hint) {
  filter_t *f = (filter_t *)data;
  pcap_freecode(&f->prog);
  free(f);
}

static napi_value compile_filter(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t link = 0, snaplen = 262144;
  char expr[4096];
  if (argc < 3 || napi_get_value_int32(env, argv[0], &link) != napi_ok ||
      napi_get_value_int32(env, argv[1], &snaplen) != napi_ok || get_string(env, argv[2], expr, sizeof expr) != 0)
    return throw_code(env, "ERR_ARG", 0, "compileFilter(linkType, snaplen, expression < 4096 bytes)");
  if (snaplen <= 0 || snaplen > 262144) snaplen = 262144;
  pcap_t *dead = pcap_open_dead(link, snaplen);
  if (dead == NULL) return throw_code(env, "ERR_PCAP", 0, "pcap_open_dead failed");
  filter_t *f = calloc(1, sizeof *f);
  if (f == NULL) {
    pcap_close(dead);
    return throw_code(env, "ERR_PCAP", 0, "out of memory");
  }
  if (pcap_compile(dead, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    napi_value r = throw_code(env, "ERR_BAD_FILTER", PCAP_ERROR, "bad filter expression '%s': %s", expr,
                              pcap_geterr(dead));
    free(f);
    pcap_close(dead);
    return r;
  }
  pcap_close(dead);
  napi_value o, match;
  CHECK(napi_create_object(env, &o));
  if (napi_wrap(env, o, f, filter_finalize, NULL, NULL) != napi_ok) {
    pcap_freecode(&f->prog);
    free(f);
    return throw_last(env);
  }
  instance_t *inst = NULL;
  napi_get_instance_data(env, (void **)&inst);
  if (inst == NULL || napi_get_reference_value(env, inst->filter_match, &match) != napi_ok)
    return throw_code(env, "ERR_PCAP", 0, "addon not initialised");
  napi_set_named_property(env, o, "match", match);
  set_str(env, o, "expression", expr);
  set_int(env, o, "linkType", link);
  set_int(env, o, "instructions", f->prog.bf_len);
  return o;
}

/* filter.match(buf, offset, caplen, wirelen) -> boolean. `this` is the compiled filter. */
static napi_value filter_match(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  filter_t *f = NULL;
  if (napi_unwrap(env, self, (void **)&f) != napi_ok || f == NULL)
    return throw_code(env, "ERR_ARG", 0, "match must be called on a compiled filter");
  if (argc < 3) return throw_code(env, "ERR_ARG", 0, "match(buf, offset, caplen, wirelen?)");
  bool is = false;
  napi_is_typedarray(env, argv[0], &is);
  napi_typedarray_type t;
  size_t n = 0;
  void *d = NULL;
  if (!is || napi_get_typedarray_info(env, argv[0], &t, &n, &d, NULL, NULL) != napi_ok || t != napi_uint8_array)
    return throw_code(env, "ERR_ARG", 0, "match: buf must be a Uint8Array");
  uint32_t off = 0, caplen = 0, wirelen = 0;
  if (napi_get_value_uint32(env, argv[1], &off) != napi_ok || napi_get_value_uint32(env, argv[2], &caplen) != napi_ok)
    return throw_code(env, "ERR_ARG", 0, "match: offset and caplen must be numbers");
  if (argc < 4 || napi_get_value_uint32(env, argv[3], &wirelen) != napi_ok) wirelen = caplen;
  if ((size_t)off > n || (size_t)caplen > n - off)
    return throw_code(env, "ERR_ARG", 0, "match: frame [%u, %u) outside the buffer (%zu bytes)", off, off + caplen, n);
  struct pcap_pkthdr hdr;
  memset(&hdr, 0, sizeof hdr);
  hdr.caplen = caplen;
  hdr.len = wirelen < caplen ? caplen : wirelen;
  /* bpf_filter reads at most caplen bytes: a short frame cannot make it read past the buffer. */
  int r = pcap_offline_filter(&f->prog, &hdr, (const u_char *)d + off);
  napi_value out;
  napi_get_boolean(env, r != 0, &out);
  return out;
}

static napi_value lib_version(napi_env env, napi_callback_info info) {
  napi_value out;
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &out);
  return out;
}

/* ---------- module ---------- */

static void instance_finalize(napi_env env, void *data, void *hint) {
  instance_t *inst = (instance_t *)data;
  napi_delete_reference(env, inst->filter_match);
  free(inst);
}

NAPI_MODULE_INIT() {
  napi_value match;
  if (napi_create_function(env, "match", NAPI_AUTO_LENGTH, filter_match, NULL, &match) != napi_ok) return NULL;
  instance_t *inst = calloc(1, sizeof *inst);
  if (inst == NULL || napi_create_reference(env, match, 1, &inst->filter_match) != napi_ok ||
      napi_set_instance_data(env, inst, instance_finalize, NULL) != napi_ok) {
    free(inst);
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"listInterfaces", NULL, list_interfaces, NULL, NULL, NULL, napi_enumerable, NULL},
      {"open", NULL, open_capture, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startPolling", NULL, start_polling, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopPolling", NULL, stop_polling, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dispatch", NULL, dispatch_frames, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, capture_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"inject", NULL, capture_inject, NULL, NULL, NULL, napi_enumerable, NULL},
      {"datalink", NULL, capture_datalink, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, capture_close_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"compileFilter", NULL, compile_filter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"libVersion", NULL, lib_version, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value meta_words;
  napi_create_int32(env, META_WORDS, &meta_words);
  napi_set_named_property(env, exports, "META_WORDS", meta_words);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
