/* tg_test.h: tiny helpers shared by the C tests (checks, a private network namespace, an IPv4/UDP builder). */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tg_failures __attribute__((unused));

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      tg_failures++;                                                         \
    }                                                                        \
  } while (0)

#define CHECK_EQ(expected, actual)                                                          \
  do {                                                                                      \
    long e_ = (long)(expected), a_ = (long)(actual);                                        \
    if (e_ != a_) {                                                                         \
      fprintf(stderr, "%s:%d: expected %s == %ld, got %ld\n", __FILE__, __LINE__, #actual, e_, a_); \
      tg_failures++;                                                                        \
    }                                                                                       \
  } while (0)

static inline void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return; /* no IPv6 in this kernel: nothing to switch off */
  if (write(fd, text, strlen(text)) < 0) perror(path);
  close(fd);
}

/* Moves the test into a fresh network namespace (so devices and addresses never touch the host) and switches
 * IPv6 off there, so the kernel sends no router solicitations into the TUN and an idle device stays idle. */
static inline void enter_private_netns(void) {
  if (unshare(CLONE_NEWNET) != 0) {
    perror("unshare(CLONE_NEWNET) (the C tests need root)");
    exit(2);
  }
  write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
}

static inline uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc) {
  for (size_t i = 0; i + 1 < len; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) acc += (uint32_t)p[len - 1] << 8;
  return acc;
}

static inline uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return (uint16_t)~acc;
}

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static inline void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Builds an IPv4/UDP packet (RFC 791, RFC 768) with correct checksums into out; returns its length. */
static inline int build_udp(uint8_t *out, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     const void *payload, int payload_len) {
  int total = 28 + payload_len;
  memset(out, 0, 28);
  out[0] = 0x45;
  put16(out + 2, (uint16_t)total);
  out[8] = 64;
  out[9] = 17;
  put32(out + 12, src);
  put32(out + 16, dst);
  put16(out + 10, fold(sum16(out, 20, 0)));
  uint8_t *udp = out + 20;
  put16(udp, sport);
  put16(udp + 2, dport);
  put16(udp + 4, (uint16_t)(8 + payload_len));
  memcpy(udp + 8, payload, (size_t)payload_len);
  /* Pseudo-header (RFC 768): addresses, zero + protocol, UDP length. */
  uint32_t acc = sum16(out + 12, 8, 17u + (uint32_t)(8 + payload_len));
  uint16_t ck = fold(sum16(udp, (size_t)(8 + payload_len), acc));
  put16(udp + 6, ck == 0 ? 0xFFFF : ck);
  return total;
}

#define TG_TEST_RESULT()                                           \
  do {                                                             \
    if (tg_failures) fprintf(stderr, "%d check(s) failed\n", tg_failures); \
    return tg_failures ? 1 : 0;                                    \
  } while (0)

#endif
