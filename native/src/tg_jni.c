/*
 * tg_jni.c: JNI glue between io.torgate.tun.Jni and the pure C API in tg_tun.h.
 *
 * Natives are bound with RegisterNatives from JNI_OnLoad, the only exported symbol (the library is built with
 * -fvisibility=hidden), so no Java_* name mangling leaks and a renamed Java method fails at load, not at first
 * call. Hot-path natives take only primitives (fds, addresses of buffers resolved once by Jni.address, counts):
 * no JNI object is created or pinned per packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "tg_tun.h"

#define JNI_CLASS "io/torgate/tun/Jni"

/* Control-plane helper: evaluates expr with `name` bound to the (modified) UTF-8 bytes of jname, returns it. */
#define WITH_NAME(env, jname, expr)                                            \
  do {                                                                         \
    if ((jname) == NULL) return -EINVAL;                                       \
    const char *name = (*(env))->GetStringUTFChars((env), (jname), NULL);      \
    if (name == NULL) return -ENOMEM; /* OutOfMemoryError is pending */        \
    int rc_ = (expr);                                                          \
    (*(env))->ReleaseStringUTFChars((env), (jname), name);                     \
    return rc_;                                                                \
  } while (0)

static jint j_max_name_length(JNIEnv *env, jclass cls) { return tg_tun_max_name_length(); }

static jint j_vnet_hdr_length(JNIEnv *env, jclass cls) { return tg_tun_vnet_hdr_length(); }

/* Opens the device; the kernel-chosen name is written into actual (a byte[] of at least IFNAMSIZ bytes). */
static jint j_open(JNIEnv *env, jclass cls, jstring jname, jboolean multi_queue, jboolean vnet_hdr, jboolean tso,
                   jbyteArray actual) {
  char buf[IFNAMSIZ];
  if (jname == NULL || actual == NULL) return -EINVAL;
  if ((*env)->GetArrayLength(env, actual) < tg_tun_max_name_length() + 1) return -EINVAL;
  memset(buf, 0, sizeof(buf));
  int flags = (multi_queue ? TG_TUN_MULTI_QUEUE : 0) | (vnet_hdr ? TG_TUN_VNET_HDR : 0) | (tso ? TG_TUN_TSO : 0);
  const char *name = (*env)->GetStringUTFChars(env, jname, NULL);
  if (name == NULL) return -ENOMEM;
  int fd = tg_tun_open(name, flags, buf);
  (*env)->ReleaseStringUTFChars(env, jname, name);
  if (fd >= 0) (*env)->SetByteArrayRegion(env, actual, 0, tg_tun_max_name_length() + 1, (const jbyte *)buf);
  return fd;
}

static jint j_set_mtu(JNIEnv *env, jclass cls, jstring jname, jint mtu) {
  WITH_NAME(env, jname, tg_tun_set_mtu(name, mtu));
}

static jint j_set_ipv4(JNIEnv *env, jclass cls, jstring jname, jint address, jint prefix) {
  WITH_NAME(env, jname, tg_tun_set_ipv4(name, (uint32_t)address, prefix));
}

static jint j_set_up(JNIEnv *env, jclass cls, jstring jname) { WITH_NAME(env, jname, tg_tun_set_up(name)); }

static jint j_read_batch(JNIEnv *env, jclass cls, jint fd, jlong base, jint slot_size, jint max, jlong lens) {
  return tg_tun_read_batch(fd, (uint8_t *)(intptr_t)base, slot_size, max, (int32_t *)(intptr_t)lens);
}

static jint j_read_packed(JNIEnv *env, jclass cls, jint fd, jlong base, jint from, jint to, jint max_frame,
                          jint max, jlong offs, jlong lens) {
  return tg_tun_read_packed(fd, (uint8_t *)(intptr_t)base, from, to, max_frame, max, (int32_t *)(intptr_t)offs,
                            (int32_t *)(intptr_t)lens);
}

static jint j_write_batch(JNIEnv *env, jclass cls, jint fd, jlong base, jlong offs, jlong lens, jint n) {
  return tg_tun_write_batch(fd, (const uint8_t *)(intptr_t)base, (const int32_t *)(intptr_t)offs,
                            (const int32_t *)(intptr_t)lens, n);
}

static jint j_wake_create(JNIEnv *env, jclass cls) { return tg_tun_wake_create(); }

static jint j_wake(JNIEnv *env, jclass cls, jint wake_fd) { return tg_tun_wake(wake_fd); }

/* 1 when readable, 0 on timeout or when woken (a closing device is never "readable"), or -errno. */
static jint j_wait(JNIEnv *env, jclass cls, jint fd, jint wake_fd, jint timeout_ms) {
  int rc = tg_tun_wait(fd, wake_fd, timeout_ms);
  if (rc < 0) return rc;
  return (rc & TG_TUN_WOKEN) ? 0 : (rc & TG_TUN_READABLE) ? 1 : 0;
}

/*
 * Adds the TUN fd to the epoll set behind a java.nio Selector, so that the Selector's select() returns while the
 * TUN has a packet pending: a shard worker then waits for its sockets and its TUN queue in one epoll_wait. The
 * epoll fd is the private field `int epfd` of the JDK's sun.nio.ch.EPollSelectorImpl (JDK 11 to 25); JNI reads
 * it without the module system's --add-opens. The JDK ignores an event whose fd it does not know
 * (EPollSelectorImpl.processEvents looks the fd up in its fdToKey map and skips a miss), so select() just returns
 * 0 keys. -ENOTSUP when the selector has no such field (another JDK or SelectorProvider).
 */
static jint j_watch_from_selector(JNIEnv *env, jclass cls, jobject selector, jint fd) {
  if (selector == NULL) return -EINVAL;
  jclass impl = (*env)->FindClass(env, "sun/nio/ch/EPollSelectorImpl");
  if (impl == NULL) {
    (*env)->ExceptionClear(env); /* NoClassDefFoundError: a JDK without it */
    return -ENOTSUP;
  }
  jfieldID field = (*env)->IsInstanceOf(env, selector, impl) ? (*env)->GetFieldID(env, impl, "epfd", "I") : NULL;
  (*env)->DeleteLocalRef(env, impl);
  if (field == NULL) {
    (*env)->ExceptionClear(env); /* another SelectorProvider, or NoSuchFieldError: a JDK that renamed the field */
    return -ENOTSUP;
  }
  jint epfd = (*env)->GetIntField(env, selector, field);
  return tg_tun_watch(epfd, fd);
}

static jint j_close(JNIEnv *env, jclass cls, jint fd) { return tg_tun_close(fd); }

/* Address of a direct buffer, 0 if it is not direct. Called once per buffer at set-up, never per packet. */
static jlong j_address(JNIEnv *env, jclass cls, jobject buffer) {
  void *p = buffer == NULL ? NULL : (*env)->GetDirectBufferAddress(env, buffer);
  return (jlong)(intptr_t)p;
}

static jstring j_strerror(JNIEnv *env, jclass cls, jint err) {
  char buf[256];
  /* GNU strerror_r may return a static string instead of filling buf. */
  const char *text = strerror_r(err, buf, sizeof(buf));
  return (*env)->NewStringUTF(env, text);
}

/*
 * Kernel and libc constants and struct layouts, for the pure-JNA fallback to be checked against (the JNA path
 * cannot ask C at run time, since it runs when this library is missing). Order: Libc.KERNEL_CONSTANTS.
 */
static jintArray j_kernel_constants(JNIEnv *env, jclass cls) {
  const jint values[] = {
      (jint)TUNSETIFF, (jint)TUNSETOFFLOAD, (jint)TUNSETVNETHDRSZ, IFF_TUN, IFF_NO_PI, IFF_MULTI_QUEUE,
      IFF_VNET_HDR, TUN_F_CSUM, TUN_F_TSO4, SIOCSIFMTU, SIOCSIFADDR, SIOCSIFNETMASK, SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP,
      IFF_RUNNING, (jint)sizeof(struct ifreq), (jint)offsetof(struct ifreq, ifr_flags), IFNAMSIZ,
      (jint)sizeof(struct sockaddr_in), O_RDWR, O_NONBLOCK, O_CLOEXEC, EFD_NONBLOCK, EFD_CLOEXEC, POLLIN,
      (jint)sizeof(struct pollfd), AF_INET, SOCK_DGRAM, EINTR, EAGAIN, (jint)sizeof(struct virtio_net_hdr),
  };
  jsize n = (jsize)(sizeof(values) / sizeof(values[0]));
  jintArray out = (*env)->NewIntArray(env, n);
  if (out != NULL) (*env)->SetIntArrayRegion(env, out, 0, n, values);
  return out;
}

static const JNINativeMethod METHODS[] = {
    {"maxNameLength", "()I", (void *)j_max_name_length},
    {"vnetHeaderLength", "()I", (void *)j_vnet_hdr_length},
    {"open", "(Ljava/lang/String;ZZZ[B)I", (void *)j_open},
    {"setMtu", "(Ljava/lang/String;I)I", (void *)j_set_mtu},
    {"setIpv4", "(Ljava/lang/String;II)I", (void *)j_set_ipv4},
    {"setUp", "(Ljava/lang/String;)I", (void *)j_set_up},
    {"readBatch", "(IJIIJ)I", (void *)j_read_batch},
    {"readPacked", "(IJIIIIJJ)I", (void *)j_read_packed},
    {"writeBatch", "(IJJJI)I", (void *)j_write_batch},
    {"wakeCreate", "()I", (void *)j_wake_create},
    {"wake", "(I)I", (void *)j_wake},
    {"await", "(III)I", (void *)j_wait},
    {"watchFromSelector", "(Ljava/nio/channels/Selector;I)I", (void *)j_watch_from_selector},
    {"close", "(I)I", (void *)j_close},
    {"address", "(Ljava/nio/ByteBuffer;)J", (void *)j_address},
    {"strerror", "(I)Ljava/lang/String;", (void *)j_strerror},
    {"kernelConstants", "()[I", (void *)j_kernel_constants},
};

JNIEXPORT jint JNI_OnLoad(JavaVM *vm, void *reserved) {
  JNIEnv *env;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
  jclass cls = (*env)->FindClass(env, JNI_CLASS);
  if (cls == NULL) return JNI_ERR; /* NoClassDefFoundError is pending and surfaces from System.load */
  jint rc = (*env)->RegisterNatives(env, cls, METHODS, (jint)(sizeof(METHODS) / sizeof(METHODS[0])));
  (*env)->DeleteLocalRef(env, cls);
  return rc == 0 ? JNI_VERSION_1_8 : JNI_ERR;
}
