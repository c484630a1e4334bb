/* Error paths of tg_tun_open return the right -errno. */
#include <net/if.h>
#include <sys/wait.h>

#include "tg_test.h"
#include "tg_tun.h"

/* Without CAP_NET_ADMIN over the network namespace, creating a device is refused. A fresh user namespace gives
 * the child a full capability set, but only over namespaces that user namespace owns: the network namespace
 * still belongs to the parent's, so TUNSETIFF must say EPERM. */
static void no_permission(void) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWUSER) != 0) _exit(3);
    int fd = tg_tun_open("tgperm0", 0, NULL);
    if (fd >= 0) tg_tun_close(fd);
    _exit(fd == -EPERM ? 0 : 4);
  }
  int status = 0;
  CHECK_EQ(pid, waitpid(pid, &status, 0));
  CHECK(WIFEXITED(status));
  CHECK_EQ(0, WEXITSTATUS(status));
}

int main(void) {
  enter_private_netns();
  CHECK_EQ(-EINVAL, tg_tun_open("bad/name", 0, NULL));
  CHECK_EQ(-EINVAL, tg_tun_open("bad name", 0, NULL));
  CHECK_EQ(-ENAMETOOLONG, tg_tun_open("abcdefghijklmnop", 0, NULL));

  char name[IFNAMSIZ];
  int fd = tg_tun_open("tgbusy0", 0, name);
  CHECK(fd >= 0);
  CHECK_EQ(-EBUSY, tg_tun_open("tgbusy0", 0, NULL));
  /* A multi-queue open of a single-queue device is refused too (the flags must match). */
  CHECK_EQ(-EINVAL, tg_tun_open("tgbusy0", TG_TUN_MULTI_QUEUE, NULL));
  if (fd >= 0) tg_tun_close(fd);
  /* Once closed, the non-persistent device is gone, so the name is free again. */
  fd = tg_tun_open("tgbusy0", 0, NULL);
  CHECK(fd >= 0);
  if (fd >= 0) tg_tun_close(fd);

  no_permission();
  CHECK_EQ(-EBADF, tg_tun_read_batch(-1, (uint8_t *)name, 1, 1, (int32_t *)name));
  TG_TEST_RESULT();
}
