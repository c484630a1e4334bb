/* Open, configure, read, write, wait and close a real TUN device inside a private network namespace. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tg_test.h"
#include "tg_tun.h"

#define TUN_ADDR 0x0AC80001u /* 10.200.0.1: the interface's own address */
#define PEER_ADDR 0x0AC80002u /* 10.200.0.2: routed into the TUN by the /24 */
#define SLOT 2048

static uint8_t slots[8 * SLOT];
static int32_t lens[8];

static int udp_socket_bound(uint32_t addr, uint16_t port) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
  CHECK_EQ(0, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
  struct timeval tv = {.tv_sec = 2};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return s;
}

/* The kernel routes a datagram for 10.200.0.2 into the TUN; one batch read returns it byte-exact. */
static void kernel_to_tun(int fd, int sock) {
  struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(PEER_ADDR)};
  const char msg[] = "hello tun";
  CHECK_EQ(sizeof(msg), sendto(sock, msg, sizeof(msg), 0, (struct sockaddr *)&peer, sizeof(peer)));
  CHECK_EQ(TG_TUN_READABLE, tg_tun_wait(fd, -1, 2000) & TG_TUN_READABLE);
  int n = tg_tun_read_batch(fd, slots, SLOT, 8, lens);
  CHECK_EQ(1, n);
  CHECK_EQ(28 + sizeof(msg), lens[0]);
  CHECK_EQ(0x45, slots[0]);
  CHECK_EQ(17, slots[9]);
  CHECK_EQ(PEER_ADDR, ntohl(*(uint32_t *)(slots + 16)));
  CHECK_EQ(9, slots[22] << 8 | slots[23]);
  CHECK(memcmp(slots + 28, msg, sizeof(msg)) == 0);
}

/* A crafted datagram written to the TUN reaches the socket bound to the interface address. */
static void tun_to_kernel(int fd, int sock, uint16_t port) {
  const char msg[] = "from the tun";
  int32_t offs[2] = {0, SLOT};
  int32_t wl[2];
  wl[0] = build_udp(slots, PEER_ADDR, 9, TUN_ADDR, port, msg, sizeof(msg));
  wl[1] = build_udp(slots + SLOT, PEER_ADDR, 9, TUN_ADDR, port, msg, 4);
  CHECK_EQ(2, tg_tun_write_batch(fd, slots, offs, wl, 2));
  char buf[64];
  struct sockaddr_in from;
  socklen_t fl = sizeof(from);
  CHECK_EQ(sizeof(msg), recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl));
  CHECK(memcmp(buf, msg, sizeof(msg)) == 0);
  CHECK_EQ(PEER_ADDR, ntohl(from.sin_addr.s_addr));
  CHECK_EQ(4, recv(sock, buf, sizeof(buf), 0));
}

static void idle_and_wake(int fd) {
  CHECK_EQ(0, tg_tun_read_batch(fd, slots, SLOT, 8, lens));
  int wake = tg_tun_wake_create();
  CHECK(wake >= 0);
  CHECK_EQ(0, tg_tun_wait(fd, wake, 50));
  CHECK_EQ(0, tg_tun_wake(wake));
  CHECK_EQ(TG_TUN_WOKEN, tg_tun_wait(fd, wake, 5000));
  CHECK_EQ(0, tg_tun_close(wake));
}

int main(void) {
  enter_private_netns();
  char name[IFNAMSIZ];
  int fd = tg_tun_open("tgtest0", 0, name);
  CHECK(fd >= 0);
  if (fd < 0) TG_TEST_RESULT();
  CHECK(strcmp(name, "tgtest0") == 0);
  CHECK_EQ(0, tg_tun_set_mtu(name, 1400));
  CHECK_EQ(0, tg_tun_set_ipv4(name, TUN_ADDR, 24));
  CHECK_EQ(0, tg_tun_set_up(name));
  CHECK_EQ(-ENODEV, tg_tun_set_mtu("tgnosuch0", 1400));
  CHECK_EQ(-EINVAL, tg_tun_set_ipv4(name, TUN_ADDR, 33));

  int sock = udp_socket_bound(TUN_ADDR, 4000);
  idle_and_wake(fd);
  kernel_to_tun(fd, sock);
  tun_to_kernel(fd, sock, 4000);
  CHECK_EQ(0, tg_tun_read_batch(fd, slots, SLOT, 8, lens));
  close(sock);
  CHECK_EQ(0, tg_tun_close(fd));
  CHECK_EQ(-EBADF, tg_tun_close(fd));

  /* A kernel-chosen name and the vnet-header variant open too. */
  int fd2 = tg_tun_open("", TG_TUN_VNET_HDR | TG_TUN_MULTI_QUEUE, name);
  CHECK(fd2 >= 0);
  CHECK(strncmp(name, "tun", 3) == 0);
  CHECK_EQ(10, tg_tun_vnet_hdr_length());
  CHECK_EQ(15, tg_tun_max_name_length());
  if (fd2 >= 0) tg_tun_close(fd2);
  TG_TEST_RESULT();
}
