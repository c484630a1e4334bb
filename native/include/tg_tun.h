/*
 * tg_tun.h: the pure C API of torgate's TUN shim (no JNI here; tg_jni.c wraps it).
 *
 * Every function returns a non-negative result (a count, an fd, a flag set) or -errno. Calls loop on
 * EINTR. The batch functions work on caller-owned memory (one buffer of fixed-size slots, allocated once)
 * so a batch costs one call from Java and no allocation. A TUN fd has no recvmmsg/sendmmsg, so a batch is
 * a loop of read(2)/write(2) that stops at EAGAIN.
 *
 * Thread-safety: the functions keep no state; the kernel serialises concurrent read/write on one fd.
 * Interface set-up (MTU, address, link up) acts in the network namespace of the calling thread.
 */
#ifndef TG_TUN_H
#define TG_TUN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Open flags for tg_tun_open (our own bits, translated to IFF_* inside). */
#define TG_TUN_MULTI_QUEUE 0x1 /* IFF_MULTI_QUEUE: several fds may attach to one device */
#define TG_TUN_VNET_HDR 0x2    /* IFF_VNET_HDR: each packet is prefixed by a struct virtio_net_hdr */
#define TG_TUN_TSO 0x4         /* with TG_TUN_VNET_HDR: TCP segmentation offload (TUN_F_TSO4) as well */

/* Bits of the tg_tun_wait result. */
#define TG_TUN_READABLE 0x1 /* the TUN fd has a packet (or an error) pending */
#define TG_TUN_WOKEN 0x2    /* the wake fd was signalled: the device is closing */

/* Longest interface name, without the terminating NUL (IFNAMSIZ - 1). */
int tg_tun_max_name_length(void);

/* Bytes of the per-packet header when opened with TG_TUN_VNET_HDR (sizeof(struct virtio_net_hdr)). */
int tg_tun_vnet_hdr_length(void);

/*
 * Opens /dev/net/tun non-blocking and attaches it to interface `name` (IFF_TUN | IFF_NO_PI | flags),
 * creating the interface if needed; an empty name lets the kernel choose one. The actual name is copied to
 * `actual_name` (at least tg_tun_max_name_length() + 1 bytes) when it is not NULL. With TG_TUN_VNET_HDR the
 * header size is set (TUNSETVNETHDRSZ) and checksum offload is enabled (TUNSETOFFLOAD, TUN_F_CSUM), so the
 * kernel may hand over packets whose transport checksum is still partial (flagged in the header). With TG_TUN_TSO
 * as well, TUN_F_TSO4 is enabled: reads may return TCP super-segments of up to 64 KiB (gso_type TCPV4 in the
 * header) and writes may pass such super-segments for the kernel to cut at gso_size.
 * Returns the fd, or -ENAMETOOLONG, -EINVAL (bad name), -EPERM (no CAP_NET_ADMIN), -EBUSY (attached), ...
 */
int tg_tun_open(const char *name, int flags, char *actual_name);

/* Sets the interface MTU (SIOCSIFMTU). */
int tg_tun_set_mtu(const char *name, int mtu);

/* Sets the IPv4 address (host byte order) and prefix length (SIOCSIFADDR, SIOCSIFNETMASK). */
int tg_tun_set_ipv4(const char *name, uint32_t address, int prefix_length);

/* Brings the link up (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP). */
int tg_tun_set_up(const char *name);

/*
 * Reads packets into slots base + i * slot_size (i = 0 .. max-1) until read(2) says EAGAIN or `max` packets
 * were read; lens[i] receives each packet's length. Returns the count (0 when nothing is pending). An error
 * after at least one packet returns the count; the error shows again on the next call.
 */
int tg_tun_read_batch(int fd, uint8_t *base, int slot_size, int max, int32_t *lens);

/*
 * Reads packets packed back to back into base[from, to): each read(2) is offered max_frame bytes at the current
 * position, so a packet is read only while at least max_frame bytes remain; the next one starts at the following
 * 64-byte boundary (cache-line aligned headers). offs[i] and lens[i] receive each packet's offset (from base)
 * and length. Stops at EAGAIN, after `max` packets or when less than max_frame bytes remain. Returns the count;
 * errors as tg_tun_read_batch. This lets variable-length packets (64 KiB TSO super-segments next to 40-byte ACKs)
 * share one buffer instead of each taking a worst-case slot.
 */
int tg_tun_read_packed(int fd, uint8_t *base, int from, int to, int max_frame, int max, int32_t *offs,
                       int32_t *lens);

/*
 * Writes n packets, packet i being lens[i] bytes at base + offs[i]. Returns how many were written; stops
 * early at EAGAIN (the caller retries the rest). An error on the first packet returns -errno; an error after
 * at least one packet returns the count so far.
 */
int tg_tun_write_batch(int fd, const uint8_t *base, const int32_t *offs, const int32_t *lens, int n);

/* Creates the wake-up fd used by tg_tun_wait (a non-blocking eventfd). */
int tg_tun_wake_create(void);

/* Signals the wake-up fd: every current and future tg_tun_wait on it returns TG_TUN_WOKEN. */
int tg_tun_wake(int wake_fd);

/*
 * Waits up to timeout_ms (negative: forever) until `fd` is readable or `wake_fd` is signalled. Returns a set of
 * TG_TUN_READABLE / TG_TUN_WOKEN bits, 0 on timeout. EINTR restarts the wait with the remaining time.
 */
int tg_tun_wait(int fd, int wake_fd, int timeout_ms);

/*
 * Adds fd to the epoll set epfd for EPOLLIN, level-triggered, with the fd itself as the event's data: an epoll_wait
 * on epfd then returns while fd has a packet (or an error) pending. Used to make a Java Selector's select(2) wake on
 * the TUN (see tg_jni.c). 0, or -errno (-EEXIST when fd is in the set already).
 */
int tg_tun_watch(int epfd, int fd);

/* Closes an fd (the TUN fd or the wake fd). EINTR is not retried: on Linux the fd is gone either way. */
int tg_tun_close(int fd);

#ifdef __cplusplus
}
#endif

#endif /* TG_TUN_H */
