/*
 * tg_tun_linux.c: Linux implementation of tg_tun.h (open and configure a TUN device, batch read/write loops,
 * an interruptible wait). See tg_tun.h for the contract of each function.
 */
#include "tg_tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int tg_tun_max_name_length(void) { return IFNAMSIZ - 1; }

int tg_tun_vnet_hdr_length(void) { return (int)sizeof(struct virtio_net_hdr); }

static int ioctl_retry(int fd, unsigned long request, void *arg) {
  for (;;) {
    if (ioctl(fd, request, arg) >= 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

/* Copies name into ifr; -ENAMETOOLONG rather than a silently truncated name that could hit another device. */
static int fill_name(struct ifreq *ifr, const char *name) {
  size_t len = strlen(name);
  if (len > (size_t)tg_tun_max_name_length()) return -ENAMETOOLONG;
  memset(ifr, 0, sizeof(*ifr));
  memcpy(ifr->ifr_name, name, len);
  return 0;
}

static int set_vnet_header(int fd, int tso) {
  int hdr_len = tg_tun_vnet_hdr_length();
  int rc = ioctl_retry(fd, TUNSETVNETHDRSZ, &hdr_len);
  if (rc < 0) return rc;
  /* TUNSETOFFLOAD takes the flag set by value. TUN_F_TSO4 only when asked: it hands over packets larger than the
   * MTU, which only a reader with frames of 64 KiB (tg_tun_read_packed) can take. */
  unsigned long offloads = TUN_F_CSUM | (tso ? TUN_F_TSO4 : 0);
  for (;;) {
    if (ioctl(fd, TUNSETOFFLOAD, offloads) >= 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

int tg_tun_open(const char *name, int flags, char *actual_name) {
  struct ifreq ifr;
  int rc = fill_name(&ifr, name);
  if (rc < 0) return rc;
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (flags & TG_TUN_MULTI_QUEUE) ifr.ifr_flags |= IFF_MULTI_QUEUE;
  if (flags & TG_TUN_VNET_HDR) ifr.ifr_flags |= IFF_VNET_HDR;

  int fd;
  do {
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;

  rc = ioctl_retry(fd, TUNSETIFF, &ifr);
  if (rc == 0 && (flags & TG_TUN_VNET_HDR)) rc = set_vnet_header(fd, flags & TG_TUN_TSO);
  if (rc == 0 && (flags & TG_TUN_TSO) && !(flags & TG_TUN_VNET_HDR)) rc = -EINVAL;
  if (rc < 0) {
    close(fd);
    return rc;
  }
  if (actual_name != NULL) {
    memcpy(actual_name, ifr.ifr_name, IFNAMSIZ);
    actual_name[IFNAMSIZ - 1] = '\0';
  }
  return fd;
}

/* Runs one SIOC* ioctl on a throw-away AF_INET socket: it acts in the calling thread's network namespace. */
static int inet_ioctl(unsigned long request, struct ifreq *ifr) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -errno;
  int rc = ioctl_retry(sock, request, ifr);
  close(sock);
  return rc;
}

int tg_tun_set_mtu(const char *name, int mtu) {
  struct ifreq ifr;
  int rc = fill_name(&ifr, name);
  if (rc < 0) return rc;
  ifr.ifr_mtu = mtu;
  return inet_ioctl(SIOCSIFMTU, &ifr);
}

static void set_sockaddr(struct sockaddr *sa, uint32_t host_order) {
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(host_order);
  memcpy(sa, &sin, sizeof(sin));
}

int tg_tun_set_ipv4(const char *name, uint32_t address, int prefix_length) {
  if (prefix_length < 0 || prefix_length > 32) return -EINVAL;
  struct ifreq ifr;
  int rc = fill_name(&ifr, name);
  if (rc < 0) return rc;
  set_sockaddr(&ifr.ifr_addr, address);
  rc = inet_ioctl(SIOCSIFADDR, &ifr);
  if (rc < 0) return rc;
  uint32_t mask = prefix_length == 0 ? 0 : 0xFFFFFFFFu << (32 - prefix_length);
  set_sockaddr(&ifr.ifr_netmask, mask);
  return inet_ioctl(SIOCSIFNETMASK, &ifr);
}

int tg_tun_set_up(const char *name) {
  struct ifreq ifr;
  int rc = fill_name(&ifr, name);
  if (rc < 0) return rc;
  rc = inet_ioctl(SIOCGIFFLAGS, &ifr);
  if (rc < 0) return rc;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  return inet_ioctl(SIOCSIFFLAGS, &ifr);
}

int tg_tun_read_batch(int fd, uint8_t *base, int slot_size, int max, int32_t *lens) {
  int count = 0;
  while (count < max) {
    ssize_t n = read(fd, base + (size_t)count * (size_t)slot_size, (size_t)slot_size);
    if (n >= 0) {
      lens[count++] = (int32_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || count > 0) break;
    return -errno;
  }
  return count;
}

int tg_tun_read_packed(int fd, uint8_t *base, int from, int to, int max_frame, int max, int32_t *offs,
                       int32_t *lens) {
  int count = 0;
  int pos = from;
  while (count < max && to - pos >= max_frame) {
    ssize_t n = read(fd, base + pos, (size_t)max_frame);
    if (n >= 0) {
      offs[count] = pos;
      lens[count++] = (int32_t)n;
      pos += ((int)n + 63) & ~63;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || count > 0) break;
    return -errno;
  }
  return count;
}

int tg_tun_write_batch(int fd, const uint8_t *base, const int32_t *offs, const int32_t *lens, int n) {
  int count = 0;
  while (count < n) {
    ssize_t w = write(fd, base + offs[count], (size_t)lens[count]);
    if (w >= 0) {
      count++;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || count > 0) break;
    return -errno;
  }
  return count;
}

int tg_tun_wake_create(void) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int tg_tun_wake(int wake_fd) {
  uint64_t one = 1;
  for (;;) {
    if (write(wake_fd, &one, sizeof(one)) >= 0) return 0;
    /* EAGAIN: the counter is saturated, so the fd is readable already. */
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return -errno;
  }
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tg_tun_wait(int fd, int wake_fd, int timeout_ms) {
  struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
  int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
  int remaining = timeout_ms;
  for (;;) {
    int rc = poll(fds, 2, remaining);
    if (rc > 0) {
      int result = 0;
      if (fds[0].revents) result |= TG_TUN_READABLE;
      if (fds[1].revents) result |= TG_TUN_WOKEN;
      return result;
    }
    if (rc == 0) return 0;
    if (errno != EINTR) return -errno;
    if (timeout_ms >= 0) {
      int64_t left = deadline - now_ms();
      remaining = left > 0 ? (int)left : 0;
    }
  }
}

int tg_tun_watch(int epfd, int fd) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int tg_tun_close(int fd) { return close(fd) < 0 ? -errno : 0; }
