/*
 * bench_tun_loop: the C-only baseline for bench/.../TunThroughputBenchmark. Same cycle as its batch64/single
 * benchmarks, with no JVM: write a batch of 92-byte IPv4/UDP packets into a TUN in a private network namespace
 * that forwards them straight back out of the same TUN, then read them back. Prints packets per second and the
 * time per packet spent in the write and in the read calls. Usage: bench_tun_loop [batch (1..64)] [seconds]
 * Needs root. Not a test: built next to the tests, run by hand.
 */
#include <net/if.h>
#include <time.h>

#include "tg_test.h"
#include "tg_tun.h"

#define SLOT 2048
#define MAX_BATCH 64

static uint8_t out[MAX_BATCH * SLOT];
static uint8_t in[MAX_BATCH * SLOT];
static int32_t out_offs[MAX_BATCH], out_lens[MAX_BATCH], in_lens[MAX_BATCH];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int open_forwarding_tun(void) {
  enter_private_netns();
  write_file("/proc/sys/net/ipv4/ip_forward", "1");
  /* Forwarding back out of the arrival interface would otherwise send ICMP redirects (RFC 1812 4.3.3.2). */
  write_file("/proc/sys/net/ipv4/conf/all/send_redirects", "0");
  write_file("/proc/sys/net/ipv4/conf/default/send_redirects", "0");
  int fd = tg_tun_open("tgbench0", 0, NULL);
  if (fd < 0 || tg_tun_set_mtu("tgbench0", 1500) < 0 || tg_tun_set_ipv4("tgbench0", 0x0A4D0001u, 24) < 0 ||
      tg_tun_set_up("tgbench0") < 0) {
    fprintf(stderr, "cannot set up tgbench0 (%d): run as root\n", fd);
    exit(2);
  }
  return fd;
}

int main(int argc, char **argv) {
  int batch = argc > 1 ? atoi(argv[1]) : MAX_BATCH;
  double seconds = argc > 2 ? atof(argv[2]) : 2.0;
  if (batch < 1 || batch > MAX_BATCH) batch = MAX_BATCH;
  int fd = open_forwarding_tun();
  uint8_t payload[64];
  memset(payload, 'x', sizeof(payload));
  for (int i = 0; i < MAX_BATCH; i++) {
    out_offs[i] = i * SLOT;
    out_lens[i] = build_udp(out + i * SLOT, 0x0A4D0002u, (uint16_t)(40000 + i), 0x0A4D0009u, 9, payload,
                            (int)sizeof(payload));
  }
  long packets = 0;
  double write_time = 0, read_time = 0, start = now();
  while (now() - start < seconds) {
    double t0 = now();
    int written = tg_tun_write_batch(fd, out, out_offs, out_lens, batch);
    double t1 = now();
    if (written != batch) {
      fprintf(stderr, "wrote %d of %d\n", written, batch);
      return 1;
    }
    int got = 0;
    while (got < batch) {
      int n = tg_tun_read_batch(fd, in + (size_t)got * SLOT, SLOT, batch - got, in_lens + got);
      if (n < 0 || (n == 0 && tg_tun_wait(fd, -1, 1000) == 0)) {
        fprintf(stderr, "forwarded packets missing (%d)\n", n);
        return 1;
      }
      got += n;
    }
    write_time += t1 - t0;
    read_time += now() - t1;
    packets += batch;
  }
  double elapsed = now() - start;
  printf("batch %d: %.0f packets/s, write %.2f us/packet, read %.2f us/packet\n", batch, (double)packets / elapsed,
         write_time / (double)packets * 1e6, read_time / (double)packets * 1e6);
  tg_tun_close(fd);
  return 0;
}
